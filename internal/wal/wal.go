package wal

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"os"
	"sync"
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

// File is a Log stored in a single file.
type File struct {
	path string

	mu      sync.Mutex
	cond    *sync.Cond
	f       *os.File
	size    int64  // bytes of valid data in the file
	lastSeq uint64 // last sequence number written to the file
	durable uint64 // last sequence number covered by fsync
	syncing bool
	err     error // sticky: set after a failed fsync or close
	buf     []byte
}

// Open opens or creates the log at path. A torn tail (an incomplete or checksum-failing last
// record) is cut off and logged with how many bytes were dropped; damage before the tail is a
// *CorruptionError and the file is left untouched.
func Open(path string, logger *slog.Logger) (*File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open wal: %w", err)
	}
	w := &File{path: path, f: f}
	w.cond = sync.NewCond(&w.mu)
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("stat wal: %w", err)
	}
	if st.Size() == 0 {
		if _, err := f.WriteAt([]byte(magic), 0); err != nil {
			f.Close()
			return nil, fmt.Errorf("init wal: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync wal: %w", err)
		}
		w.size = int64(len(magic))
		return w, nil
	}
	end, last, err := scan(f, path, st.Size(), 0, nil)
	if err != nil {
		f.Close()
		return nil, err
	}
	if end < st.Size() {
		if logger != nil {
			logger.Warn("wal: truncating torn tail", "file", path, "offset", end, "dropped_bytes", st.Size()-end)
		}
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, fmt.Errorf("truncate wal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, fmt.Errorf("sync wal: %w", err)
		}
	}
	w.size, w.lastSeq, w.durable = end, last, last
	return w, nil
}

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

// Append implements Log.
func (w *File) Append(rec []byte) (uint64, error) {
	if len(rec) > MaxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes exceeds the %d byte limit", len(rec), MaxRecord)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return 0, w.err
	}
	seq := w.lastSeq + 1
	need := headerSize + len(rec)
	if cap(w.buf) < need {
		w.buf = make([]byte, need)
	}
	b := w.buf[:need]
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint64(b[8:16], seq)
	copy(b[headerSize:], rec)
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], castagnoli))
	if _, err := w.f.WriteAt(b, w.size); err != nil {
		// Cut any partial record off so the next append does not follow garbage.
		if terr := w.f.Truncate(w.size); terr != nil {
			w.err = fmt.Errorf("wal %s: write failed (%v) and truncate failed: %w", w.path, err, terr)
		}
		return 0, fmt.Errorf("wal append: %w", err)
	}
	if cap(w.buf) > 4<<20 {
		w.buf = nil // do not pin a huge buffer after one big batch
	}
	w.size += int64(need)
	w.lastSeq = seq
	return seq, nil
}

// Sync implements Log with group commit.
func (w *File) Sync(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.durable < seq {
		if w.err != nil {
			return w.err
		}
		if w.syncing {
			w.cond.Wait()
			continue
		}
		w.syncing = true
		target := w.lastSeq
		w.mu.Unlock()
		err := w.f.Sync()
		w.mu.Lock()
		w.syncing = false
		if err != nil {
			w.err = fmt.Errorf("wal %s: fsync failed, log is now read-only: %w", w.path, err)
		} else if target > w.durable {
			w.durable = target
		}
		w.cond.Broadcast()
	}
	return nil
}

// Replay implements Log.
func (w *File) Replay(from uint64, fn func(seq uint64, rec []byte) error) error {
	w.mu.Lock()
	size := w.size
	w.mu.Unlock()
	_, _, err := scan(w.f, w.path, size, from, fn)
	return err
}

// LastSeq implements Log.
func (w *File) LastSeq() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.lastSeq
}

// Close implements Log.
func (w *File) Close() error {
	w.mu.Lock()
	for w.syncing {
		w.cond.Wait()
	}
	if w.err == ErrClosed {
		w.mu.Unlock()
		return nil
	}
	var err error
	if w.err == nil && w.durable < w.lastSeq {
		err = w.f.Sync()
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.err = ErrClosed
	w.cond.Broadcast()
	w.mu.Unlock()
	return err
}
