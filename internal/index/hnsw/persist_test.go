package hnsw

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

func roundTrip(t *testing.T, x *Index, v Vectors) (*Index, []byte) {
	t.Helper()
	var buf bytes.Buffer
	n, err := x.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo reported %d bytes, wrote %d", n, buf.Len())
	}
	y, err := Load(buf.Bytes(), v)
	if err != nil {
		t.Fatal(err)
	}
	return y, buf.Bytes()
}

// TestPersistRoundTrip checks that a loaded index answers exactly as the
// original, keeps its deletions, and keeps accepting inserts.
func TestPersistRoundTrip(t *testing.T) {
	for _, vr := range variants {
		t.Run(vr.name, func(t *testing.T) {
			all, qs := data(vr, 1200, 16, 11)
			base := Vectors{Dim: all.Dim, Data: all.Data[:1000*all.Dim]}
			x := build(t, base, Config{Metric: vr.metric, M: 8, EfConstruct: 64, Seed: 3, Quantization: vr.quant}, 2)
			for s := uint32(0); s < 1000; s += 7 {
				x.Delete(s)
			}
			y, file := roundTrip(t, x, all)
			if y.Len() != x.Len() || y.Deleted() != x.Deleted() || y.Inserted() != x.Inserted() {
				t.Fatalf("counts %d/%d/%d, want %d/%d/%d", y.Len(), y.Deleted(), y.Inserted(), x.Len(), x.Deleted(), x.Inserted())
			}
			if y.MemoryBytes() != x.MemoryBytes() && vr.quant == Float32 {
				t.Logf("memory %d vs %d (arena chunking may differ)", y.MemoryBytes(), x.MemoryBytes())
			}
			for i := 0; i < qs.Slots(); i++ {
				q := qs.Row(uint32(i))
				if a, b := x.Search(q, 10, 40, nil), y.Search(q, 10, 40, nil); !slices.Equal(a, b) {
					t.Fatalf("query %d: loaded index answers %v, original %v", i, b, a)
				}
			}
			// A second write of the loaded index is byte-identical.
			var again bytes.Buffer
			if _, err := y.WriteTo(&again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), file) {
				t.Fatal("rewriting a loaded index changed the file")
			}
			// Inserts continue after a load.
			for s := uint32(1000); s < 1200; s++ {
				if err := y.Insert(s); err != nil {
					t.Fatal(err)
				}
			}
			r := recall(searchAll(y, qs, 10, 64, nil), truth(all, vr.metric, qs, 10, func(s uint32) bool { return y.Contains(s) }))
			if r < 0.95 {
				t.Errorf("recall %.3f after load and more inserts", r)
			}
		})
	}
}

func TestPersistEmpty(t *testing.T) {
	x, err := New(Config{Dim: 4, Metric: flat.L2}, Vectors{Dim: 4})
	if err != nil {
		t.Fatal(err)
	}
	y, _ := roundTrip(t, x, Vectors{Dim: 4})
	if y.Len() != 0 || y.Search([]float32{1, 2, 3, 4}, 3, 10, nil) != nil {
		t.Fatal("empty index not empty after load")
	}
}

// TestPersistCorruption flips, truncates and extends a valid file: every
// damage is reported as ErrCorrupt, none panics.
func TestPersistCorruption(t *testing.T) {
	v := clustered(300, 8, 12)
	x := build(t, v, Config{Metric: flat.L2, M: 4, EfConstruct: 16, Quantization: Int8}, 1)
	_, file := roundTrip(t, x, v)
	for i := 0; i < len(file); i += 1 + i/50 {
		bad := bytes.Clone(file)
		bad[i] ^= 0x10
		if _, err := Load(bad, v); err == nil {
			// Padding between sections is not checksummed; anything else must fail.
			if !isPadding(file, i) {
				t.Fatalf("flipped byte %d: loaded without error", i)
			}
		} else if !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flipped byte %d: %v does not wrap ErrCorrupt", i, err)
		}
	}
	for _, n := range []int{0, 10, 64, 255, len(file) / 2, len(file) - 1} {
		if _, err := Load(file[:n], v); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", n, err)
		}
	}
	if _, err := Load(append(bytes.Clone(file), make([]byte, 128)...), v); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("trailing bytes: %v", err)
	}
	// Too few vectors for the inserted slots.
	if _, err := Load(file, Vectors{Dim: 8, Data: v.Data[:100*8]}); !errors.Is(err, ErrNoVector) {
		t.Fatalf("short vectors: %v", err)
	}
	var ce *CorruptError
	bad := bytes.Clone(file)
	bad[0] = 'X'
	if _, err := Load(bad, v); !errors.As(err, &ce) || ce.Offset != 0 {
		t.Fatalf("bad magic: %v", err)
	}
}

// isPadding reports whether byte i of a valid file is alignment padding.
func isPadding(file []byte, i int) bool {
	if i < sectionsAt {
		return false
	}
	for s := 0; s < sections; s++ {
		off, n := sectionOffset(file, s), int64(readU64(file[headerSize+24*s+8:]))
		if int64(i) >= off && int64(i) < off+n {
			return false
		}
	}
	return true
}

func readU64(b []byte) uint64 {
	var v uint64
	for i := 7; i >= 0; i-- {
		v = v<<8 | uint64(b[i])
	}
	return v
}

// FuzzLoad feeds arbitrary bytes to Load: it must return an index or an
// error, never panic, and a loaded index must be searchable.
func FuzzLoad(f *testing.F) {
	v := clustered(60, 4, 13)
	for _, cfg := range []Config{
		{Metric: flat.L2, M: 2, EfConstruct: 8, Quantization: Int8},
		{Metric: flat.InnerProduct, M: 3, EfConstruct: 8},
	} {
		x := build(f, v, cfg, 1)
		x.Delete(5)
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes())
	}
	f.Add([]byte("NDLHNSW\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// As given (mostly stopped by a checksum), then with the checksums
		// recomputed so that mutations reach the structural validation.
		for _, in := range [][]byte{b, fixChecksums(b)} {
			x, err := Load(in, v)
			if err != nil {
				continue
			}
			x.Search(v.Row(0), 5, 10, nil)
			x.SearchWith(v.Row(1), SearchParams{K: 3, Ef: 5, Exact: true})
			x.Delete(1)
			_ = x.Insert(uint32(v.Slots() - 1))
		}
	})
}

// fixChecksums returns a copy of b with every section checksum that lies
// inside b and the header checksum recomputed.
func fixChecksums(b []byte) []byte {
	if len(b) < sectionsAt {
		return b
	}
	b = bytes.Clone(b)
	le := binary.LittleEndian
	for i := 0; i < sections; i++ {
		t := b[headerSize+24*i:]
		off, n := le.Uint64(t), le.Uint64(t[8:])
		if n > 0 && off <= uint64(len(b)) && n <= uint64(len(b))-off {
			le.PutUint32(t[16:], crc32.Checksum(b[off:off+n], castagnoli))
		}
	}
	crc := crc32.Checksum(b[:60], castagnoli)
	le.PutUint32(b[60:], crc32.Update(crc, castagnoli, b[headerSize:sectionsAt]))
	return b
}

// TestWriteSeedCorpus regenerates testdata/fuzz/FuzzLoad when
// HNSW_WRITE_CORPUS is set (the committed seeds are small valid files).
func TestWriteSeedCorpus(t *testing.T) {
	if os.Getenv("HNSW_WRITE_CORPUS") == "" {
		t.Skip("set HNSW_WRITE_CORPUS=1 to regenerate the seed corpus")
	}
	v := clustered(40, 4, 14)
	dir := filepath.Join("testdata", "fuzz", "FuzzLoad")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, cfg := range []Config{
		{Metric: flat.L2, M: 2, EfConstruct: 8, Quantization: Int8},
		{Metric: flat.InnerProduct, M: 3, EfConstruct: 8},
	} {
		x := build(t, v, cfg, 1)
		x.Delete(3)
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		body := "go test fuzz v1\n[]byte(" + quoteBytes(buf.Bytes()) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, []string{"valid-int8-l2", "valid-float-ip"}[i]), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func quoteBytes(b []byte) string {
	const hex = "0123456789abcdef"
	out := []byte{'"'}
	for _, c := range b {
		out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
	}
	return string(append(out, '"'))
}

// A quantile-clipped int8 index clamps codes; that is recorded in the file, so the reloaded index
// still rescores every candidate (Config.Quantile itself is not stored) and answers as before.
func TestPersistClamped(t *testing.T) {
	base, qs := data(variant{"l2/int8", flat.L2, Int8}, 1500, 32, 4)
	x := build(t, base, Config{Metric: flat.L2, M: 12, EfConstruct: 64, Seed: 1, Quantization: Int8, Quantile: 0.9}, 1)
	if !x.clamped.Load() {
		t.Fatal("a 0.9 quantile clamped no code")
	}
	y, file := roundTrip(t, x, base)
	if !y.clamped.Load() || binary.LittleEndian.Uint32(file[12:])&flagClamped == 0 {
		t.Fatal("the clamped flag did not survive the round trip")
	}
	for i := range qs.Slots() {
		a, b := x.Search(qs.Row(uint32(i)), 10, 40, nil), y.Search(qs.Row(uint32(i)), 10, 40, nil)
		if !slices.Equal(a, b) {
			t.Fatalf("query %d: results differ after reloading:\n%v\n%v", i, a, b)
		}
	}
	z := build(t, base, Config{Metric: flat.L2, M: 12, EfConstruct: 64, Seed: 1, Quantization: Int8}, 1)
	if z.clamped.Load() {
		t.Error("a full-range int8 index clamped the training vectors")
	}
}

// Rebuild derives the clamped flag from the live vectors: once the only clamped code is deleted,
// the rebuilt index no longer rescores every candidate.
func TestRebuildForgetsDeletedClamped(t *testing.T) {
	base, _ := data(variant{"l2/int8", flat.L2, Int8}, 1500, 32, 4)
	last := base.Row(1499)
	for i := range last {
		last[i] = 1e6 // far beyond the training range of the first 1,499
	}
	x, err := New(Config{Dim: 32, Metric: flat.L2, M: 12, EfConstruct: 64, Seed: 1, Quantization: Int8}, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Build(1499, 1); err != nil {
		t.Fatal(err)
	}
	if err := x.Insert(1499); err != nil {
		t.Fatal(err)
	}
	if !x.clamped.Load() {
		t.Fatal("a vector beyond the training range was not clamped")
	}
	x.Delete(1499)
	y, err := x.Rebuild(1)
	if err != nil {
		t.Fatal(err)
	}
	if y.clamped.Load() {
		t.Error("the rebuilt index kept the clamped flag of a deleted vector")
	}
}
