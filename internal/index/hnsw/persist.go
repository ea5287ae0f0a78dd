package hnsw

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"unsafe"

	"github.com/needlevdb/needle/internal/corruption"
	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
)

// File layout constants (docs/format/hnsw.md).
const (
	fileVersion = 1
	headerSize  = 64
	sections    = 8
	tableSize   = sections * 24
	sectionsAt  = headerSize + tableSize // 256, a multiple of 64
	align       = 64
	maxDim      = 1 << 16
	// flagLossless (header flags bit 0): every inserted vector equals its
	// int8 code's reconstruction lo + step*c.
	flagLossless = 1
	// flagClamped (bit 1): some inserted vector's int8 code was clamped to
	// its dimension's range (searches then rescore every candidate).
	flagClamped = 2
)

var magic = [8]byte{'N', 'D', 'L', 'H', 'N', 'S', 'W', 0}

var castagnoli = corruption.Castagnoli

// Section numbers.
const (
	secLevels = iota
	secLinks0
	secUpper
	secInserted
	secDeleted
	secQuantizer
	secCodes
)

// CorruptError reports bytes that fail validation (where and why); it wraps ErrCorrupt.
type CorruptError = corruption.Error

func corrupt(off int64, format string, args ...any) error {
	return corruption.At(ErrCorrupt, off, format, args...)
}

var littleEndian = func() bool { x := uint16(1); return *(*byte)(unsafe.Pointer(&x)) == 1 }()

// wordBytes returns the bytes of s in little-endian order: a view on
// little-endian machines, a copy elsewhere.
func wordBytes[T uint32 | uint64 | float32](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	size := int(unsafe.Sizeof(s[0]))
	if littleEndian {
		return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), len(s)*size)
	}
	b := make([]byte, len(s)*size)
	for i, v := range s {
		switch size {
		case 4:
			var u uint32
			switch w := any(v).(type) {
			case uint32:
				u = w
			case float32:
				u = math.Float32bits(w)
			}
			binary.LittleEndian.PutUint32(b[4*i:], u)
		case 8:
			binary.LittleEndian.PutUint64(b[8*i:], uint64(any(v).(uint64)))
		}
	}
	return b
}

// WriteTo writes the index in the format of docs/format/hnsw.md. It waits
// for running inserts and deletes and holds further ones off until done;
// searches continue.
func (x *Index) WriteTo(w io.Writer) (int64, error) {
	x.writers.Lock()
	defer x.writers.Unlock()
	x.grow.RLock()
	defer x.grow.RUnlock()

	var secs [sections][][]byte
	secs[secLevels] = [][]byte{x.levels}
	secs[secLinks0] = [][]byte{wordBytes(x.links0)}
	for s, lv := range x.levels {
		if lv > 1 {
			off := x.upperOff[s] - 1
			for l := 1; l < int(lv); l++ {
				secs[secUpper] = append(secs[secUpper], wordBytes(x.upper.row(off, l)))
			}
		}
	}
	secs[secInserted] = [][]byte{wordBytes(x.inserted.words)}
	secs[secDeleted] = [][]byte{wordBytes(x.deleted.words)}
	if x.quant != nil {
		q := append(append([]float32(nil), x.quant.lo...), x.quant.step)
		secs[secQuantizer] = [][]byte{wordBytes(q)}
		secs[secCodes] = [][]byte{x.codes}
	}

	head := make([]byte, sectionsAt)
	copy(head, magic[:])
	le := binary.LittleEndian
	le.PutUint32(head[8:], fileVersion)
	var flags uint32
	if x.quant != nil && !x.lossy.Load() {
		flags |= flagLossless
	}
	if x.quant != nil && x.clamped.Load() {
		flags |= flagClamped
	}
	le.PutUint32(head[12:], flags)
	le.PutUint32(head[16:], uint32(x.dim))
	head[20] = byte(x.cfg.Metric)
	head[21] = byte(x.cfg.Quantization)
	le.PutUint32(head[24:], uint32(x.m))
	le.PutUint32(head[28:], uint32(x.cfg.EfConstruct))
	le.PutUint64(head[32:], x.cfg.Seed)
	le.PutUint32(head[40:], uint32(x.nslots))
	entry, level, ok := unpackEntry(x.entry.Load())
	if !ok {
		entry, level = 0, -1
	}
	le.PutUint32(head[44:], entry)
	le.PutUint32(head[48:], uint32(int32(level)))
	le.PutUint32(head[52:], uint32(x.count.Load()))
	le.PutUint32(head[56:], uint32(x.ndeleted.Load()))
	off := int64(sectionsAt)
	for i, parts := range secs {
		var n int64
		crc := uint32(0)
		for _, p := range parts {
			n += int64(len(p))
			crc = crc32.Update(crc, castagnoli, p)
		}
		t := head[headerSize+24*i:]
		if n > 0 {
			le.PutUint64(t, uint64(off))
		}
		le.PutUint64(t[8:], uint64(n))
		le.PutUint32(t[16:], crc)
		off = alignUp(off + n)
	}
	crc := crc32.Checksum(head[:60], castagnoli)
	crc = crc32.Update(crc, castagnoli, head[headerSize:])
	le.PutUint32(head[60:], crc)

	cw := &fsx.CountingWriter{W: w}
	if _, err := cw.Write(head); err != nil {
		return cw.N, fmt.Errorf("hnsw: write index: %w", err)
	}
	for _, parts := range secs {
		for _, p := range parts {
			if _, err := cw.Write(p); err != nil {
				return cw.N, fmt.Errorf("hnsw: write index: %w", err)
			}
		}
		if err := cw.PadTo(align); err != nil {
			return cw.N, fmt.Errorf("hnsw: write index: %w", err)
		}
	}
	return cw.N, nil
}

func alignUp(n int64) int64 { return (n + align - 1) &^ (align - 1) }

// Read reads an index written by WriteTo from r (to its end) and attaches
// it to vecs. See Load.
func Read(r io.Reader, vecs Vectors) (*Index, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("hnsw: read index: %w", err)
	}
	return Load(data, vecs)
}

// Load decodes an index written by WriteTo and attaches it to vecs, the
// same vectors it was built over (vectors appended since are fine). The
// index copies what it needs from data. Every count and id is validated; a
// damaged or hostile file returns an error wrapping ErrCorrupt (a
// *CorruptError with the offset), never a panic.
func Load(data []byte, vecs Vectors) (*Index, error) {
	le := binary.LittleEndian
	if len(data) < sectionsAt {
		return nil, corrupt(0, "file of %d bytes is shorter than the header", len(data))
	}
	if !bytes.Equal(data[:8], magic[:]) {
		return nil, corrupt(0, "bad magic %q", data[:8])
	}
	if v := le.Uint32(data[8:]); v != fileVersion {
		return nil, fmt.Errorf("hnsw: index file version %d not supported (this build reads %d); rebuild the index: %w",
			v, fileVersion, ErrCorrupt)
	}
	crc := crc32.Checksum(data[:60], castagnoli)
	crc = crc32.Update(crc, castagnoli, data[headerSize:sectionsAt])
	if crc != le.Uint32(data[60:]) {
		return nil, corrupt(60, "header checksum mismatch")
	}
	flags := le.Uint32(data[12:])
	if flags&^(flagLossless|flagClamped) != 0 {
		return nil, corrupt(12, "unknown flags %#x", flags)
	}
	dim := int(le.Uint32(data[16:]))
	metric, quant := Metric(data[20]), Quantization(data[21])
	m := int(le.Uint32(data[24:]))
	efc := int(le.Uint32(data[28:]))
	seed := le.Uint64(data[32:])
	slots := int(le.Uint32(data[40:]))
	entry := le.Uint32(data[44:])
	entryLevel := int(int32(le.Uint32(data[48:])))
	count, ndel := int64(le.Uint32(data[52:])), int64(le.Uint32(data[56:]))
	switch {
	case dim < 1 || dim > maxDim:
		return nil, corrupt(16, "dimension %d", dim)
	case metric != flat.L2 && metric != flat.InnerProduct:
		return nil, corrupt(20, "metric %d", metric)
	case quant > Int8:
		return nil, corrupt(21, "quantization %d", quant)
	case flags != 0 && quant != Int8:
		return nil, corrupt(12, "int8 flags %#x without int8 codes", flags)
	case m < 2 || m > MaxM:
		return nil, corrupt(24, "M %d", m)
	case efc < 1 || efc > 1<<20:
		return nil, corrupt(28, "ef_construct %d", efc)
	case entryLevel < -1 || entryLevel > maxLevel:
		return nil, corrupt(48, "entry level %d", entryLevel)
	}
	if vecs.Dim != dim && len(vecs.Data) > 0 {
		return nil, fmt.Errorf("hnsw: load: vectors have dimension %d, index %d", vecs.Dim, dim)
	}
	stride := 0
	if quant == Int8 {
		stride = codeStride(dim)
	}

	// Section table: in order, aligned, inside the file, checksummed.
	var sec [sections][]byte
	prevEnd := int64(sectionsAt)
	for i := range sec {
		t := data[headerSize+24*i:]
		off, n := int64(le.Uint64(t)), int64(le.Uint64(t[8:]))
		at := int64(headerSize + 24*i)
		if n == 0 {
			if off != 0 || le.Uint32(t[16:]) != 0 {
				return nil, corrupt(at, "empty section %d with offset or checksum", i)
			}
			continue
		}
		if off < prevEnd || off%align != 0 || n < 0 || off > int64(len(data)) || n > int64(len(data))-off {
			return nil, corrupt(at, "section %d at %d+%d outside the file or out of order", i, off, n)
		}
		sec[i] = data[off : off+n]
		if crc32.Checksum(sec[i], castagnoli) != le.Uint32(t[16:]) {
			return nil, corrupt(off, "section %d checksum mismatch", i)
		}
		prevEnd = off + n
	}
	if alignUp(prevEnd) != int64(len(data)) && prevEnd != int64(len(data)) {
		return nil, corrupt(prevEnd, "%d bytes after the last section", int64(len(data))-prevEnd)
	}
	words := (slots + 63) / 64
	want := [sections]int64{
		secLevels: int64(slots), secLinks0: int64(slots) * int64(2*m) * 4,
		secInserted: int64(words) * 8, secDeleted: int64(words) * 8,
	}
	if quant == Int8 {
		want[secQuantizer] = int64(dim)*4 + 4
		want[secCodes] = int64(slots) * int64(stride)
	}
	upperWords := int64(0)
	if len(sec[secLevels]) == slots {
		for _, lv := range sec[secLevels] {
			if lv > 1 {
				upperWords += int64(lv-1) * int64(m)
			}
		}
	}
	want[secUpper] = upperWords * 4
	for i := range sec {
		if int64(len(sec[i])) != want[i] {
			return nil, corrupt(int64(headerSize+24*i), "section %d has %d bytes, want %d", i, len(sec[i]), want[i])
		}
	}

	cfg := Config{Dim: dim, Metric: metric, M: m, EfConstruct: efc, Seed: seed, Quantization: quant}
	x, err := New(cfg, Vectors{Dim: dim})
	if err != nil {
		return nil, corrupt(0, "%v", err)
	}
	x.resize(slots)
	x.vecs = vecs.Data
	copy(x.levels, sec[secLevels])
	readWords(x.links0, sec[secLinks0])
	readWords(x.inserted.words, sec[secInserted])
	readWords(x.deleted.words, sec[secDeleted])
	if quant == Int8 {
		q := make([]float32, dim+1)
		readWords(q, sec[secQuantizer])
		if x.quant, err = newQuantizerFrom(q[:dim], q[dim]); err != nil {
			return nil, corrupt(sectionOffset(data, secQuantizer), "%v", err)
		}
		copy(x.codes, sec[secCodes])
		x.lossy.Store(flags&flagLossless == 0)
		x.clamped.Store(flags&flagClamped != 0)
	}
	up := sec[secUpper]
	for s, lv := range x.levels {
		if lv > 1 {
			off := x.upper.alloc(int(lv) - 1)
			x.upperOff[s] = off + 1
			for l := 1; l < int(lv); l++ {
				n := 4 * m
				readWords(x.upper.row(off, l), up[:n])
				up = up[n:]
			}
		}
	}
	if err := x.validate(data, entry, entryLevel, count, ndel, len(vecs.Data)/dim); err != nil {
		return nil, err
	}
	if entryLevel >= 0 {
		x.entry.Store(packEntry(entry, entryLevel))
	}
	x.count.Store(count)
	x.ndeleted.Store(ndel)
	return x, nil
}

func sectionOffset(data []byte, i int) int64 {
	return int64(binary.LittleEndian.Uint64(data[headerSize+24*i:]))
}

// readWords decodes little-endian words from b into s (len(b) = 4 or 8 ×
// len(s)).
func readWords[T uint32 | uint64 | float32](s []T, b []byte) {
	if len(s) == 0 {
		return
	}
	if littleEndian {
		copy(wordBytes(s), b)
		return
	}
	for i := range s {
		switch p := any(&s[i]).(type) {
		case *uint32:
			*p = binary.LittleEndian.Uint32(b[4*i:])
		case *float32:
			*p = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		case *uint64:
			*p = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
}

// validate checks the graph invariants of a freshly loaded index before it
// is used (docs/format/hnsw.md, "Validation on load").
func (x *Index) validate(data []byte, entry uint32, entryLevel int, count, ndel int64, nvecs int) error {
	var inserted, deleted int64
	top := -1
	for s := 0; s < x.nslots; s++ {
		lv := int(x.levels[s]) - 1
		in := x.inserted.get(uint32(s))
		if lv > maxLevel {
			return corrupt(sectionOffset(data, secLevels)+int64(s), "slot %d has level %d", s, lv)
		}
		if (lv >= 0) != in {
			return corrupt(sectionOffset(data, secInserted), "slot %d: level %d but inserted=%v", s, lv, in)
		}
		if x.deleted.get(uint32(s)) {
			if !in {
				return corrupt(sectionOffset(data, secDeleted), "slot %d deleted but not inserted", s)
			}
			deleted++
		}
		if !in {
			if x.list0(uint32(s))[0] != none {
				return corrupt(sectionOffset(data, secLinks0), "slot %d not inserted but has neighbours", s)
			}
			continue
		}
		inserted++
		top = max(top, lv)
		if s >= nvecs {
			return fmt.Errorf("hnsw: load: slot %d is inserted but the vectors hold %d: %w", s, nvecs, ErrNoVector)
		}
		for l := 0; l <= lv; l++ {
			row := x.list(uint32(s), l)
			end := false
			for _, id := range row {
				if id == none {
					end = true
					continue
				}
				if end {
					return corrupt(sectionOffset(data, secLinks0), "slot %d level %d: id after the end of the list", s, l)
				}
				if int(id) >= x.nslots || id == uint32(s) || int(x.levels[id])-1 < l {
					return corrupt(sectionOffset(data, secLinks0), "slot %d level %d: bad neighbour %d", s, l, id)
				}
			}
		}
	}
	// Bits beyond the slots must be clear.
	for s := x.nslots; s < 64*len(x.inserted.words); s++ {
		if x.inserted.get(uint32(s)) || x.deleted.get(uint32(s)) {
			return corrupt(sectionOffset(data, secInserted), "bit %d set beyond %d slots", s, x.nslots)
		}
	}
	if inserted != count || deleted != ndel {
		return corrupt(52, "counts %d/%d, bitmaps hold %d/%d", count, ndel, inserted, deleted)
	}
	if entryLevel != top || top >= 0 && (int(entry) >= x.nslots || int(x.levels[entry])-1 != top) {
		return corrupt(44, "entry point %d at level %d, highest level %d", entry, entryLevel, top)
	}
	return nil
}
