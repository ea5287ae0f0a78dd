package flat

import (
	"math"
	"math/bits"
	"slices"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/topk"
)

// Batched search with the panel kernel of package distance: queries are
// packed PanelWidth() at a time into transposed panels, and every panel is
// scored against each tile of the base while the tile is in cache, with a
// register-blocked matrix-multiply micro-kernel that compares each base
// vector's scores with the panel's per-query bounds and hands back only the
// vectors that beat some bound.
//
// Scores are in the kernel's space: for InnerProduct -Dot(q, x), the rank
// itself; for L2 |x|² - 2 Dot(q, x), the squared distance minus |q|², by
// expansion. The expansion loses precision when distances are small next
// to the norms (float32 rounding of |x|² and 2 q·x, about d·2⁻²⁴·(|q|²+|x|²)
// in the worst case), so each query keeps its best K+rescoreExtra
// candidates by kernel score, and those are rescored with the exact kernel
// (Rescore) to pick and order the K results. The results are then
// Search's unless more than rescoreExtra vectors lie within that rounding
// error of the K-th distance (TestSearchBatchNearTies exercises this on
// vectors with a large common offset).

// rescoreExtra is how many candidates beyond K each query keeps for exact
// rescoring.
const rescoreExtra = 32

// panelTileBytes is the size of the base tile that every panel of a worker
// is scored against while it stays in L2 (2 MiB per core here). Interleaved
// SearchBatch runs (1,000 queries, 2 workers, 5 rounds, loaded 2-core Xeon
// VM) gave median QPS for 256 KiB / 512 KiB / 1 MiB / 1.5 MiB tiles of
// 915 / 919 / 958 / 913 on fashion-mnist (d=784) and 346 / 350 / 429 / 326
// on clustered-1M-128 (d=128): flat within the noise, 1 MiB best on both.
const panelTileBytes = 1 << 20

// panelMaxTile caps the vectors of a tile for small dimensions, where the output buffer (PanelWidth()
// scores per vector) would otherwise outgrow the tile.
const panelMaxTile = 2048

// panelFirstTile is the number of base vectors of the first tile, kept
// small so that the heaps fill, and the bounds tighten, before the big
// tiles (every vector of the first tile is a candidate of every query).
const panelFirstTile = 96

// panelBlock is a multiple of the kernels' base blocks (12 for AVX-512, 6
// for AVX2) to which tiles are rounded.
const panelBlock = 12

// panelWork is one worker's share of a panel search: panels [plo, phi)
// against base vectors [blo, bhi).
type panelWork struct{ plo, phi, blo, bhi int }

// searchPanels answers qs with the panel kernel on up to workers
// goroutines, splitting the panels among them, or the base when there are
// fewer panels than workers.
func searchPanels(v Vectors, m Metric, qs [][]float32, k int, accept func(uint32) bool, workers int) [][]topk.Item {
	w := distance.PanelWidth()
	n, d := v.Slots(), v.Dim
	np := (len(qs) + w - 1) / w
	panels := make([]float32, np*d*w)
	for p := 0; p < np; p++ {
		distance.PackPanel(panels[p*d*w:(p+1)*d*w], qs[p*w:min((p+1)*w, len(qs))])
	}
	kk := k + rescoreExtra
	var work []panelWork
	if np >= workers {
		per := (np + workers - 1) / workers
		for lo := 0; lo < np; lo += per {
			work = append(work, panelWork{lo, min(lo+per, np), 0, n})
		}
	} else {
		per := (n + workers - 1) / workers
		per = (per + panelBlock - 1) / panelBlock * panelBlock
		for lo := 0; lo < n; lo += per {
			work = append(work, panelWork{0, np, lo, min(lo+per, n)})
		}
	}
	heaps := make([][]*topk.Heap, len(work)) // [work][query in the work's panels]
	parallel(len(work), len(work), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			wk := work[i]
			nq := min(wk.phi*w, len(qs)) - wk.plo*w
			heaps[i] = panelScan(v, m, panels[wk.plo*d*w:wk.phi*d*w], nq, wk.blo, wk.bhi, kk, accept)
		}
	})
	out := make([][]topk.Item, len(qs))
	parallel(len(qs), workers, func(lo, hi int) {
		var cand []topk.Item
		for qi := lo; qi < hi; qi++ {
			cand = cand[:0]
			for i, wk := range work {
				if p := qi / w; p >= wk.plo && p < wk.phi {
					cand = heaps[i][qi-wk.plo*w].AppendSorted(cand) // into the reused buffer
				}
			}
			out[qi] = slices.Clone(Rescore(v, m, qs[qi], cand, k))
		}
	})
	return out
}

// panelScan scores the packed panels (holding nq queries) against base
// vectors [blo, bhi) and returns one heap of the kk best candidates (by
// kernel score) per panel lane.
func panelScan(v Vectors, m Metric, panels []float32, nq, blo, bhi, kk int, accept func(uint32) bool) []*topk.Heap {
	w, d := distance.PanelWidth(), v.Dim
	np := len(panels) / (d * w)
	heaps := make([]*topk.Heap, np*w)
	bounds := make([]float32, np*w)
	for i := range heaps {
		heaps[i] = topk.New(kk)
		bounds[i] = float32(math.Inf(1))
		if i >= nq {
			bounds[i] = float32(math.Inf(-1)) // no query in this lane
		}
	}
	tile := max(panelBlock, min(panelMaxTile, panelTileBytes/(4*max(d, 1)))/panelBlock*panelBlock)
	var add []float32
	scale := float32(-1)
	if m == L2 {
		add, scale = make([]float32, tile), -2
	}
	idx, mask := make([]uint32, tile), make([]uint32, tile)
	dist := make([]float32, tile*w)
	for b0 := blo; b0 < bhi; {
		cnt := min(tile, bhi-b0)
		if b0 == blo {
			cnt = min(cnt, panelFirstTile)
		}
		base := v.Data[b0*d : (b0+cnt)*d]
		var a []float32
		if add != nil {
			a = add[:cnt]
			for i := range a {
				x := base[i*d : (i+1)*d]
				a[i] = distance.Dot(x, x)
			}
		}
		for p := 0; p < np; p++ {
			pb := bounds[p*w : (p+1)*w]
			c := distance.PanelScan(panels[p*d*w:(p+1)*d*w], base, a, scale, pb, idx[:cnt], mask[:cnt], dist[:cnt*w])
			for r := 0; r < c; r++ {
				slot := uint32(b0) + idx[r]
				accepted := 0 // 0 unknown, 1 yes, -1 no
				ds := dist[r*w : (r+1)*w]
				for mk := mask[r]; mk != 0; mk &= mk - 1 {
					l := bits.TrailingZeros32(mk)
					h, s := heaps[p*w+l], ds[l]
					if h.Full() && s >= h.Bound() {
						continue
					}
					if accepted == 0 {
						accepted = -1
						if accept == nil || accept(slot) {
							accepted = 1
						}
					}
					if accepted < 0 {
						break
					}
					h.Push(s, slot)
					if h.Full() {
						pb[l] = h.Bound()
					}
				}
			}
		}
		b0 += cnt
	}
	return heaps
}
