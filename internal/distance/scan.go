package distance

// Scan kernels: exact search over a block of base vectors that hands back
// only the vectors good enough to matter, so the caller's top-k loop sees a
// few candidates instead of every score.
//
// The bound forms score one query against a run of vectors (several per
// loop iteration, with independent accumulator chains, so the loads of the
// next vectors overlap the reductions of the last) and keep those whose
// score passes a bound, typically the k-th best score so far.
//
// The panel form is the batched one: a panel of PanelWidth() queries stored
// transposed (PackPanel) is scored against base vectors by a
// register-blocked matrix-multiply micro-kernel, with queries in vector
// lanes, so no horizontal reduction is needed and each base vector's scores
// are compared with per-query bounds in one instruction.

import "fmt"

// L2SqBatchBelow computes L2Sq(q, v) for each of the len(idx) vectors v of
// len(q) floats stored back to back at the start of base, and for each i
// (in increasing order) whose distance is at most bound writes i to idx[c]
// and the distance to dist[c], where c counts such vectors; it returns c.
// A NaN distance never passes. Entries of idx and dist past c are
// scratch and may be overwritten. It panics if base holds fewer than
// len(idx) vectors or len(dist) < len(idx).
func L2SqBatchBelow(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	checkBound(q, base, idx, dist)
	return l2SqBound(q, base, bound, idx, dist)
}

// DotBatchAbove is L2SqBatchBelow for Dot, keeping the vectors whose dot
// product with q is at least bound.
func DotBatchAbove(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	checkBound(q, base, idx, dist)
	return dotBound(q, base, bound, idx, dist)
}

func checkBound(q, base []float32, idx []uint32, dist []float32) {
	if len(dist) < len(idx) {
		panic("BUG: distance: dist shorter than idx")
	}
	if len(q) != 0 && len(idx) > len(base)/len(q) {
		panic("BUG: distance: base holds fewer than len(idx) vectors of len(q) floats")
	}
}

// PanelWidth returns the number of queries in a panel of the chosen
// implementation (32 with AVX-512, 16 otherwise).
func PanelWidth() int { return scanWidth() }

// PackPanel stores the queries qs (at most PanelWidth(), each of length
// d = len(panel)/PanelWidth()) transposed into panel: panel[i*w+l] =
// qs[l][i] with w = PanelWidth(). Lanes without a query are zero. It panics
// if len(panel) is not a multiple of w, there are more than w queries or a
// query's length is not d.
func PackPanel(panel []float32, qs [][]float32) {
	packPanel(PanelWidth(), panel, qs)
}

func packPanel(w int, panel []float32, qs [][]float32) {
	if len(panel)%w != 0 || len(qs) > w {
		panic(fmt.Sprintf("BUG: distance: panel of %d floats for %d queries of width %d", len(panel), len(qs), w))
	}
	d := len(panel) / w
	clear(panel)
	for l, q := range qs {
		if len(q) != d {
			panic("BUG: distance: panel query of the wrong length")
		}
		for i, x := range q {
			panel[i*w+l] = x
		}
	}
}

// PanelScan scores the panel's w = PanelWidth() queries (packed by
// PackPanel; d = len(panel)/w) against each of the len(idx) vectors x_j of
// d floats stored back to back in base: s[l] = add[j] + scale*Dot(q_l,
// x_j), or scale*Dot(q_l, x_j) if add is nil. For each j (in increasing
// order) for which s[l] <= bound[l] for some lane l it writes j to idx[c],
// the bit mask of those lanes to mask[c] and s to dist[c*w:(c+1)*w], where
// c counts such vectors; it returns c. Comparisons with NaN fail, so a
// bound of -Inf disables a lane. Entries past c are scratch.
//
// With scale = -2 and add[j] = L2Sq(x_j, 0) (the squared norm), s[l] + |q_l|²
// is the squared Euclidean distance, computed by expansion: exact up to
// float32 rounding of the three terms, which for vectors of large norm
// and small distances is coarser than L2Sq's (see internal/index/flat for
// how it is used). With scale = -1 and no add, s[l] is the negated dot
// product.
//
// The dot products are summed in dimension order, one chain per query and
// vector, so they can differ from Dot's in the last bits. It panics if a
// slice is too short for these lengths.
func PanelScan(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int {
	checkPanel(PanelWidth(), panel, base, add, bound, idx, mask, dist)
	return panelScan(panel, base, add, scale, bound, idx, mask, dist)
}

func checkPanel(w int, panel, base, add, bound []float32, idx, mask []uint32, dist []float32) {
	n := len(idx)
	if len(panel)%w != 0 {
		panic("BUG: distance: panel length is not a multiple of PanelWidth")
	}
	d := len(panel) / w
	if len(base) < n*d || add != nil && len(add) < n || len(bound) < w || len(mask) < n || len(dist) < n*w {
		panic("BUG: distance: PanelScan slice too short")
	}
}
