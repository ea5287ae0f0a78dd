package distance

import "unsafe"

// bytesAs returns b viewed as len(b)/size elements of type T, with the
// same start; b must be aligned for T.
func bytesAs[T any](b []byte) []T {
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b))/unsafe.Sizeof(*new(T)))
}
