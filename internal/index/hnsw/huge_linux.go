//go:build linux

package hnsw

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// hugeMin is the smallest array worth backing with transparent huge pages.
const hugeMin = 4 << 20

// adviseHuge asks the kernel to back s with 2 MiB pages (MADV_HUGEPAGE)
// when it is large. A search touches the neighbour lists and codes of
// random nodes: with 4 KiB pages nearly every touch of a large index is a
// TLB miss and a page walk. Call it on a fresh array, before it is written,
// so its pages fault in huge. Errors are ignored: the advice is optional
// (transparent huge pages may be disabled).
func adviseHuge[T any](s []T) {
	if len(s) == 0 {
		return
	}
	n := len(s) * int(unsafe.Sizeof(s[0]))
	if n < hugeMin {
		return
	}
	b := unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), n)
	const page = 4096
	off := int(-uintptr(unsafe.Pointer(&b[0])) & (page - 1)) // madvise wants a page-aligned start
	_ = unix.Madvise(b[off:off+(n-off)&^(page-1)], unix.MADV_HUGEPAGE)
}
