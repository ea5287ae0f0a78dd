// Package wal is Needle's write-ahead log: an append-only file of length-prefixed, CRC32C-checked
// records, each carrying a sequence number, with group commit.
//
// The byte format is specified in docs/format/wal.md.
//
// Concurrency: Append and Sync may be called from many goroutines. Appends are ordered by the
// sequence numbers they return. Sync(seq) returns once every record up to seq is on stable storage;
// concurrent callers share one fsync (group commit): whoever arrives while no fsync is running
// becomes the leader and syncs everything written so far, the others wait for it.
//
// Invariants: a record is acknowledged (Sync returned nil) only after fsync covered it. A failed
// write is cut off the file so a later record never follows garbage; a failed fsync makes the log
// refuse every later call (the kernel may have dropped the dirty pages, so retrying cannot be trusted).
package wal
