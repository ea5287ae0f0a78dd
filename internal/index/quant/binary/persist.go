package binary

import (
	encbin "encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/needlevdb/needle/internal/corruption"
	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
)

// File layout (docs/format/binary.md).
const (
	fileVersion = 3
	headerSize  = 64
	align       = 64
	chunkBytes  = 64 << 10 // encoding buffer of WriteTo
	nSections   = 4
)

var magic = [8]byte{'N', 'D', 'L', 'B', 'I', 'N', 'Q', 0}

var castagnoli = corruption.Castagnoli

var le = encbin.LittleEndian

// ErrCorrupt is wrapped by every error that reports invalid codes bytes.
var ErrCorrupt = errors.New("binary: corrupt data")

// ErrVersion is wrapped (with ErrCorrupt) by the error that reports an intact file of
// another format version: the codes must be rebuilt from the vectors.
var ErrVersion = errors.New("binary: unsupported codes file version")

// CorruptError reports bytes that fail validation (where and why); it wraps ErrCorrupt.
type CorruptError = corruption.Error

func corrupt(off int64, format string, args ...any) error {
	return corruption.At(ErrCorrupt, off, format, args...)
}

func alignUp(n int64) int64 { return (n + align - 1) &^ (align - 1) }

// span is a section's byte range in the file.
type span struct{ at, end int64 }

// shape is what the header says about the sections' sizes.
type shape struct {
	dim, slots, k int64
	metric        flat.Metric
	query         QueryEncoding
}

// lengths returns the byte length of each section (model, centroids, codes, aux).
func (h shape) lengths() [nSections]int64 {
	var l [nSections]int64
	if h.query == Symmetric {
		l[0] = 4 * h.dim
		l[2] = h.slots * int64(words(int(h.dim))) * 8
		if h.metric == flat.L2 {
			l[3] = 4 * h.slots
		}
		return l
	}
	bits, w := residualShape(int(h.dim))
	l[0] = 4 * int64(rotationLen(int(h.dim), bits))
	l[1] = 4 * h.k * h.dim
	l[2] = h.slots * int64(w) * 8
	return l
}

// layout returns the sections for a header's shape and the file length: each non-empty
// section starts at the next multiple of 64, an empty one is [end, end) of what precedes it.
func layout(h shape) (secs [nSections]span, size int64) {
	size = headerSize
	for i, n := range h.lengths() {
		if n == 0 {
			secs[i] = span{size, size}
			continue
		}
		at := alignUp(size)
		secs[i] = span{at, at + n}
		size = at + n
	}
	return secs, size
}

// section is the content of one section: one of its slices is set.
type section struct {
	u64 []uint64
	f32 []float32
}

// chunks calls emit with the little-endian bytes of sec, at most len(buf) at a time, reusing
// buf.
func chunks(buf []byte, sec section, emit func([]byte) error) error {
	for w := sec.u64; len(w) > 0; {
		n := min(len(w), len(buf)/8)
		for i, x := range w[:n] {
			le.PutUint64(buf[8*i:], x)
		}
		if err := emit(buf[:8*n]); err != nil {
			return err
		}
		w = w[n:]
	}
	for f := sec.f32; len(f) > 0; {
		n := min(len(f), len(buf)/4)
		for i, x := range f[:n] {
			le.PutUint32(buf[4*i:], math.Float32bits(x))
		}
		if err := emit(buf[:4*n]); err != nil {
			return err
		}
		f = f[n:]
	}
	return nil
}

// sections returns the contents of the four sections.
func (c *Codes) sections() [nSections]section {
	q := c.q
	if q.query == Symmetric {
		return [nSections]section{{f32: q.center}, {}, {u64: c.data}, {f32: c.aux}}
	}
	return [nSections]section{{f32: q.rot}, {f32: q.cents}, {u64: c.data}, {}}
}

// WriteTo writes the codes and their quantizer in the format of docs/format/binary.md.
func (c *Codes) WriteTo(w io.Writer) (int64, error) {
	q := c.q
	buf := make([]byte, chunkBytes)
	secs := c.sections()
	head := make([]byte, headerSize)
	copy(head, magic[:])
	le.PutUint32(head[8:], fileVersion)
	le.PutUint32(head[16:], uint32(q.dim))
	head[20] = byte(q.metric)
	head[21] = byte(q.query)
	head[22] = byte(q.cent)
	le.PutUint32(head[24:], uint32(c.n))
	le.PutUint32(head[28:], math.Float32bits(q.radius))
	le.PutUint32(head[32:], uint32(q.k))
	for i, s := range secs {
		var crc uint32
		_ = chunks(buf, s, func(b []byte) error {
			crc = crc32.Update(crc, castagnoli, b)
			return nil
		})
		le.PutUint32(head[36+4*i:], crc)
	}
	le.PutUint32(head[52:], math.Float32bits(c.se))
	le.PutUint32(head[56:], math.Float32bits(c.sw))
	le.PutUint32(head[60:], crc32.Checksum(head[:60], castagnoli))

	cw := &fsx.CountingWriter{W: w}
	err := func() error {
		if _, err := cw.Write(head); err != nil {
			return err
		}
		for _, s := range secs {
			if len(s.u64)+len(s.f32) == 0 {
				continue
			}
			if err := cw.PadTo(align); err != nil {
				return err
			}
			if err := chunks(buf, s, func(p []byte) error { _, err := cw.Write(p); return err }); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		return cw.N, fmt.Errorf("binary: write codes: %w", err)
	}
	return cw.N, nil
}

// Read reads codes written by WriteTo from r, to its end. See Load.
func Read(r io.Reader) (*Codes, error) {
	data, err := fsx.ReadAll(r) // one buffer of the file's size: no growth copies
	if err != nil {
		return nil, fmt.Errorf("binary: read codes: %w", err)
	}
	return Load(data)
}

// Load decodes codes written by WriteTo from data (which it does not keep). Invalid bytes
// give an error wrapping ErrCorrupt, never a panic; nothing larger than data is allocated.
// An intact file of another version (version 1, before the residual codes) gives an error
// wrapping ErrVersion and ErrCorrupt: rebuild the codes.
func Load(data []byte) (*Codes, error) {
	if err := corruption.CheckHeader(ErrCorrupt, data, magic, headerSize, 60); err != nil {
		return nil, err
	}
	h := data[:headerSize]
	if v := le.Uint32(h[8:]); v != fileVersion {
		return nil, fmt.Errorf("binary: codes file version %d not supported (this build reads version %d); rebuild the codes: %w (%w)",
			v, fileVersion, ErrVersion, ErrCorrupt)
	}
	sh := shape{dim: int64(le.Uint32(h[16:])), slots: int64(le.Uint32(h[24:])), k: int64(le.Uint32(h[32:])),
		metric: flat.Metric(h[20]), query: QueryEncoding(h[21])}
	centering := Centering(h[22])
	radius := math.Float32frombits(le.Uint32(h[28:]))
	se, sw := math.Float32frombits(le.Uint32(h[52:])), math.Float32frombits(le.Uint32(h[56:]))
	switch {
	case le.Uint32(h[12:]) != 0:
		return nil, corrupt(12, "flags %#x not zero", le.Uint32(h[12:]))
	case sh.dim < 1 || sh.dim > MaxDim:
		return nil, corrupt(16, "dimension %d out of range 1..%d", sh.dim, MaxDim)
	case sh.metric != flat.InnerProduct && sh.metric != flat.L2:
		return nil, corrupt(20, "unknown metric %d", sh.metric)
	case sh.query > Symmetric:
		return nil, corrupt(21, "unknown query encoding %d", sh.query)
	case centering > CenterNone || sh.query == Asymmetric && centering != CenterMean:
		return nil, corrupt(22, "centering %d invalid for query encoding %s", centering, sh.query)
	case h[23] != 0:
		return nil, corrupt(23, "reserved byte not zero")
	case sh.query == Asymmetric && (sh.k < 1 || sh.k > MaxCentroids):
		return nil, corrupt(32, "%d centroids out of range 1..%d", sh.k, MaxCentroids)
	case sh.query == Asymmetric && radius != 0:
		return nil, corrupt(28, "radius %v of asymmetric codes not zero", radius)
	case sh.query == Symmetric && sh.k != 0:
		return nil, corrupt(32, "%d centroids for symmetric codes", sh.k)
	case sh.query == Symmetric && (se != 0 || sw != 0):
		return nil, corrupt(52, "scales %v and %v of symmetric codes not zero", se, sw)
	case sh.query == Asymmetric && !isScale(se):
		return nil, corrupt(52, "scale of e %v not a power of two", se)
	case sh.query == Asymmetric && !isScale(sw):
		return nil, corrupt(56, "scale of w %v not a power of two", sw)
	}
	secs, size := layout(sh)
	if int64(len(data)) != size {
		return nil, corrupt(int64(len(data)), "file of %d bytes, want %d for %d codes of dimension %d", len(data), size, sh.slots, sh.dim)
	}
	prev := int64(headerSize)
	for i, s := range secs {
		if !allZero(data[min(prev, s.at):s.at]) {
			return nil, corrupt(prev, "padding not zero")
		}
		if got, want := crc32.Checksum(data[s.at:s.end], castagnoli), le.Uint32(h[36+4*i:]); got != want {
			return nil, corrupt(s.at, "section checksum %08x, want %08x", got, want)
		}
		prev = s.end
	}
	c, err := decode(data, sh, centering, radius, secs)
	if err != nil {
		return nil, err
	}
	c.se, c.sw = se, sw
	return c, nil
}

// isScale reports whether x is a power of two halfScale can return.
func isScale(x float32) bool {
	frac, exp := math.Frexp(float64(x))
	return frac == 0.5 && exp-1 >= -126 && exp-1 <= 113
}

// floatsAt returns the n little-endian float32 at off of data, or an error naming the first
// that is not finite.
func floatsAt(data []byte, off int64, n int, what string) ([]float32, error) {
	out := make([]float32, n)
	for i := range out {
		x := math.Float32frombits(le.Uint32(data[off+4*int64(i):]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, corrupt(off+4*int64(i), "%s float %d is %v", what, i, x)
		}
		out[i] = x
	}
	return out, nil
}

// decode builds Codes from checked bytes and validates their values.
func decode(data []byte, sh shape, centering Centering, radius float32, secs [nSections]span) (*Codes, error) {
	dim, slots := int(sh.dim), int(sh.slots)
	q := &Quantizer{dim: dim, metric: sh.metric, query: sh.query, cent: centering, radius: radius}
	var err error
	if sh.query == Symmetric {
		if q.center, err = floatsAt(data, secs[0].at, dim, "centre"); err != nil {
			return nil, err
		}
		for i, x := range q.center {
			if centering == CenterNone && x != 0 {
				return nil, corrupt(secs[0].at+4*int64(i), "centre of dimension %d is %v under centering none", i, x)
			}
		}
		if err := q.validateSigns(); err != nil {
			return nil, corrupt(28, "%v", err)
		}
	} else {
		q.k = int(sh.k)
		q.setShape()
		if q.rot, err = floatsAt(data, secs[0].at, rotationLen(dim, q.bits), "rotation"); err != nil {
			return nil, err
		}
		if q.cents, err = floatsAt(data, secs[1].at, q.k*dim, "centroid"); err != nil {
			return nil, err
		}
	}
	w := q.Words()
	c := &Codes{q: q, n: slots, words: w, data: make([]uint64, slots*w)}
	at := secs[2].at
	for i := range c.data {
		c.data[i] = le.Uint64(data[at+8*int64(i):])
	}
	// The bits between the signs and the end of the code, or the extras of Asymmetric codes,
	// must be zero: pad[i] masks them in word i.
	nb, end := dim, 64*w
	if sh.query == Asymmetric {
		nb, end = q.bits, 64*w-extraBits
	}
	pad := make([]uint64, w)
	for i := range pad {
		if a, b := max(nb-64*i, 0), min(end-64*i, 64); a < b {
			pad[i] = ^uint64(0) >> uint(64-(b-a)) << uint(a)
		}
	}
	for s := range slots {
		for i, m := range pad {
			if c.data[s*w+i]&m != 0 {
				return nil, corrupt(at+8*int64(s*w+i), "code of slot %d has bits set past its %d signs", s, nb)
			}
		}
		last := at + 8*int64((s+1)*w-1)
		if sh.query == Symmetric {
			continue
		}
		k, e, wv := c.extras(s)
		switch {
		case k >= q.k:
			return nil, corrupt(last+2, "slot %d has centroid %d of %d", s, k, q.k)
		case e&0x7c00 == 0x7c00:
			return nil, corrupt(last+4, "slot %d: e is not finite (float16 %#04x)", s, e)
		case wv&0x7c00 == 0x7c00 || wv&0x8000 != 0:
			return nil, corrupt(last+6, "slot %d: w (float16 %#04x) negative or not finite", s, wv)
		}
	}
	if secs[3].end > secs[3].at {
		n := int(secs[3].end-secs[3].at) / 4
		if c.aux, err = floatsAt(data, secs[3].at, n, "per-slot"); err != nil {
			return nil, err
		}
		for i, x := range c.aux {
			if x < 0 {
				return nil, corrupt(secs[3].at+4*int64(i), "per-slot value %d (%v) negative", i, x)
			}
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
