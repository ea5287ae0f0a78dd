package segment

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// AdviseVectors tells the kernel how vector space name will be read: onDisk
// (random access, no read-ahead: pages come in only as searches touch them
// and the kernel may drop them again) or in RAM (read the whole file ahead
// now). The mapping is never locked; advice failing is harmless and ignored.
func (s *Segment) AdviseVectors(name string, onDisk bool) {
	v := s.vectors[name]
	if len(v) == 0 {
		return
	}
	advice := unix.MADV_WILLNEED
	if onDisk {
		advice = unix.MADV_RANDOM
	}
	_ = unix.Madvise(floatBytes(v), advice)
}

// VectorBytes returns the size of vector space name's mapped file.
func (s *Segment) VectorBytes(name string) int64 { return 4 * int64(len(s.vectors[name])) }

// ResidentVectorBytes returns how many bytes of vector space name's mapping
// are in memory now (page cache pages mapped by this process), by mincore;
// -1 if the kernel cannot tell.
func (s *Segment) ResidentVectorBytes(name string) int64 {
	return ResidentBytes(floatBytes(s.vectors[name]))
}

// ResidentBytes returns how many bytes of the mapped region b (page-aligned
// start, as mmap returns) are resident in memory; -1 if mincore fails.
func ResidentBytes(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	page := os.Getpagesize()
	// mincore's answer is a byte per page: asked in windows of at most 64 Ki pages, it costs
	// 64 KiB of memory whatever the file's size (a 100 GB file would otherwise take 25 MB per
	// call, and collection info asks on every request).
	const window = 1 << 16
	vec := make([]byte, min((len(b)+page-1)/page, window))
	var n int64
	for off := 0; off < len(b); off += window * page {
		chunk := b[off:min(len(b), off+window*page)]
		pages := vec[:(len(chunk)+page-1)/page]
		_, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&chunk[0])), uintptr(len(chunk)), uintptr(unsafe.Pointer(&pages[0])))
		if errno != 0 {
			return -1
		}
		for _, v := range pages {
			if v&1 != 0 {
				n++
			}
		}
	}
	return min(n*int64(page), int64(len(b)))
}
