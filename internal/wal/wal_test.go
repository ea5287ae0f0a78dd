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

func openT(t *testing.T, dir string) *Dir {
	t.Helper()
	w, err := Open(dir, 1, nil)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	return w
}

func collect(t *testing.T, w *Dir, from uint64) (seqs []uint64, recs [][]byte) {
	t.Helper()
	if err := w.Replay(from, func(seq uint64, rec []byte) error {
		seqs = append(seqs, seq)
		recs = append(recs, append([]byte(nil), rec...))
		return nil
	}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	return seqs, recs
}

func appendN(t *testing.T, w *Dir, n int, size int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := w.Append(bytes.Repeat([]byte{byte(i)}, size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Sync(w.LastSeq()); err != nil {
		t.Fatal(err)
	}
}

func TestAppendSyncReplay(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir)
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
	w = openT(t, dir)
	defer w.Close()
	_, recs := collect(t, w, 51)
	if len(recs) != 50 || string(recs[0]) != "rec-50" {
		t.Fatalf("replay from 51: %d records, first %q", len(recs), recs[0])
	}
	if seq, _ := w.Append([]byte("next")); seq != 101 {
		t.Fatalf("seq after reopen = %d", seq)
	}
}

func TestRotateAndTruncate(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir)
	appendN(t, w, 10, 10) // 1..10 in file 1
	if err := w.Rotate(); err != nil {
		t.Fatal(err)
	}
	appendN(t, w, 10, 10) // 11..20
	w.Rotate()
	w.Rotate()           // no-op on an empty active file
	appendN(t, w, 5, 10) // 21..25
	if n := len(w.Files()); n != 3 {
		t.Fatalf("%d files after two rotations", n)
	}
	if err := w.TruncateBefore(15); err != nil { // file 1 (1..10) can go; file 11 holds 15
		t.Fatal(err)
	}
	if n := len(w.Files()); n != 2 {
		t.Fatalf("%d files after truncate", n)
	}
	w.Close()
	w = openT(t, dir)
	defer w.Close()
	seqs, _ := collect(t, w, 0)
	if len(seqs) != 15 || seqs[0] != 11 || seqs[14] != 25 {
		t.Fatalf("replay after truncate: %v", seqs)
	}
	// Truncating everything keeps the (empty) active file, and numbering continues.
	w.Rotate()
	w.TruncateBefore(26)
	w.Close()
	w = openT(t, dir)
	if w.LastSeq() != 25 {
		t.Fatalf("LastSeq after full truncation = %d", w.LastSeq())
	}
	if seq, _ := w.Append([]byte("x")); seq != 26 {
		t.Fatalf("next seq = %d", seq)
	}
	w.Close()
}

func TestFreshLogStartsAtNext(t *testing.T) {
	w, err := Open(t.TempDir(), 500, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if seq, _ := w.Append([]byte("x")); seq != 500 {
		t.Fatalf("first seq = %d, want 500", seq)
	}
}

func TestGroupCommitConcurrent(t *testing.T) {
	w := openT(t, t.TempDir())
	defer w.Close()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				seq, err := w.Append(bytes.Repeat([]byte{byte(g)}, 100))
				if err == nil {
					err = w.Sync(seq)
				}
				if err != nil {
					t.Error(err)
					return
				}
				if g == 0 && i%10 == 0 {
					if err := w.Rotate(); err != nil {
						t.Error(err)
					}
				}
			}
		}(g)
	}
	wg.Wait()
	if seqs, _ := collect(t, w, 0); len(seqs) != 800 {
		t.Fatalf("got %d records", len(seqs))
	}
}

func activeFile(t *testing.T, dir string) string {
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	return files[len(files)-1]
}

func TestTornTailIsTruncated(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir)
	appendN(t, w, 10, 10)
	w.Close()
	path := activeFile(t, dir)
	data, _ := os.ReadFile(path)
	for cut := 1; cut < headerSize+10; cut += 3 {
		d2 := t.TempDir()
		os.WriteFile(filepath.Join(d2, filepath.Base(path)), data[:len(data)-cut], 0o644)
		w2 := openT(t, d2)
		if seqs, _ := collect(t, w2, 0); len(seqs) != 9 {
			t.Fatalf("cut %d: %d records, want 9", cut, len(seqs))
		}
		if seq, _ := w2.Append([]byte("x")); seq != 10 {
			t.Fatalf("cut %d: next seq %d", cut, seq)
		}
		w2.Close()
	}
	flipped := append([]byte(nil), data...)
	flipped[len(flipped)-1] ^= 0xff
	d3 := t.TempDir()
	os.WriteFile(filepath.Join(d3, filepath.Base(path)), flipped, 0o644)
	w3 := openT(t, d3)
	if seqs, _ := collect(t, w3, 0); len(seqs) != 9 {
		t.Fatalf("flipped tail: %d records", len(seqs))
	}
	w3.Close()
}

func TestCorruptionBeforeTail(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir)
	appendN(t, w, 10, 10)
	w.Close()
	path := activeFile(t, dir)
	data, _ := os.ReadFile(path)
	off := len(magic) + 3*(headerSize+10) + headerSize + 2 // inside record 4's payload
	data[off] ^= 0xff
	os.WriteFile(path, data, 0o644)
	_, err := Open(dir, 1, nil)
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

func TestDamageInClosedFileIsCorruption(t *testing.T) {
	dir := t.TempDir()
	w := openT(t, dir)
	appendN(t, w, 5, 10)
	w.Rotate()
	appendN(t, w, 5, 10)
	w.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	data, _ := os.ReadFile(files[0])
	os.WriteFile(files[0], data[:len(data)-3], 0o644) // a torn tail, but not in the active file
	var ce *CorruptionError
	if _, err := Open(dir, 1, nil); !errors.As(err, &ce) {
		t.Fatalf("want CorruptionError for a damaged closed file, got %v", err)
	}
	os.WriteFile(files[0], data, 0o644)
	os.Remove(files[0]) // a missing file breaks the sequence only if later files exist: here file 6.. starts the log
	if w, err := Open(dir, 1, nil); err != nil {
		t.Fatalf("log starting at 6: %v", err)
	} else {
		w.Close()
	}
}

func TestClosed(t *testing.T) {
	w := openT(t, t.TempDir())
	w.Close()
	if _, err := w.Append([]byte("x")); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	dir := f.TempDir()
	w, _ := Open(dir, 1, nil)
	w.Append([]byte("hello"))
	w.Append([]byte("world"))
	w.Close()
	data, _ := os.ReadFile(filepath.Join(dir, fileName(1)))
	f.Add(data)
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, fileName(1)), data, 0o644)
		w, err := Open(d, 1, nil)
		if err != nil {
			return
		}
		defer w.Close()
		var prev uint64
		w.Replay(0, func(seq uint64, rec []byte) error {
			if prev != 0 && seq != prev+1 {
				t.Fatalf("sequence gap %d after %d", seq, prev)
			}
			prev = seq
			return nil
		})
		if _, err := w.Append([]byte("more")); err != nil {
			t.Fatalf("append after open: %v", err)
		}
	})
}

func BenchmarkAppendSync(b *testing.B) {
	w, _ := Open(b.TempDir(), 1, nil)
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
