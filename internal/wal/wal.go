package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
)

// Log is what a collection writes its operations through. A local file implements it today; a
// replicated log can implement it later without touching the collection.
type Log interface {
	// Append writes one record and returns its sequence number. It does not wait for fsync.
	Append(rec []byte) (seq uint64, err error)
	// Sync returns once every record up to and including seq is durable.
	Sync(seq uint64) error
	// Replay calls fn for every record with sequence number >= from, in order.
	Replay(from uint64, fn func(seq uint64, rec []byte) error) error
	// LastSeq returns the sequence number of the last appended record (0 if none).
	LastSeq() uint64
	// Rotate makes later appends go to a new file, so that TruncateBefore can drop older ones.
	Rotate() error
	// TruncateBefore drops whole files whose records all have sequence numbers < seq.
	TruncateBefore(seq uint64) error
	// Close syncs and closes the log.
	Close() error
}

const (
	magic      = "NDLWAL\x00\x01" // 8 bytes: name + format version 1
	headerSize = 16               // u32 length, u32 crc32c, u64 seq
	// MaxRecord bounds one record; larger lengths in a file are treated as corruption.
	MaxRecord = 256 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CorruptionError reports a damaged record that is not a torn tail. It names the file and offset.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("wal %s: corrupt record at offset %d: %s", e.File, e.Offset, e.Reason)
}

// ErrClosed is returned by calls on a closed log.
var ErrClosed = errors.New("wal: log is closed")

// scan reads records from the start of the file, calling fn for those with seq >= from. It returns
// the end offset of the last valid record and its sequence number. A bad record that reaches the end
// of the file is a torn tail (scan stops there); a bad record followed by more data is corruption.
func scan(f *os.File, path string, size int64, from uint64, fn func(uint64, []byte) error) (int64, uint64, error) {
	r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 1<<20)
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(r, head); err != nil || string(head) != magic {
		if size < int64(len(magic)) {
			return 0, 0, &CorruptionError{File: path, Offset: 0, Reason: "file shorter than its header"}
		}
		return 0, 0, &CorruptionError{File: path, Offset: 0, Reason: "bad magic or unsupported version"}
	}
	off := int64(len(magic))
	var last uint64
	var hdr [headerSize]byte
	var payload []byte
	for off < size {
		if size-off < headerSize {
			return off, last, nil // torn header
		}
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return off, last, fmt.Errorf("read wal %s at %d: %w", path, off, err)
		}
		n := int64(binary.LittleEndian.Uint32(hdr[0:4]))
		sum := binary.LittleEndian.Uint32(hdr[4:8])
		seq := binary.LittleEndian.Uint64(hdr[8:16])
		end := off + headerSize + n
		if end > size {
			return off, last, nil // torn: the record runs past the end of the file
		}
		if n > MaxRecord {
			return off, last, &CorruptionError{File: path, Offset: off, Reason: fmt.Sprintf("length %d out of range", n)}
		}
		if cap(payload) < int(n) {
			payload = make([]byte, n)
		}
		payload = payload[:n]
		if _, err := io.ReadFull(r, payload); err != nil {
			return off, last, fmt.Errorf("read wal %s at %d: %w", path, off, err)
		}
		crc := crc32.Update(crc32.Checksum(hdr[8:16], castagnoli), castagnoli, payload)
		if crc != sum {
			if end == size {
				return off, last, nil // torn: last record half-written
			}
			return off, last, &CorruptionError{File: path, Offset: off, Reason: "checksum mismatch"}
		}
		if last != 0 && seq != last+1 {
			return off, last, &CorruptionError{File: path, Offset: off, Reason: fmt.Sprintf("sequence %d after %d", seq, last)}
		}
		if fn != nil && seq >= from {
			if err := fn(seq, payload); err != nil {
				return off, last, err
			}
		}
		last = seq
		off = end
	}
	return off, last, nil
}
