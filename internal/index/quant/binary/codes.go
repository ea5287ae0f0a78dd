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

// Codes holds one code per slot, Words() uint64 words each, back to back. A Symmetric code
// is the sign bits (and under L2 a float32 per slot beside them); an Asymmetric code is the
// sign bits (Bits() of them) followed, in the top 48 bits of its last word, by the slot's
// centroid id (uint16) and the two float16 of its estimate, e/se and w/sw (encodeResidual).
// It is immutable once built and safe for concurrent use; it implements quant.Codes.
type Codes struct {
	q      *Quantizer
	n      int
	words  int
	data   []uint64  // slot s is data[s*words : (s+1)*words]
	aux    []float32 // Symmetric L2: ‖x-c‖² per slot
	se, sw float32   // Asymmetric: the powers of two the float16 e and w are in units of
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

// CodeBytes returns the bytes stored per slot: 8·Words, extras included for Asymmetric codes
// (96 bytes at 768-d: 720 sign bits, the centroid id and two float16); plus for Symmetric L2
// codes one float32 (the squared distance to the centre).
func (c *Codes) CodeBytes() int {
	if c.q.query == Symmetric && c.q.metric == flat.L2 {
		return 8*c.words + 4
	}
	return 8 * c.words
}

// MemoryBytes returns the bytes the codes and the quantizer occupy: CodeBytes per slot plus
// the centre (Symmetric) or the projection and the centroids (Asymmetric: 2.1 MiB and
// 3.7 MiB for 768-d and 1,265 centroids).
func (c *Codes) MemoryBytes() int64 {
	return int64(c.n)*int64(c.CodeBytes()) + c.q.MemoryBytes()
}

// Code returns the code of slot s (shared, not a copy).
func (c *Codes) Code(s uint32) []uint64 {
	o := int(s) * c.words
	return c.data[o : o+c.words : o+c.words]
}

// extras returns the centroid id and the float16 e and w (in units of se and sw) of slot s
// of Asymmetric codes.
func (c *Codes) extras(s int) (k int, e, w uint16) {
	last := c.data[(s+1)*c.words-1]
	return int(uint16(last >> 16)), uint16(last >> 32), uint16(last >> 48)
}

// Data returns all codes back to back (shared, not a copy).
func (c *Codes) Data() []uint64 { return c.data }

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
		s.lut = make([]float32, (c.q.bits+7)/8*256)
		s.qv = make([]float32, c.q.dim)
		s.u = make([]float32, c.q.bits)
		s.memo = make([]float32, c.q.k)
		s.stamp = make([]uint32, c.q.k)
	}
	return s
}
