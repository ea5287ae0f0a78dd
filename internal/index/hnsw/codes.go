package hnsw

import (
	"fmt"

	"github.com/needlevdb/needle/internal/index/quant"
)

// scoreMode is what a search scores candidates with.
type scoreMode uint8

const (
	modeFloat scoreMode = iota // float32 vectors
	modeInt8                   // the index's own int8 codes
	modeCodes                  // attached quant.Codes (PQ, binary, ...)
)

// SetCodes attaches codes (product, binary, float16, ...) that searches
// traverse the graph with instead of float32 distances, rescoring their best
// candidates against the float vectors (see SearchParams) — unless the codes
// are quant.Precise, whose distances are returned as they are. The graph is built as
// before, from the vectors; codes only change how a search scores. c must
// cover every slot the index holds or will hold (c.Len() > the largest
// slot inserted); nil detaches. An index with its own int8 codes keeps
// using them.
func (x *Index) SetCodes(c quant.Codes) error {
	if c != nil && c.Dim() != x.dim {
		return fmt.Errorf("hnsw: codes of dimension %d, index %d", c.Dim(), x.dim)
	}
	x.grow.Lock()
	defer x.grow.Unlock()
	if c != nil {
		for s := c.Len(); s < x.nslots; s++ {
			if x.levels[s] != 0 {
				return fmt.Errorf("hnsw: codes cover %d slots, slot %d is inserted", c.Len(), s)
			}
		}
	}
	x.attached = c
	x.attachedGen++
	return nil
}

// Codes returns the attached codes (nil if none).
func (x *Index) Codes() quant.Codes {
	x.grow.RLock()
	defer x.grow.RUnlock()
	return x.attached
}

// setMode chooses how search s scores. The caller holds grow for reading.
func (x *Index) setMode(s *searcher, ignore bool) {
	switch {
	case ignore:
		s.mode = modeFloat
	case x.quant != nil:
		s.mode = modeInt8
	case x.attached != nil:
		s.mode = modeCodes
		if s.extOf != x.attachedGen {
			s.ext, s.extOf = x.attached.NewScorer(), x.attachedGen
			p, ok := x.attached.(quant.Precise)
			s.precise = ok && p.Precise()
		}
	default:
		s.mode = modeFloat
	}
}

// prepareMode prepares s for query q in its mode.
func (x *Index) prepareMode(s *searcher, q []float32) {
	s.qr.f = q
	switch s.mode {
	case modeInt8:
		x.prepare(&s.qr, q)
	case modeCodes:
		s.ext.Reset(q)
	}
}
