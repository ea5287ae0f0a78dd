package binary

import (
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
)

// Limits of the format (docs/format/binary.md).
const (
	// MaxDim is the largest dimension a Quantizer accepts.
	MaxDim = 1 << 16
	// MaxSlots is the largest number of codes one Codes holds.
	MaxSlots = 1<<32 - 1
)

// Codes holds one sign code per slot, Words() uint64 words each, back to back. It is
// immutable once built and safe for concurrent use; it implements quant.Codes.
type Codes struct {
	q     *Quantizer
	n     int
	words int
	data  []uint64  // slot s is data[s*words : (s+1)*words]
	aux   []float32 // L2 only: per slot ‖x-c‖² then α (see Quantizer.l2Aux)
}

var _ quant.Codes = (*Codes)(nil)

// Quantizer returns the quantizer the codes were made with.
func (c *Codes) Quantizer() *Quantizer { return c.q }

// Dim returns the dimension of the encoded vectors.
func (c *Codes) Dim() int { return c.q.dim }

// Len returns the number of codes.
func (c *Codes) Len() int { return c.n }

// Words returns the number of uint64 words in one code.
func (c *Codes) Words() int { return c.words }

// auxPerSlot is the number of float32 stored beside each code under L2.
const auxPerSlot = 2

// CodeBytes returns the bytes stored per slot: the code, plus under L2 two float32 (the
// squared distance to the centre and the scale of the reconstruction).
func (c *Codes) CodeBytes() int {
	if c.q.metric == flat.L2 {
		return 8*c.words + 4*auxPerSlot
	}
	return 8 * c.words
}

// MemoryBytes returns the bytes the codes and the quantizer's statistics occupy.
func (c *Codes) MemoryBytes() int64 {
	return int64(c.n)*int64(c.CodeBytes()) + int64(8*c.q.dim)
}

// Code returns the code of slot s (shared, not a copy).
func (c *Codes) Code(s uint32) []uint64 {
	o := int(s) * c.words
	return c.data[o : o+c.words : o+c.words]
}

// Data returns all codes back to back (shared, not a copy).
func (c *Codes) Data() []uint64 { return c.data }

// WithQueryEncoding returns codes that share c's data but score queries with encoding e.
func (c *Codes) WithQueryEncoding(e QueryEncoding) *Codes {
	if e > Symmetric {
		panic("BUG: binary: unknown query encoding")
	}
	q := *c.q
	q.query = e
	cc := *c
	cc.q = &q
	return &cc
}

// NewScorer returns query scratch for these codes (a *Scorer).
func (c *Codes) NewScorer() quant.Scorer { return c.Scorer() }

// Scorer returns query scratch for these codes, typed.
func (c *Codes) Scorer() *Scorer {
	s := &Scorer{c: c}
	if c.q.query == Symmetric {
		s.qcode = make([]uint64, c.words)
		s.sim = make([]float32, c.q.dim+1)
		s.hd = make([]int32, scoreBlock)
	} else {
		s.lut = make([]float32, c.words*8*256)
	}
	return s
}
