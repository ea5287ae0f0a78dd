package pq

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"

	"github.com/needlevdb/needle/internal/corruption"
	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
)

// File layout (docs/format/pq.md).
const (
	fileVersion = 1
	headerSize  = 48
	// quantHeader is the size of the fixed part of a quantizer block.
	quantHeader = 16
	maxDim      = 1 << 16
)

var magic = [8]byte{'N', 'D', 'L', 'P', 'Q', 0, 0, 0}

var castagnoli = corruption.Castagnoli

// ErrCorrupt is wrapped by every error that reports invalid PQ bytes.
var ErrCorrupt = errors.New("pq: corrupt data")

// CorruptError reports bytes that fail validation (where and why); it wraps ErrCorrupt.
type CorruptError = corruption.Error

func corrupt(off int64, format string, args ...any) error {
	return corruption.At(ErrCorrupt, off, format, args...)
}

var le = binary.LittleEndian

// AppendBinary appends the quantizer block of docs/format/pq.md (shape,
// metric and codebooks) to b. It never fails.
func (q *Quantizer) AppendBinary(b []byte) ([]byte, error) {
	b = le.AppendUint32(b, uint32(q.dim))
	b = le.AppendUint32(b, uint32(q.m))
	b = le.AppendUint32(b, uint32(q.ksub))
	b = append(b, byte(q.metric), 0, 0, 0)
	for _, x := range q.cent {
		b = le.AppendUint32(b, math.Float32bits(x))
	}
	return b, nil
}

// ParseQuantizer decodes a quantizer block written by AppendBinary, which
// must fill b exactly. Offsets in errors count from base.
func ParseQuantizer(b []byte, base int64) (*Quantizer, error) {
	if len(b) < quantHeader {
		return nil, corrupt(base, "quantizer block of %d bytes, want at least %d", len(b), quantHeader)
	}
	dim, m, ksub := int64(le.Uint32(b)), int64(le.Uint32(b[4:])), int64(le.Uint32(b[8:]))
	metric := flat.Metric(b[12])
	switch {
	case dim < 1 || dim > maxDim:
		return nil, corrupt(base, "dimension %d out of range", dim)
	case m < 1 || m > dim || dim%m != 0:
		return nil, corrupt(base+4, "M = %d does not divide dimension %d", m, dim)
	case ksub < 1 || ksub > KsubMax:
		return nil, corrupt(base+8, "codebook size %d out of range", ksub)
	case metric != flat.L2 && metric != flat.InnerProduct:
		return nil, corrupt(base+12, "unknown metric %d", metric)
	case b[13] != 0 || b[14] != 0 || b[15] != 0:
		return nil, corrupt(base+13, "reserved bytes not zero")
	}
	want := quantHeader + m*ksub*(dim/m)*4
	if int64(len(b)) != want {
		return nil, corrupt(base, "quantizer block of %d bytes, want %d", len(b), want)
	}
	cent := make([]float32, m*ksub*(dim/m))
	for i := range cent {
		x := math.Float32frombits(le.Uint32(b[quantHeader+4*i:]))
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, corrupt(base+quantHeader+4*int64(i), "non-finite centroid coordinate")
		}
		cent[i] = x
	}
	return newQuantizer(int(dim), int(m), int(ksub), metric, cent), nil
}

// WriteTo writes the codes and their quantizer in the format of
// docs/format/pq.md.
func (c *Codes) WriteTo(w io.Writer) (int64, error) {
	qb, _ := c.q.AppendBinary(nil)
	head := make([]byte, headerSize)
	copy(head, magic[:])
	le.PutUint32(head[8:], fileVersion)
	le.PutUint64(head[16:], uint64(c.Len()))
	le.PutUint32(head[24:], uint32(len(qb)))
	crc := crc32.Update(crc32.Checksum(qb, castagnoli), castagnoli, c.codes)
	le.PutUint32(head[28:], crc)
	le.PutUint32(head[44:], crc32.Checksum(head[:44], castagnoli))
	var n int64
	for _, p := range [][]byte{head, qb, c.codes} {
		k, err := w.Write(p)
		n += int64(k)
		if err != nil {
			return n, fmt.Errorf("pq: write codes: %w", err)
		}
	}
	return n, nil
}

// Read reads codes written by WriteTo from r, to its end. Invalid bytes
// give an error wrapping ErrCorrupt, never a panic; allocations are bounded
// by a small multiple of the input plus 1 KiB per dimension (the
// quantizer's transposed codebooks).
func Read(r io.Reader) (*Codes, error) {
	data, err := fsx.ReadAll(r) // exactly sized: the codes are kept in place
	if err != nil {
		return nil, fmt.Errorf("pq: read codes: %w", err)
	}
	return Load(data)
}

// Load decodes codes written by WriteTo from data; the Codes keep data's
// code bytes (do not modify data afterwards).
func Load(data []byte) (*Codes, error) {
	if err := corruption.CheckHeader(ErrCorrupt, data, magic, headerSize, 44); err != nil {
		return nil, err
	}
	if v := le.Uint32(data[8:]); v != fileVersion {
		return nil, corrupt(8, "unsupported version %d (this build reads version %d)", v, fileVersion)
	}
	if le.Uint32(data[12:]) != 0 {
		return nil, corrupt(12, "unknown flags %#x", le.Uint32(data[12:]))
	}
	for i := 32; i < 44; i++ {
		if data[i] != 0 {
			return nil, corrupt(int64(i), "reserved bytes not zero")
		}
	}
	n, qlen := le.Uint64(data[16:]), uint64(le.Uint32(data[24:]))
	body := data[headerSize:]
	if qlen > uint64(len(body)) {
		return nil, corrupt(24, "quantizer block of %d bytes overruns the file", qlen)
	}
	if crc := crc32.Checksum(body, castagnoli); crc != le.Uint32(data[28:]) {
		return nil, corrupt(headerSize, "body checksum mismatch")
	}
	q, err := ParseQuantizer(body[:qlen], headerSize)
	if err != nil {
		return nil, err
	}
	codes := body[qlen:]
	if n > uint64(len(codes)) || uint64(len(codes)) != n*uint64(q.m) {
		return nil, corrupt(16, "%d codes of %d bytes do not fill the %d bytes left", n, q.m, len(codes))
	}
	if err := CheckCodes(q, codes); err != nil {
		var ce *CorruptError
		if errors.As(err, &ce) {
			ce.Offset += headerSize + int64(qlen)
		}
		return nil, err
	}
	return &Codes{q: q, codes: codes}, nil
}

// CheckCodes returns an error wrapping ErrCorrupt (with the offset in
// codes) if a code byte names a centroid past q's codebooks, which only
// corrupt input can.
func CheckCodes(q *Quantizer, codes []byte) error {
	if q.ksub == KsubMax {
		return nil
	}
	for i, c := range codes {
		if int(c) >= q.ksub {
			return corrupt(int64(i), "code %d of subspace %d beyond the codebook of %d", c, i%q.m, q.ksub)
		}
	}
	return nil
}
