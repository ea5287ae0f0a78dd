// Package corruption is what Needle's versioned binary formats (HNSW graphs, PQ and binary
// codes, IVF indexes) share when they validate bytes: the error that says where and why the
// bytes are wrong, and the CRC-32C table they checksum with.
package corruption

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
)

// Castagnoli is the CRC-32C table of every checksum in Needle's file formats.
var Castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Error reports bytes that fail validation. It wraps Kind, the format's sentinel (such as
// hnsw.ErrCorrupt), so callers test errors.Is(err, pkg.ErrCorrupt); errors.As finds the offset.
type Error struct {
	Kind   error // the format's sentinel; its text starts the message
	Offset int64 // byte offset of the offending field or section
	Reason string
}

// Error describes the corruption and where it is: "<kind> at offset N: <reason>".
func (e *Error) Error() string {
	return fmt.Sprintf("%v at offset %d: %s", e.Kind, e.Offset, e.Reason)
}

// Unwrap returns Kind.
func (e *Error) Unwrap() error { return e.Kind }

// At returns an *Error of kind at offset off, its reason formatted from format and args.
func At(kind error, off int64, format string, args ...any) error {
	return &Error{Kind: kind, Offset: off, Reason: fmt.Sprintf(format, args...)}
}

// CheckHeader checks the fixed header that starts a file of a format of kind: at least size
// bytes, the format's magic in the first 8, and the CRC-32C of data[:sumAt] stored little-endian
// at data[sumAt:]. It returns an *Error of kind saying which check failed, or nil.
func CheckHeader(kind error, data []byte, magic [8]byte, size, sumAt int) error {
	if len(data) < size {
		return At(kind, 0, "file of %d bytes is shorter than the header", len(data))
	}
	if [8]byte(data[:8]) != magic {
		return At(kind, 0, "bad magic %q", data[:8])
	}
	if crc32.Checksum(data[:sumAt], Castagnoli) != binary.LittleEndian.Uint32(data[sumAt:]) {
		return At(kind, int64(sumAt), "header checksum mismatch")
	}
	return nil
}
