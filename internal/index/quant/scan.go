package quant

import (
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

// ScanParams tunes SearchFlat.
type ScanParams struct {
	K int
	// Rescore is how many of the best approximate candidates are rescored
	// against the float vectors (raised to K); 0 returns the approximate
	// distances (Qdrant's rescore: false).
	Rescore int
	// Accept, if set, must approve a slot before it is a candidate.
	Accept func(slot uint32) bool
}

// scanBlock is how many codes one ScoreRange call scores.
const scanBlock = 1024

// SearchFlat scores every code with s (already Reset to q), keeps the best
// candidates and, if p.Rescore > 0, rescores them with the float vectors
// vecs (which may be an on-disk mapping: only the candidates are read) in
// metric m. Results are best first.
func SearchFlat(c Codes, s Scorer, q []float32, vecs flat.Vectors, m flat.Metric, p ScanParams) []topk.Item {
	pool := p.K
	if p.Rescore > 0 {
		pool = max(p.K, p.Rescore)
	}
	h := topk.New(pool)
	var buf [scanBlock]float32
	n := c.Len()
	for first := 0; first < n; first += scanBlock {
		out := buf[:min(scanBlock, n-first)]
		s.ScoreRange(first, out)
		for i, d := range out {
			slot := uint32(first + i)
			if h.Full() && d >= h.Bound() {
				continue
			}
			if p.Accept != nil && !p.Accept(slot) {
				continue
			}
			h.Push(d, slot)
		}
	}
	cands := h.Sorted()
	if p.Rescore <= 0 {
		return cands[:min(p.K, len(cands))]
	}
	return flat.Rescore(vecs, m, q, cands, p.K)
}
