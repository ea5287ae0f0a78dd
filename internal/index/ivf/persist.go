package ivf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"

	"github.com/needlevdb/needle/internal/corruption"
	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/pq"
)

// File layout (docs/format/ivf.md).
const (
	fileVersion = 1
	headerSize  = 64
)

var magic = [8]byte{'N', 'D', 'L', 'I', 'V', 'F', 0, 0}

var castagnoli = corruption.Castagnoli

var le = binary.LittleEndian

// ErrCorrupt is wrapped by every error that reports an invalid index file.
var ErrCorrupt = errors.New("ivf: corrupt index file")

// CorruptError reports bytes that fail validation (where and why); it wraps ErrCorrupt.
type CorruptError = corruption.Error

func corrupt(off int64, format string, args ...any) error {
	return corruption.At(ErrCorrupt, off, format, args...)
}

// WriteTo writes the trained index and its lists (not the float vectors)
// in the format of docs/format/ivf.md, streaming: it encodes the body twice
// through a small buffer, once for the checksum in the header and once to
// w. It writes the lists as they are when it starts (it waits for a
// running Add); later Adds and searches go on meanwhile.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.mu.Lock()
	trained := x.trained.Load()
	lists := make([]*list, x.cfg.Nlist) // immutable once published
	for i := range lists {
		lists[i] = x.lists[i].Load()
	}
	x.mu.Unlock()
	if !trained {
		return 0, errors.New("ivf: WriteTo: index not trained")
	}
	b := body{cent: x.centroids, lists: lists}
	if x.pq != nil {
		b.quant, _ = x.pq.AppendBinary(nil)
	}
	var count uint64
	for _, l := range lists {
		count += uint64(len(l.ids))
	}
	crc := crc32.New(castagnoli)
	b.writeTo(crc) // a hash never fails
	cw := &fsx.CountingWriter{W: w}
	_, err := cw.Write(header(x.cfg, count, len(b.quant), crc.Sum32()))
	if err == nil {
		err = b.writeTo(cw)
	}
	if err != nil {
		return cw.N, fmt.Errorf("ivf: write index: %w", err)
	}
	return cw.N, nil
}

// header returns the file header of an index of cfg with count entries,
// whose body has a quantizer block of qlen bytes and checksum crc.
func header(cfg Config, count uint64, qlen int, crc uint32) []byte {
	head := make([]byte, headerSize)
	copy(head, magic[:])
	le.PutUint32(head[8:], fileVersion)
	le.PutUint32(head[16:], uint32(cfg.Dim))
	head[20] = byte(cfg.Metric)
	le.PutUint32(head[24:], uint32(cfg.Nlist))
	le.PutUint32(head[28:], uint32(cfg.PQM))
	le.PutUint64(head[32:], cfg.Seed)
	le.PutUint64(head[40:], count)
	le.PutUint32(head[48:], uint32(qlen))
	le.PutUint32(head[52:], crc)
	le.PutUint32(head[60:], crc32.Checksum(head[:60], castagnoli))
	return head
}

// writeChunk is the size of WriteTo's encoding buffer.
const writeChunk = 64 << 10

// body is what follows a file's header: the centroids, the quantizer block
// and the lists' lengths, slots and codes.
type body struct {
	cent  []float32
	quant []byte
	lists []*list
}

// writeTo writes the body to w through a buffer of writeChunk bytes.
func (b body) writeTo(w io.Writer) error {
	bw := bufio.NewWriterSize(w, writeChunk)
	for _, c := range b.cent {
		putUint32(bw, math.Float32bits(c))
	}
	bw.Write(b.quant)
	for _, l := range b.lists {
		putUint32(bw, uint32(len(l.ids)))
	}
	for _, l := range b.lists {
		for _, s := range l.ids {
			putUint32(bw, s)
		}
	}
	for _, l := range b.lists {
		bw.Write(l.codes)
	}
	return bw.Flush() // a bufio.Writer keeps its first error
}

// putUint32 writes v little-endian to bw without allocating (nothing once
// bw has failed).
func putUint32(bw *bufio.Writer, v uint32) {
	if bw.Available() < 4 && bw.Flush() != nil {
		return
	}
	bw.Write(le.AppendUint32(bw.AvailableBuffer(), v))
}

// Read reads an index written by WriteTo from r (to its end) and attaches
// vecs, the float vectors it was built over (may be empty for PQ lists
// searched without rescoring). See Load.
func Read(r io.Reader, vecs flat.Vectors) (*Index, error) {
	data, err := io.ReadAll(r) // Load copies what it keeps
	if err != nil {
		return nil, fmt.Errorf("ivf: read index: %w", err)
	}
	return Load(data, vecs)
}

// Load decodes an index written by WriteTo; the index keeps copies of what
// it needs, not data. If vecs holds any vectors (it may
// be empty, for PQ lists searched without rescoring), every listed slot
// must be one of them. Invalid bytes give an error
// wrapping ErrCorrupt, never a panic; allocations are bounded by a small
// multiple of the input plus the quantizer's derived tables (1 KiB per
// dimension, and the precomputed table of Nlist × PQM KiB, which a valid
// header of a small file can ask for: at most MaxPrecomputedBytes).
func Load(data []byte, vecs flat.Vectors) (*Index, error) {
	if err := corruption.CheckHeader(ErrCorrupt, data, magic, headerSize, 60); err != nil {
		return nil, err
	}
	if v := le.Uint32(data[8:]); v != fileVersion {
		return nil, corrupt(8, "unsupported version %d (this build reads version %d)", v, fileVersion)
	}
	if f := le.Uint32(data[12:]); f != 0 {
		return nil, corrupt(12, "unknown flags %#x", f)
	}
	if data[21] != 0 || data[22] != 0 || data[23] != 0 || le.Uint32(data[56:]) != 0 {
		return nil, corrupt(21, "reserved bytes not zero")
	}
	cfg := Config{
		Dim: int(le.Uint32(data[16:])), Metric: flat.Metric(data[20]), Nlist: int(le.Uint32(data[24:])),
		PQM: int(le.Uint32(data[28:])), Seed: le.Uint64(data[32:]),
	}
	count, qlen := le.Uint64(data[40:]), uint64(le.Uint32(data[48:]))
	body := data[headerSize:]
	size := uint64(len(body))
	if cfg.Dim <= 0 || cfg.Dim > maxDim || cfg.Nlist <= 0 || cfg.Nlist > maxNlist || cfg.PQM < 0 || cfg.PQM > cfg.Dim {
		return nil, corrupt(16, "dimension %d, nlist %d or PQM %d out of range", cfg.Dim, cfg.Nlist, cfg.PQM)
	}
	nc := uint64(cfg.Nlist) * uint64(cfg.Dim) * 4
	if (qlen == 0) != (cfg.PQM == 0) {
		return nil, corrupt(48, "quantizer block of %d bytes with PQM = %d", qlen, cfg.PQM)
	}
	// Sizes are checked before anything is allocated.
	if count > size || nc+qlen+uint64(cfg.Nlist)*4+count*(4+uint64(cfg.PQM)) != size {
		return nil, corrupt(40, "%d entries do not fill the %d bytes after the header", count, size)
	}
	x, err := New(cfg)
	if err != nil {
		return nil, corrupt(16, "%v", err)
	}
	if crc := crc32.Checksum(body, castagnoli); crc != le.Uint32(data[52:]) {
		return nil, corrupt(headerSize, "body checksum mismatch")
	}
	off := uint64(0)
	cent := make([]float32, cfg.Nlist*cfg.Dim)
	for i := range cent {
		c := math.Float32frombits(le.Uint32(body[4*i:]))
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return nil, corrupt(headerSize+4*int64(i), "non-finite centroid coordinate")
		}
		cent[i] = c
	}
	off += nc
	var q *pq.Quantizer
	if qlen > 0 {
		q, err = pq.ParseQuantizer(body[off:off+qlen], headerSize+int64(off))
		if err != nil {
			return nil, corrupt(headerSize+int64(off), "quantizer block: %v", err)
		}
		if q.Dim() != cfg.Dim || q.M() != cfg.PQM || q.Metric() != cfg.Metric {
			return nil, corrupt(headerSize+int64(off), "quantizer of dimension %d, M %d, metric %d for an index of %d, %d, %d",
				q.Dim(), q.M(), q.Metric(), cfg.Dim, cfg.PQM, cfg.Metric)
		}
		off += qlen
	}
	lensAt := off
	var sum uint64
	for l := range cfg.Nlist {
		sum += uint64(le.Uint32(body[off+4*uint64(l):]))
	}
	if sum != count {
		return nil, corrupt(headerSize+int64(lensAt), "list lengths add up to %d, not %d", sum, count)
	}
	off += uint64(cfg.Nlist) * 4
	idsAt, codesAt := off, off+count*4
	var nv uint64
	if len(vecs.Data) > 0 {
		if vecs.Dim != cfg.Dim {
			return nil, fmt.Errorf("ivf: Load: vectors of dimension %d for an index of %d", vecs.Dim, cfg.Dim)
		}
		nv = uint64(vecs.Slots())
	}
	m := uint64(cfg.PQM)
	// Every list's codes in one exactly sized copy: a slice of data would keep the whole file
	// (centroids, ids and quantizer, all copied above) alive as long as the index.
	codes := slices.Clone(body[codesAt : codesAt+count*m])
	var done uint64
	for l := range cfg.Nlist {
		n := uint64(le.Uint32(body[lensAt+4*uint64(l):]))
		if n == 0 {
			continue
		}
		li := &list{ids: make([]uint32, n)}
		for i := range li.ids {
			s := le.Uint32(body[idsAt+4*(done+uint64(i)):])
			if nv > 0 && uint64(s) >= nv {
				return nil, corrupt(headerSize+int64(idsAt+4*(done+uint64(i))), "slot %d outside the %d vectors", s, nv)
			}
			li.ids[i] = s
		}
		if m > 0 {
			// Capacity capped: a later add reallocates rather than overwrite the next list.
			li.codes = codes[done*m : (done+n)*m : (done+n)*m]
			if err := pq.CheckCodes(q, li.codes); err != nil {
				return nil, corrupt(headerSize+int64(codesAt+done*m), "list %d: %v", l, err)
			}
		}
		x.lists[l].Store(li)
		done += n
	}
	x.count.Store(int64(count))
	if len(vecs.Data) > 0 {
		x.vecs.Store(&vecs)
	}
	x.install(cent, q)
	return x, nil
}
