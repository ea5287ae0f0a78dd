package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/needlevdb/needle/internal/fsx"
)

// Dir is a Log stored as a directory of files, each named by the sequence number of its first
// record (zero-padded, ".log"). Appends go to the last file; Rotate starts a new one; TruncateBefore
// deletes old ones after a checkpoint made them unnecessary.
type Dir struct {
	dir    string
	logger *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	files   []*logFile // oldest first; the last is active
	lastSeq uint64     // last sequence number written
	durable uint64     // last sequence number covered by fsync
	syncing bool
	err     error // sticky: a failed fsync or close
	buf     []byte
}

type logFile struct {
	path  string
	first uint64 // sequence number of the first record this file holds or will hold
	f     *os.File
	size  int64
}

func fileName(first uint64) string { return fmt.Sprintf("%020d.log", first) }

// Open opens (creating if needed) the log in dir. Files are checked in order: every record's
// checksum, and sequence numbers continuing across files. A torn tail of the last file is cut off
// with a warning; any other damage is a *CorruptionError and nothing is modified. An empty
// directory starts at sequence number next.
func Open(dir string, next uint64, logger *slog.Logger) (*Dir, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create wal dir: %w", err)
	}
	d := &Dir{dir: dir, logger: logger}
	d.cond = sync.NewCond(&d.mu)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read wal dir: %w", err)
	}
	var firsts []uint64
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".log") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(name, ".log"), 10, 64)
		if err != nil {
			return nil, &CorruptionError{File: filepath.Join(dir, name), Reason: "unexpected file name in wal directory"}
		}
		firsts = append(firsts, n)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	if len(firsts) == 0 {
		if next == 0 {
			next = 1
		}
		if err := d.create(next); err != nil {
			return nil, err
		}
		d.lastSeq, d.durable = next-1, next-1
		return d, nil
	}
	for i, first := range firsts {
		last := i == len(firsts)-1
		lf, lastSeq, err := openFile(filepath.Join(dir, fileName(first)), first, last, logger)
		if err != nil {
			d.closeFiles()
			return nil, err
		}
		d.files = append(d.files, lf)
		if i > 0 && first != d.lastSeq+1 {
			d.closeFiles()
			return nil, &CorruptionError{File: lf.path, Reason: fmt.Sprintf("file starts at sequence %d but the previous file ends at %d", first, d.lastSeq)}
		}
		d.lastSeq = lastSeq
	}
	d.durable = d.lastSeq
	return d, nil
}

// openFile validates one file and returns it with the sequence number of its last record
// (first-1 if it holds none). Only the active (last) file may have its torn tail repaired.
func openFile(path string, first uint64, active bool, logger *slog.Logger) (*logFile, uint64, error) {
	flag := os.O_RDONLY
	if active {
		flag = os.O_RDWR
	}
	f, err := os.OpenFile(path, flag, 0)
	if err != nil {
		return nil, 0, fmt.Errorf("open wal file: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat wal file: %w", err)
	}
	if active && st.Size() < int64(len(magic)) {
		// Created but its header never became durable: rewrite the header.
		if err := writeHeader(f); err != nil {
			f.Close()
			return nil, 0, err
		}
		return &logFile{path: path, first: first, f: f, size: int64(len(magic))}, first - 1, nil
	}
	end, last, err := scan(f, path, st.Size(), 0, nil)
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	if last == 0 {
		last = first - 1
	} else if firstSeqOf(f) != first {
		f.Close()
		return nil, 0, &CorruptionError{File: path, Offset: int64(len(magic)), Reason: "first record's sequence number does not match the file name"}
	}
	if end < st.Size() {
		if !active {
			f.Close()
			return nil, 0, &CorruptionError{File: path, Offset: end, Reason: "incomplete record in a closed wal file"}
		}
		logger.Warn("wal: truncating torn tail", "file", path, "offset", end, "dropped_bytes", st.Size()-end)
		if err := f.Truncate(end); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("truncate wal tail: %w", err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, 0, fmt.Errorf("sync wal: %w", err)
		}
	}
	// Closed files are only read from now on; their descriptors serve Replay.
	return &logFile{path: path, first: first, f: f, size: end}, last, nil
}

func firstSeqOf(f *os.File) uint64 {
	var hdr [headerSize]byte
	if _, err := f.ReadAt(hdr[:], int64(len(magic))); err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(hdr[8:16])
}

func writeHeader(f *os.File) error {
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("init wal file: %w", err)
	}
	if _, err := f.WriteAt([]byte(magic), 0); err != nil {
		return fmt.Errorf("init wal file: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync wal file: %w", err)
	}
	return nil
}

// create adds a new active file whose first record will have sequence number first.
func (d *Dir) create(first uint64) error {
	path := filepath.Join(d.dir, fileName(first))
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("create wal file: %w", err)
	}
	if err := writeHeader(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := fsx.SyncDir(d.dir); err != nil {
		f.Close()
		return err
	}
	d.files = append(d.files, &logFile{path: path, first: first, f: f, size: int64(len(magic))})
	return nil
}

func (d *Dir) active() *logFile { return d.files[len(d.files)-1] }

// Append implements Log.
func (d *Dir) Append(rec []byte) (uint64, error) {
	if len(rec) > MaxRecord {
		return 0, fmt.Errorf("wal: record of %d bytes exceeds the %d byte limit", len(rec), MaxRecord)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return 0, d.err
	}
	seq := d.lastSeq + 1
	need := headerSize + len(rec)
	if cap(d.buf) < need {
		d.buf = make([]byte, need)
	}
	b := d.buf[:need]
	binary.LittleEndian.PutUint32(b[0:4], uint32(len(rec)))
	binary.LittleEndian.PutUint64(b[8:16], seq)
	copy(b[headerSize:], rec)
	binary.LittleEndian.PutUint32(b[4:8], crc32.Checksum(b[8:], castagnoli))
	lf := d.active()
	if n, err := lf.f.WriteAt(b, lf.size); err != nil {
		// Cut any partial record off so the next append does not follow garbage. If that fails
		// too, refuse later appends: the file may end in a partial record.
		if terr := lf.f.Truncate(lf.size); terr != nil && n > 0 {
			d.err = fmt.Errorf("wal %s: write failed (%v) and truncate failed: %w", lf.path, err, terr)
		}
		return 0, fmt.Errorf("wal append: %w", err)
	}
	if cap(d.buf) > 4<<20 {
		d.buf = nil // do not pin a huge buffer after one big batch
	}
	lf.size += int64(need)
	d.lastSeq = seq
	return seq, nil
}

// Sync implements Log with group commit.
func (d *Dir) Sync(seq uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.durable < seq {
		if d.err != nil {
			return d.err
		}
		if d.syncing {
			d.cond.Wait()
			continue
		}
		d.syncing = true
		target, f := d.lastSeq, d.active().f
		d.mu.Unlock()
		err := f.Sync()
		d.mu.Lock()
		d.syncing = false
		if err != nil {
			d.err = fmt.Errorf("wal %s: fsync failed, log is now read-only: %w", d.dir, err)
		} else if target > d.durable {
			d.durable = target
		}
		d.cond.Broadcast()
	}
	return nil
}

// Rotate implements Log: it syncs the active file and starts a new one.
func (d *Dir) Rotate() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.syncing {
		d.cond.Wait()
	}
	if d.err != nil {
		return d.err
	}
	if d.active().first == d.lastSeq+1 {
		return nil // the active file is still empty
	}
	if err := d.active().f.Sync(); err != nil {
		d.err = fmt.Errorf("wal %s: fsync failed, log is now read-only: %w", d.dir, err)
		return d.err
	}
	d.durable = d.lastSeq
	return d.create(d.lastSeq + 1)
}

// TruncateBefore implements Log. The active file is never removed.
func (d *Dir) TruncateBefore(seq uint64) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	keep := 0
	for keep < len(d.files)-1 && d.files[keep+1].first <= seq {
		keep++
	}
	if keep == 0 {
		return nil
	}
	for _, lf := range d.files[:keep] {
		lf.f.Close()
		if err := os.Remove(lf.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove wal file: %w", err)
		}
	}
	d.files = append([]*logFile(nil), d.files[keep:]...)
	return fsx.SyncDir(d.dir)
}

// Replay implements Log.
func (d *Dir) Replay(from uint64, fn func(seq uint64, rec []byte) error) error {
	d.mu.Lock()
	files := make([]logFile, len(d.files))
	for i, lf := range d.files {
		files[i] = *lf
	}
	d.mu.Unlock()
	for i, lf := range files {
		if i+1 < len(files) && files[i+1].first <= from {
			continue // every record of this file is before from
		}
		if _, _, err := scan(lf.f, lf.path, lf.size, from, fn); err != nil {
			return err
		}
	}
	return nil
}

// LastSeq implements Log.
func (d *Dir) LastSeq() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.lastSeq
}

// Files returns the paths of the log's files, oldest first (for snapshots and checks).
func (d *Dir) Files() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]string, len(d.files))
	for i, lf := range d.files {
		out[i] = lf.path
	}
	return out
}

// Close implements Log.
func (d *Dir) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for d.syncing {
		d.cond.Wait()
	}
	if d.err == ErrClosed {
		return nil
	}
	var err error
	if d.err == nil && d.durable < d.lastSeq {
		err = d.active().f.Sync()
	}
	if cerr := d.closeFiles(); err == nil {
		err = cerr
	}
	d.err = ErrClosed
	d.cond.Broadcast()
	return err
}

func (d *Dir) closeFiles() error {
	var first error
	for _, lf := range d.files {
		if err := lf.f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
