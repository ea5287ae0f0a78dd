package bench

import (
	"fmt"
	"os"
	"unsafe"

	"github.com/needlevdb/needle/internal/segment"
	"golang.org/x/sys/unix"
)

// diskVectors is a float32 matrix written to a file and mapped read-only,
// as a segment maps on_disk vectors: pages come in as searches touch them.
type diskVectors struct {
	data []float32
	raw  []byte
	f    *os.File // kept open (the name is unlinked) so its cache can be dropped
}

// toDisk writes data to a temporary file in dir (os.TempDir() if empty),
// syncs it, drops it from the page cache (so the benchmark starts cold, as
// a machine whose RAM is short would), and maps it with random-access
// advice. The file is unlinked at once; Close unmaps it.
func toDisk(data []float32, dir string) (*diskVectors, error) {
	f, err := os.CreateTemp(dir, "needle-bench-vectors-*")
	if err != nil {
		return nil, fmt.Errorf("on-disk vectors: %w", err)
	}
	defer os.Remove(f.Name())
	ok := false
	defer func() {
		if !ok {
			f.Close()
		}
	}()
	size := 4 * len(data)
	if size == 0 {
		return &diskVectors{}, nil
	}
	if _, err := f.Write(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), size)); err != nil {
		return nil, fmt.Errorf("on-disk vectors: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, fmt.Errorf("on-disk vectors: %w", err)
	}
	_ = unix.Fadvise(int(f.Fd()), 0, int64(size), unix.FADV_DONTNEED)
	raw, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("on-disk vectors: mmap: %w", err)
	}
	_ = unix.Madvise(raw, unix.MADV_RANDOM)
	ok = true
	return &diskVectors{data: unsafe.Slice((*float32)(unsafe.Pointer(&raw[0])), len(data)), raw: raw, f: f}, nil
}

// Drop evicts the file's pages from memory (they are clean), so that what
// the queries bring back in can be measured apart from what the build read.
func (d *diskVectors) Drop() {
	if d.raw == nil {
		return
	}
	_ = unix.Madvise(d.raw, unix.MADV_DONTNEED)
	_ = unix.Fadvise(int(d.f.Fd()), 0, int64(len(d.raw)), unix.FADV_DONTNEED)
}

// Resident returns the bytes of the mapping in memory now.
func (d *diskVectors) Resident() int64 { return segment.ResidentBytes(d.raw) }

// Close unmaps the vectors.
func (d *diskVectors) Close() error {
	if d.raw == nil {
		return nil
	}
	err := unix.Munmap(d.raw)
	if cerr := d.f.Close(); err == nil {
		err = cerr
	}
	return err
}
