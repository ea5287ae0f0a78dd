// Package corruption is what Needle's versioned binary formats (HNSW graphs, PQ and binary
// codes, IVF indexes) share when they validate bytes: the error that says where and why the
// bytes are wrong, and the CRC-32C table they checksum with.
package corruption

import (
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
