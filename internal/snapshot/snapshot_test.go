package snapshot

import (
	"archive/tar"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeTree(t *testing.T) (string, []string) {
	root := t.TempDir()
	files := map[string]string{"config.json": `{"a":1}`, "segments/1/meta.json": "{}", "segments/1/vec-0.f32": string(bytes.Repeat([]byte{7}, 5000))}
	var paths []string
	for p, c := range files {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(c), 0o644)
		paths = append(paths, p)
	}
	return root, paths
}

func TestRoundTrip(t *testing.T) {
	root, paths := writeTree(t)
	var buf bytes.Buffer
	if err := Write(&buf, root, paths, Manifest{Collection: "c", Created: time.Unix(1, 0), Checkpoint: 9}); err != nil {
		t.Fatal(err)
	}
	dst := t.TempDir()
	m, err := Extract(bytes.NewReader(buf.Bytes()), dst, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if m.Checkpoint != 9 || len(m.Files) != 3 {
		t.Fatalf("manifest %+v", m)
	}
	for _, p := range paths {
		a, _ := os.ReadFile(filepath.Join(root, p))
		b, _ := os.ReadFile(filepath.Join(dst, p))
		if !bytes.Equal(a, b) {
			t.Fatalf("%s differs", p)
		}
	}
}

func TestRejectsDamagedAndUnsafe(t *testing.T) {
	root, paths := writeTree(t)
	var buf bytes.Buffer
	Write(&buf, root, paths, Manifest{Collection: "c", Created: time.Unix(1, 0)})
	good := buf.Bytes()
	// Truncation anywhere and a flipped content byte are refused.
	for _, cut := range []int{100, len(good) / 2, bytes.Index(good, []byte(`"checkpoint"`))} {
		if _, err := Extract(bytes.NewReader(good[:cut]), t.TempDir(), 1<<20); !errors.Is(err, ErrInvalid) {
			t.Fatalf("truncated at %d: %v", cut, err)
		}
	}
	flipped := append([]byte(nil), good...)
	i := bytes.Index(flipped, bytes.Repeat([]byte{7}, 100))
	flipped[i+10] ^= 1
	if _, err := Extract(bytes.NewReader(flipped), t.TempDir(), 1<<20); !errors.Is(err, ErrInvalid) {
		t.Fatalf("flipped byte: %v", err)
	}
	if _, err := Extract(bytes.NewReader(good), t.TempDir(), 100); !errors.Is(err, ErrInvalid) {
		t.Fatalf("size limit: %v", err)
	}
	for _, hdr := range []*tar.Header{
		{Name: "../evil", Typeflag: tar.TypeReg, Size: 1},
		{Name: "/etc/passwd", Typeflag: tar.TypeReg, Size: 1},
		{Name: "a/../../b", Typeflag: tar.TypeReg, Size: 1},
		{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc"},
	} {
		var b bytes.Buffer
		tw := tar.NewWriter(&b)
		tw.WriteHeader(hdr)
		if hdr.Size > 0 {
			tw.Write([]byte("x"))
		}
		tw.Close()
		dst := t.TempDir()
		if _, err := Extract(bytes.NewReader(b.Bytes()), dst, 1<<20); !errors.Is(err, ErrInvalid) {
			t.Fatalf("%q accepted: %v", hdr.Name, err)
		}
	}
}

func FuzzExtract(f *testing.F) {
	root := f.TempDir()
	os.WriteFile(filepath.Join(root, "a"), []byte("hello"), 0o644)
	var buf bytes.Buffer
	Write(&buf, root, []string{"a"}, Manifest{Collection: "c", Created: time.Unix(1, 0)})
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		dst := t.TempDir()
		if _, err := Extract(bytes.NewReader(data), dst, 1<<16); err != nil {
			return
		}
		// Whatever was accepted stayed inside dst.
		filepath.Walk(dst, func(p string, info os.FileInfo, err error) error {
			if rel, rerr := filepath.Rel(dst, p); rerr != nil || rel == ".." || len(rel) > 2 && rel[:3] == "../" {
				t.Fatalf("wrote outside dst: %s", p)
			}
			return nil
		})
	})
}
