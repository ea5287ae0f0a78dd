// Package fsx holds the few durable file operations every on-disk structure of Needle uses, so
// that each is written (and fsynced) one way: sync a directory, write a file and sync it, replace
// a file atomically.
package fsx

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SyncDir fsyncs a directory, making renames and creations in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// WriteFileSync creates or truncates path, writes data and fsyncs the file (not its directory).
func WriteFileSync(path string, data []byte) error {
	return writeSync(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// WriteToSync creates or truncates path, streams w's output into it through a 1 MiB buffer, and
// fsyncs the file and its directory: for large index files written in the directory of a
// segment not yet published.
func WriteToSync(path string, w io.WriterTo) error {
	if err := writeToSync(path, w); err != nil {
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// ReplaceFile replaces path with data atomically and durably: a temporary file is written and
// fsynced, renamed over path, and the directory fsynced.
func ReplaceFile(path string, data []byte) error {
	return replace(path, func(tmp string) error { return WriteFileSync(tmp, data) })
}

// ReplaceWith is ReplaceFile for content streamed from w (through a 1 MiB buffer).
func ReplaceWith(path string, w io.WriterTo) error {
	return replace(path, func(tmp string) error { return writeToSync(tmp, w) })
}

// replace writes path's new content to path.tmp with write, renames it over path and fsyncs the
// directory; on failure the temporary file is removed and path is untouched.
func replace(path string, write func(tmp string) error) error {
	tmp := path + ".tmp"
	if err := write(tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("publish %s: %w", path, err)
	}
	return SyncDir(filepath.Dir(path))
}

// writeToSync streams w into path through a 1 MiB buffer and fsyncs the file.
func writeToSync(path string, w io.WriterTo) error {
	return writeSync(path, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, 1<<20)
		if _, err := w.WriteTo(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
}

// writeSync creates or truncates path, lets fill write it, and fsyncs and closes it.
func writeSync(path string, fill func(f *os.File) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	err = fill(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// ReadAll reads r to its end like io.ReadAll, but when r can tell its size (an *os.File, a
// bytes.Reader) it reads into one buffer of exactly that size: io.ReadAll's growing buffer
// leaves up to a quarter of a large file's size unused in a slice the caller may keep (codes
// loaded in place).
func ReadAll(r io.Reader) ([]byte, error) {
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			if off, err := seekCurrent(r); err == nil {
				size = fi.Size() - off
			}
		}
	case interface{ Len() int }:
		size = int64(v.Len())
	}
	if size < 0 {
		return io.ReadAll(r)
	}
	buf := make([]byte, size)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	// The file may have grown since: read what is left the ordinary way.
	var one [1]byte
	if n, err := r.Read(one[:]); n > 0 {
		rest, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		return append(append(buf, one[0]), rest...), nil
	} else if err != nil && err != io.EOF {
		return nil, err
	}
	return buf, nil
}

// seekCurrent returns r's read offset when it is a Seeker, else 0.
func seekCurrent(r io.Reader) (int64, error) {
	if s, ok := r.(io.Seeker); ok {
		return s.Seek(0, io.SeekCurrent)
	}
	return 0, nil
}

// CountingWriter passes writes to W and counts the bytes written: what a WriteTo returns, and
// where the next aligned section of a file starts.
type CountingWriter struct {
	W io.Writer
	N int64 // bytes written so far
}

// Write writes p to W and counts what W wrote.
func (c *CountingWriter) Write(p []byte) (int, error) {
	n, err := c.W.Write(p)
	c.N += int64(n)
	return n, err
}

// PadTo writes zero bytes until N is a multiple of align.
func (c *CountingWriter) PadTo(align int64) error {
	var zero [64]byte
	for c.N%align != 0 {
		if _, err := c.Write(zero[:min(align-c.N%align, int64(len(zero)))]); err != nil {
			return err
		}
	}
	return nil
}
