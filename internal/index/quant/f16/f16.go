// Package f16 keeps vectors in IEEE half precision: half the bytes of float32, distances within
// the rounding of 11 significant bits — accurate enough to rank and to return as scores, so an
// index traversing these codes needs no float32 rescoring (they implement quant.Precise).
//
// Concurrency: Codes are immutable and safe for concurrent use; a Scorer belongs to one
// goroutine at a time.
package f16

import (
	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
)

// Codes is a half-precision copy of a vector set.
type Codes struct {
	dim    int
	metric flat.Metric
	data   []uint16 // slot s is data[s*dim:(s+1)*dim]
}

var (
	_ quant.Codes   = (*Codes)(nil)
	_ quant.Precise = (*Codes)(nil)
)

// Encode converts every vector of vecs (metric flat.L2 or flat.InnerProduct decides what the
// scorer computes). Values beyond ±65504 become ±Inf, so callers keep vectors in half range.
func Encode(vecs flat.Vectors, metric flat.Metric) *Codes {
	n := vecs.Slots()
	c := &Codes{dim: vecs.Dim, metric: metric, data: make([]uint16, n*vecs.Dim)}
	distance.F32ToF16(c.data, vecs.Data[:n*vecs.Dim])
	return c
}

// Dim returns the vector dimension.
func (c *Codes) Dim() int { return c.dim }

// Len returns the number of vectors.
func (c *Codes) Len() int {
	if c.dim == 0 {
		return 0
	}
	return len(c.data) / c.dim
}

// CodeBytes returns 2 bytes per dimension.
func (c *Codes) CodeBytes() int { return 2 * c.dim }

// MemoryBytes returns the bytes of the half-precision vectors.
func (c *Codes) MemoryBytes() int64 { return 2 * int64(len(c.data)) }

// Precise reports that these distances may be returned as they are.
func (c *Codes) Precise() bool { return true }

// Metric returns the metric the scorer computes.
func (c *Codes) Metric() flat.Metric { return c.metric }

// Row returns slot s's half-precision vector.
func (c *Codes) Row(s uint32) []uint16 { return c.data[int(s)*c.dim : int(s+1)*c.dim] }

// NewScorer returns a scorer for these codes.
func (c *Codes) NewScorer() quant.Scorer { return &Scorer{c: c} }

// Scorer scores a query against Codes: squared L2, or the negated inner product.
type Scorer struct {
	c *Codes
	q []float32
}

// Reset sets the query (kept, not copied).
func (s *Scorer) Reset(q []float32) { s.q = q }

// Score writes the distances to ids into out.
func (s *Scorer) Score(ids []uint32, out []float32) {
	out = out[:len(ids)]
	if s.c.metric == flat.L2 {
		distance.L2SqF16Gather(s.q, s.c.data, ids, out)
		return
	}
	distance.DotF16Gather(s.q, s.c.data, ids, out)
	for i := range out {
		out[i] = -out[i]
	}
}

// ScoreRange writes the distances to slots first.. into out.
func (s *Scorer) ScoreRange(first int, out []float32) {
	for i := range out {
		row := s.c.Row(uint32(first + i))
		if s.c.metric == flat.L2 {
			out[i] = distance.L2SqF16(s.q, row)
		} else {
			out[i] = -distance.DotF16(s.q, row)
		}
	}
}
