package segment

import (
	"encoding/json"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
	"golang.org/x/sys/unix"
)

func sample(n int) *Source {
	rng := rand.New(rand.NewSource(1))
	vecs := map[string][][]float32{"": make([][]float32, n), "img": make([][]float32, n)}
	for i := 0; i < n; i++ {
		vecs[""][i] = []float32{rng.Float32(), rng.Float32(), rng.Float32()}
		if i%3 != 0 {
			vecs["img"][i] = []float32{float32(i), 1}
		}
	}
	u, _ := pointid.Parse("550e8400-e29b-41d4-a716-446655440000")
	return &Source{
		Count: n,
		ID: func(i int) pointid.ID {
			if i == 0 {
				return u
			}
			return pointid.Num(uint64(i * 7))
		},
		Version: func(i int) uint64 { return uint64(100 + i) },
		Payload: func(i int) []byte {
			if i%2 == 1 {
				return nil
			}
			b, _ := json.Marshal(map[string]any{"i": i})
			return b
		},
		Dims:   map[string]int{"": 3, "img": 2},
		Vector: func(name string, i int) []float32 { return vecs[name][i] },
	}
}

func TestWriteOpenRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 64, 65, 1000} {
		dir := filepath.Join(t.TempDir(), "seg")
		src := sample(n)
		if _, err := Write(dir, src); err != nil {
			t.Fatal(err)
		}
		if err := Verify(dir); err != nil {
			t.Fatalf("n=%d verify: %v", n, err)
		}
		s, err := Open(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			if s.IDs[i] != src.ID(i) || s.Versions[i] != src.Version(i) {
				t.Fatalf("n=%d slot %d: id/version mismatch", n, i)
			}
			if string(s.PayloadJSON(uint32(i))) != string(src.Payload(i)) {
				t.Fatalf("n=%d slot %d payload %q", n, i, s.PayloadJSON(uint32(i)))
			}
			if got := s.Vectors("")[3*i : 3*i+3]; got[0] != src.Vector("", i)[0] || got[2] != src.Vector("", i)[2] {
				t.Fatalf("n=%d slot %d vector mismatch", n, i)
			}
			if s.Has("img", uint32(i)) != (i%3 != 0) || !s.Has("", uint32(i)) {
				t.Fatalf("n=%d slot %d has bits wrong", n, i)
			}
		}
		s.Close()
	}
}

func TestDamageIsDetected(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "seg")
	Write(dir, sample(200))
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	for _, f := range files {
		orig, _ := os.ReadFile(f)
		if len(orig) == 0 {
			continue
		}
		// A flipped byte: Verify always notices; Open never panics.
		flipped := append([]byte(nil), orig...)
		flipped[len(flipped)/2] ^= 0x5a
		os.WriteFile(f, flipped, 0o644)
		if err := Verify(dir); err == nil {
			t.Errorf("%s: flipped byte not detected by Verify", filepath.Base(f))
		}
		if s, err := Open(dir, false); err == nil {
			s.Close()
		}
		// A truncated file: Open refuses it (sizes are checked), except meta.json which fails to parse.
		os.WriteFile(f, orig[:len(orig)-2], 0o644) // -2: meta.json ends in a harmless newline
		if s, err := Open(dir, false); err == nil {
			s.Close()
			t.Errorf("%s: truncated file opened", filepath.Base(f))
		}
		os.WriteFile(f, orig, 0o644)
	}
	if err := Verify(dir); err != nil {
		t.Fatalf("restored segment: %v", err)
	}
}

func FuzzOpenMeta(f *testing.F) {
	dir := filepath.Join(f.TempDir(), "seg")
	Write(dir, sample(10))
	meta, _ := os.ReadFile(filepath.Join(dir, metaFile))
	f.Add(meta)
	f.Fuzz(func(t *testing.T, data []byte) {
		d := filepath.Join(t.TempDir(), "seg")
		os.MkdirAll(d, 0o755)
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, src := range files {
			b, _ := os.ReadFile(src)
			os.WriteFile(filepath.Join(d, filepath.Base(src)), b, 0o644)
		}
		os.WriteFile(filepath.Join(d, metaFile), data, 0o644)
		if s, err := Open(d, false); err == nil {
			for i := range s.IDs {
				s.PayloadJSON(uint32(i))
			}
			s.Close()
		}
	})
}

func TestResidentBytes(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "res")
	if err != nil {
		t.Fatal(err)
	}
	page := os.Getpagesize()
	if err := f.Truncate(int64(16 * page)); err != nil {
		t.Fatal(err)
	}
	b, err := unix.Mmap(int(f.Fd()), 0, 16*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(b)
	_ = unix.Madvise(b, unix.MADV_DONTNEED)
	for i := 0; i < 4; i++ {
		b[i*page] = 1 // dirty 4 pages
	}
	got := ResidentBytes(b)
	if got < int64(4*page) || got > int64(16*page) {
		t.Fatalf("ResidentBytes after touching 4 of 16 pages = %d", got)
	}
	if ResidentBytes(nil) != 0 {
		t.Fatal("ResidentBytes(nil) != 0")
	}
}
