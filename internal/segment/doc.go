// Package segment writes and opens sealed segments: the immutable on-disk form of a set of points.
// A segment is a directory holding the point ids, their versions, their payloads (JSON blobs behind
// an offset table) and one flat little-endian float32 file per vector name, which Open maps into
// memory instead of reading, so opening costs the same whatever the data size.
//
// The byte layout is specified in docs/format/segment.md.
//
// Write builds the directory under a temporary name, fsyncs every file and the directory, then
// renames it into place and fsyncs the parent: a crash leaves either no segment or a complete one.
// Open checks sizes and headers (cheap); Verify reads every byte and checks the CRC32C of every
// file against meta.json (used by `needle check` and snapshot restore).
//
// Concurrency: a *Segment is immutable and safe for concurrent reads until Close, which the caller
// must not call while reads may still be running.
package segment
