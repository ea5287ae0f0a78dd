package pq

import (
	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
)

// Codes is a vector set encoded by a Quantizer: M bytes per slot, back to
// back. It implements quant.Codes.
type Codes struct {
	q     *Quantizer
	codes []byte
}

var _ quant.Codes = (*Codes)(nil)

// EncodeAll encodes every vector of vecs (Dim() floats each) on all cores.
func (q *Quantizer) EncodeAll(vecs flat.Vectors) *Codes {
	if vecs.Dim != q.dim {
		panic("BUG: pq: EncodeAll of vectors of the wrong dimension")
	}
	c := &Codes{q: q, codes: make([]byte, vecs.Slots()*q.m)}
	q.EncodeBatch(vecs.Data[:vecs.Slots()*q.dim], c.codes, 0)
	return c
}

// NewCodes wraps codes already encoded by q (len(codes) a multiple of
// M()); Codes keeps the slice.
func NewCodes(q *Quantizer, codes []byte) *Codes {
	if len(codes)%q.m != 0 {
		panic("BUG: pq: NewCodes of a partial code")
	}
	return &Codes{q: q, codes: codes}
}

// Quantizer returns the quantizer the codes were encoded with.
func (c *Codes) Quantizer() *Quantizer { return c.q }

// Bytes returns the codes, M bytes per slot (do not modify).
func (c *Codes) Bytes() []byte { return c.codes }

// Code returns the code of slot s (do not modify).
func (c *Codes) Code(s int) []byte { return c.codes[s*c.q.m : (s+1)*c.q.m : (s+1)*c.q.m] }

// Dim returns the dimension of the encoded vectors.
func (c *Codes) Dim() int { return c.q.dim }

// Len returns the number of codes.
func (c *Codes) Len() int { return len(c.codes) / c.q.m }

// CodeBytes returns M, the size of one code.
func (c *Codes) CodeBytes() int { return c.q.m }

// MemoryBytes returns the size of the codes plus the quantizer's.
func (c *Codes) MemoryBytes() int64 { return int64(len(c.codes)) + c.q.MemoryBytes() }

// NewScorer returns a Scorer for these codes.
func (c *Codes) NewScorer() quant.Scorer { return c.Scorer() }

// Scorer returns a Scorer for these codes (the concrete type of NewScorer).
func (c *Codes) Scorer() *Scorer { return &Scorer{c: c, t: NewTable(c.q.m)} }

// Scorer scores queries against Codes by ADC. It implements quant.Scorer
// and belongs to one goroutine at a time.
type Scorer struct {
	c    *Codes
	t    Table
	bias float32 // added to every sum: |q|² for L2 (the table lacks the |q_j|² terms)
}

// Reset builds the lookup table for q (len(q) == Dim()). For L2 the table
// holds |c|² - 2<q_j, c> and the |q_j|² terms go into one bias, |q|².
func (s *Scorer) Reset(q []float32) {
	qz := s.c.q
	if qz.metric == flat.L2 {
		qz.DotTableAdd(q, -2, qz.norms, s.t)
		s.bias = distance.Dot(q, q)
		return
	}
	qz.DotTable(q, -1, s.t)
	s.bias = 0
}

// Score writes the approximate distance to the code of each of ids into
// out[:len(ids)].
func (s *Scorer) Score(ids []uint32, out []float32) { Gather(s.t, s.c.codes, ids, s.bias, out) }

// ScoreRange writes the approximate distances to slots first ...
// first+len(out)-1 into out.
func (s *Scorer) ScoreRange(first int, out []float32) {
	m := s.c.q.m
	Sums(s.t, s.c.codes[first*m:], s.bias, out)
}
