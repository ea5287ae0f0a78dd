package binary

import (
	encbin "encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/needlevdb/needle/internal/index/flat"
)

// File layout (docs/format/binary.md).
const (
	fileVersion = 1
	headerSize  = 64
	align       = 64
	chunkBytes  = 64 << 10 // encoding buffer of WriteTo
)

var magic = [8]byte{'N', 'D', 'L', 'B', 'I', 'N', 'Q', 0}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

var le = encbin.LittleEndian

// ErrCorrupt is wrapped by every error that reports invalid codes bytes.
var ErrCorrupt = errors.New("binary: corrupt data")

// CorruptError reports codes bytes that fail validation. It wraps ErrCorrupt.
type CorruptError struct {
	Offset int64 // byte offset of the offending field or section
	Reason string
}

// Error describes the corruption and where it is.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("binary: corrupt data at offset %d: %s", e.Offset, e.Reason)
}

// Unwrap returns ErrCorrupt.
func (e *CorruptError) Unwrap() error { return ErrCorrupt }

func corrupt(off int64, format string, args ...any) error {
	return &CorruptError{Offset: off, Reason: fmt.Sprintf(format, args...)}
}

func alignUp(n int64) int64 { return (n + align - 1) &^ (align - 1) }

// span is a section's byte range in the file.
type span struct{ at, end int64 }

// layout returns the sections (stats, codes, aux) for a header's shape and the file
// length: each section starts at a multiple of 64, an empty one is [size, size).
func layout(dim, slots int64, metric flat.Metric) (secs [3]span, size int64) {
	secs[0] = span{headerSize, headerSize + 8*dim}
	size = secs[0].end
	if slots > 0 {
		at := alignUp(size)
		secs[1] = span{at, at + slots*int64(words(int(dim)))*8}
		size = secs[1].end
		if metric == flat.L2 {
			at = alignUp(size)
			secs[2] = span{at, at + 4*auxPerSlot*slots}
			size = secs[2].end
		}
	}
	for i := range secs {
		if secs[i].end == 0 {
			secs[i] = span{size, size}
		}
	}
	return secs, size
}

// chunks calls emit with the little-endian bytes of words then floats, at most chunkBytes
// at a time, reusing buf.
func chunks(buf []byte, words []uint64, floats []float32, emit func([]byte) error) error {
	for len(words) > 0 {
		n := min(len(words), len(buf)/8)
		for i, w := range words[:n] {
			le.PutUint64(buf[8*i:], w)
		}
		if err := emit(buf[:8*n]); err != nil {
			return err
		}
		words = words[n:]
	}
	for len(floats) > 0 {
		n := min(len(floats), len(buf)/4)
		for i, f := range floats[:n] {
			le.PutUint32(buf[4*i:], math.Float32bits(f))
		}
		if err := emit(buf[:4*n]); err != nil {
			return err
		}
		floats = floats[n:]
	}
	return nil
}

// WriteTo writes the codes and their quantizer in the format of docs/format/binary.md.
func (c *Codes) WriteTo(w io.Writer) (int64, error) {
	q := c.q
	buf := make([]byte, chunkBytes)
	stats := make([]byte, 0, 8*q.dim)
	for _, x := range q.center {
		stats = le.AppendUint32(stats, math.Float32bits(x))
	}
	for _, x := range q.scale {
		stats = le.AppendUint32(stats, math.Float32bits(x))
	}
	crcOf := func(words []uint64, floats []float32) uint32 {
		var crc uint32
		_ = chunks(buf, words, floats, func(b []byte) error {
			crc = crc32.Update(crc, castagnoli, b)
			return nil
		})
		return crc
	}
	head := make([]byte, headerSize)
	copy(head, magic[:])
	le.PutUint32(head[8:], fileVersion)
	le.PutUint32(head[16:], uint32(q.dim))
	head[20] = byte(q.metric)
	head[21] = byte(q.query)
	head[22] = byte(q.cent)
	le.PutUint32(head[24:], uint32(c.n))
	le.PutUint32(head[28:], math.Float32bits(q.radius))
	le.PutUint32(head[32:], crc32.Checksum(stats, castagnoli))
	le.PutUint32(head[36:], crcOf(c.data, nil))
	le.PutUint32(head[40:], crcOf(nil, c.aux))
	le.PutUint32(head[60:], crc32.Checksum(head[:60], castagnoli))

	cw := &countWriter{w: w}
	pad := func() error {
		var zero [align]byte
		if r := cw.n % align; r != 0 {
			_, err := cw.Write(zero[:align-r])
			return err
		}
		return nil
	}
	err := func() error {
		if _, err := cw.Write(head); err != nil {
			return err
		}
		if _, err := cw.Write(stats); err != nil {
			return err
		}
		if c.n == 0 {
			return nil
		}
		if err := pad(); err != nil {
			return err
		}
		if err := chunks(buf, c.data, nil, cw.write); err != nil {
			return err
		}
		if c.aux == nil {
			return nil
		}
		if err := pad(); err != nil {
			return err
		}
		return chunks(buf, nil, c.aux, cw.write)
	}()
	if err != nil {
		return cw.n, fmt.Errorf("binary: write codes: %w", err)
	}
	return cw.n, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func (c *countWriter) write(p []byte) error {
	_, err := c.Write(p)
	return err
}

// Read reads codes written by WriteTo from r, to its end. See Load.
func Read(r io.Reader) (*Codes, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("binary: read codes: %w", err)
	}
	return Load(data)
}

// Load decodes codes written by WriteTo from data (which it does not keep). Invalid bytes
// give an error wrapping ErrCorrupt, never a panic; nothing larger than data is allocated.
func Load(data []byte) (*Codes, error) {
	if len(data) < headerSize {
		return nil, corrupt(0, "%d bytes, shorter than the %d-byte header", len(data), headerSize)
	}
	h := data[:headerSize]
	if [8]byte(h[:8]) != magic {
		return nil, corrupt(0, "bad magic %q", h[:8])
	}
	if v := le.Uint32(h[8:]); v != fileVersion {
		return nil, fmt.Errorf("binary: codes file version %d not supported; rebuild the codes: %w", v, ErrCorrupt)
	}
	if got, want := le.Uint32(h[60:]), crc32.Checksum(h[:60], castagnoli); got != want {
		return nil, corrupt(60, "header checksum %08x, want %08x", got, want)
	}
	dim, slots := int64(le.Uint32(h[16:])), int64(le.Uint32(h[24:]))
	metric, query, centering := flat.Metric(h[20]), QueryEncoding(h[21]), Centering(h[22])
	radius := math.Float32frombits(le.Uint32(h[28:]))
	switch {
	case le.Uint32(h[12:]) != 0:
		return nil, corrupt(12, "flags %#x not zero", le.Uint32(h[12:]))
	case dim < 1 || dim > MaxDim:
		return nil, corrupt(16, "dimension %d out of range 1..%d", dim, MaxDim)
	case metric != flat.InnerProduct && metric != flat.L2:
		return nil, corrupt(20, "unknown metric %d", metric)
	case query > Symmetric:
		return nil, corrupt(21, "unknown query encoding %d", query)
	case centering > CenterNone:
		return nil, corrupt(22, "unknown centering %d", centering)
	case h[23] != 0 || !allZero(h[44:60]):
		return nil, corrupt(23, "reserved bytes not zero")
	}
	secs, size := layout(dim, slots, metric)
	if int64(len(data)) != size {
		return nil, corrupt(int64(len(data)), "file of %d bytes, want %d for %d codes of dimension %d", len(data), size, slots, dim)
	}
	prev := int64(headerSize)
	for i, s := range secs {
		if !allZero(data[min(prev, s.at):s.at]) {
			return nil, corrupt(prev, "padding not zero")
		}
		if got, want := crc32.Checksum(data[s.at:s.end], castagnoli), le.Uint32(h[32+4*i:]); got != want {
			return nil, corrupt(s.at, "section checksum %08x, want %08x", got, want)
		}
		prev = s.end
	}
	return decode(data, int(dim), int(slots), metric, query, centering, radius, secs[1].at, secs[2].at)
}

// decode builds Codes from checked bytes and validates their values.
func decode(data []byte, dim, slots int, metric flat.Metric, query QueryEncoding, centering Centering,
	radius float32, codesAt, auxAt int64) (*Codes, error) {
	q := &Quantizer{dim: dim, metric: metric, query: query, cent: centering, radius: radius,
		center: make([]float32, dim), scale: make([]float32, dim)}
	for i := range dim {
		q.center[i] = math.Float32frombits(le.Uint32(data[headerSize+4*i:]))
		q.scale[i] = math.Float32frombits(le.Uint32(data[headerSize+4*(dim+i):]))
		if centering == CenterNone && q.center[i] != 0 {
			return nil, corrupt(int64(headerSize+4*i), "centre of dimension %d is %v under centering none", i, q.center[i])
		}
	}
	if err := q.validate(); err != nil {
		return nil, corrupt(headerSize, "%v", err)
	}
	q.derive()
	w := words(dim)
	c := &Codes{q: q, n: slots, words: w, data: make([]uint64, slots*w)}
	last := ^uint64(0)
	if r := dim % 64; r != 0 {
		last = 1<<uint(r) - 1
	}
	for i := range c.data {
		c.data[i] = le.Uint64(data[codesAt+8*int64(i):])
	}
	for s := range slots {
		if c.data[(s+1)*w-1]&^last != 0 {
			return nil, corrupt(codesAt+8*int64((s+1)*w-1), "code of slot %d has bits set past dimension %d", s, dim)
		}
	}
	if metric == flat.L2 {
		c.aux = make([]float32, auxPerSlot*slots)
		for i := range c.aux {
			x := math.Float32frombits(le.Uint32(data[auxAt+4*int64(i):]))
			if !(x >= 0) || math.IsInf(float64(x), 0) {
				return nil, corrupt(auxAt+4*int64(i), "value %v of slot %d not finite and non-negative", x, i/auxPerSlot)
			}
			c.aux[i] = x
		}
	}
	return c, nil
}

func allZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}
