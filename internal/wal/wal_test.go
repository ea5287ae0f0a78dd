package wal

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func openT(t *testing.T, path string) *File {
	t.Helper()
	w, err := Open(path, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return w
}

func collect(t *testing.T, w *File, from uint64) [][]byte {
	t.Helper()
	var out [][]byte
	if err := w.Replay(from, func(seq uint64, rec []byte) error {
		out = append(out, append([]byte(nil), rec...))
		return nil
	}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return out
}

func TestAppendSyncReplay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal")
	w := openT(t, path)
	for i := 0; i < 100; i++ {
		seq, err := w.Append([]byte(fmt.Sprintf("rec-%d", i)))
		if err != nil || seq != uint64(i+1) {
			t.Fatalf("append %d: seq %d err %v", i, seq, err)
		}
	}
	if err := w.Sync(100); err != nil {
		t.Fatal(err)
	}
	w.Close()
	w = openT(t, path)
	defer w.Close()
	recs := collect(t, w, 51)
	if len(recs) != 50 || string(recs[0]) != "rec-50" {
		t.Fatalf("replay from 51: %d records, first %q", len(recs), recs[0])
	}
	if w.LastSeq() != 100 {
		t.Fatalf("LastSeq = %d", w.LastSeq())
	}
	if seq, _ := w.Append([]byte("next")); seq != 101 {
		t.Fatalf("seq after reopen = %d", seq)
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	w := openT(t, filepath.Join(t.TempDir(), "wal"))
	defer w.Close()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				seq, err := w.Append(bytes.Repeat([]byte{byte(g)}, 100))
				if err != nil {
					t.Error(err)
					return
				}
				if err := w.Sync(seq); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if n := len(collect(t, w, 0)); n != 800 {
		t.Fatalf("got %d records", n)
	}
}

func TestTornTailIsTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal")
	w := openT(t, path)
	for i := 0; i < 10; i++ {
		w.Append([]byte("0123456789"))
	}
	w.Sync(10)
	w.Close()
	st, _ := os.Stat(path)
	for cut := int64(1); cut < headerSize+10; cut += 3 {
		data, _ := os.ReadFile(path)
		p2 := filepath.Join(t.TempDir(), "wal")
		os.WriteFile(p2, data[:st.Size()-cut], 0o644)
		w2 := openT(t, p2)
		if n := len(collect(t, w2, 0)); n != 9 {
			t.Fatalf("cut %d: %d records, want 9", cut, n)
		}
		if seq, _ := w2.Append([]byte("x")); seq != 10 {
			t.Fatalf("cut %d: next seq %d", cut, seq)
		}
		w2.Close()
	}
	// A flipped byte in the last record is a torn tail too.
	data, _ := os.ReadFile(path)
	data[len(data)-1] ^= 0xff
	p3 := filepath.Join(t.TempDir(), "wal")
	os.WriteFile(p3, data, 0o644)
	w3 := openT(t, p3)
	if n := len(collect(t, w3, 0)); n != 9 {
		t.Fatalf("flipped tail: %d records", n)
	}
	w3.Close()
}

func TestCorruptionBeforeTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wal")
	w := openT(t, path)
	for i := 0; i < 10; i++ {
		w.Append([]byte("0123456789"))
	}
	w.Close()
	data, _ := os.ReadFile(path)
	off := len(magic) + 3*(headerSize+10) + headerSize + 2 // inside record 4's payload
	data[off] ^= 0xff
	os.WriteFile(path, data, 0o644)
	_, err := Open(path, nil)
	var ce *CorruptionError
	if !errors.As(err, &ce) {
		t.Fatalf("want CorruptionError, got %v", err)
	}
	if ce.Offset != int64(len(magic)+3*(headerSize+10)) || ce.File != path {
		t.Fatalf("corruption at %s:%d", ce.File, ce.Offset)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(after, data) {
		t.Fatal("corrupt file was modified")
	}
}

func TestClosed(t *testing.T) {
	w := openT(t, filepath.Join(t.TempDir(), "wal"))
	w.Close()
	if _, err := w.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func BenchmarkAppendSync(b *testing.B) {
	w, _ := Open(filepath.Join(b.TempDir(), "wal"), nil)
	defer w.Close()
	rec := make([]byte, 128*4*256)
	b.SetBytes(int64(len(rec)))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq, _ := w.Append(rec)
			w.Sync(seq)
		}
	})
}
