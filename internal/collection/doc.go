// Package collection ties together the points of a collection, their vectors, payloads and
// payload indexes, and the write-ahead log that makes writes durable.
//
// Write path: Submit validates an operation, encodes it, appends it to the WAL and queues it for
// the applier (both under writeMu, so queue order is log order), then waits for group-commit fsync.
// A single applier goroutine per collection applies durable operations in order under the write
// lock. Filters in delete and payload operations are resolved when applied, so replaying the log
// after a restart reproduces the same state.
//
// Read path: searches, gets, scrolls and counts hold the read lock for their whole duration and
// never touch the disk.
//
// Lock order: Manager.mu, then Collection.writeMu, then Collection.mu. The applier takes only
// Collection.mu. Readers take only Collection.mu (read side).
//
// Invariants: an operation is visible to reads only after it is durable; payload maps stored in
// the state are never mutated in place (updates build new maps), so records returned to callers
// stay valid after the lock is released.
package collection
