package fsx

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestReplaceFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	for _, content := range []string{"one", "two"} {
		if err := ReplaceFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Fatalf("content %q, want %q", b, content)
		}
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Fatal("temporary file left behind")
	}
	if err := ReplaceFile(filepath.Join(t.TempDir(), "missing", "f"), nil); err == nil {
		t.Fatal("write into a missing directory succeeded")
	}
}

// ReadAll returns exactly the bytes left, in a buffer of exactly that size when the reader
// knows it.
func TestReadAll(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	data := bytes.Repeat([]byte("needle"), 100_000)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Seek(6, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	got, err := ReadAll(f)
	if err != nil || !bytes.Equal(got, data[6:]) || cap(got) != len(data)-6 {
		t.Fatalf("file: %d bytes (cap %d), err %v; want %d", len(got), cap(got), err, len(data)-6)
	}
	got, err = ReadAll(bytes.NewReader(data))
	if err != nil || !bytes.Equal(got, data) || cap(got) != len(data) {
		t.Fatalf("bytes.Reader: %d bytes (cap %d), err %v", len(got), cap(got), err)
	}
	got, err = ReadAll(io.MultiReader(bytes.NewReader(data[:10]), bytes.NewReader(data[10:])))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("unsized reader: %d bytes, err %v", len(got), err)
	}
}

func TestCountingWriterPadTo(t *testing.T) {
	var buf bytes.Buffer
	cw := &CountingWriter{W: &buf}
	cw.Write([]byte("hello"))
	for _, align := range []int64{64, 64, 200} {
		if err := cw.PadTo(align); err != nil {
			t.Fatal(err)
		}
		if cw.N%align != 0 || cw.N != int64(buf.Len()) {
			t.Fatalf("after PadTo(%d): N = %d, buffer %d bytes", align, cw.N, buf.Len())
		}
	}
	if cw.N != 200 || !bytes.Equal(buf.Bytes()[5:], make([]byte, 195)) {
		t.Fatalf("N = %d, padding %v", cw.N, buf.Bytes()[5:])
	}
	failing := &CountingWriter{W: failWriter{}, N: 3}
	if err := failing.PadTo(64); err == nil {
		t.Fatal("PadTo on a failing writer: no error")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
