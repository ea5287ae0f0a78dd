package kmeans

import (
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
)

// firstTile is the number of centroids of the first PanelScan call of a
// panel: every centroid of it passes the still infinite bounds, so it is
// kept small (a multiple of the AVX-512 kernel's block of 12 vectors).
const firstTile = 12

// tileCentroids is the number of centroids scored per later PanelScan call
// (ten AVX-512 blocks of 12); the per-point bounds tighten between calls.
// BenchmarkAssignBatch (k=1024, d=128, 8,192 points, 2-core AVX-512 VM):
// 1.04 us per point on a quiet machine; 70 % of the profile in the kernel
// and 17 % in the candidate loop below, so the tile size hardly matters.
const tileCentroids = 120

// AssignBatch assigns each of the n = len(data)/dim points to its nearest
// centroid: out[i] is the centroid index of point i and, if dist is not
// nil, dist[i] its distance in the convention of package topk (squared L2
// for flat.L2, computed by expansion, |x|² - 2<x,c> + |c|², clamped at 0;
// the negated inner product for flat.InnerProduct). It runs on up to
// workers goroutines (0 means GOMAXPROCS) and panics if out (or dist) is
// shorter than n. A point whose distances are all NaN or infinite gets
// centroid 0.
func AssignBatch(centroids []float32, dim int, metric flat.Metric, data []float32, out []int32, dist []float32, workers int) {
	n := len(data) / dim
	if len(out) < n || dist != nil && len(dist) < n {
		panic("BUG: kmeans: AssignBatch output shorter than the data")
	}
	if n == 0 {
		return
	}
	a := NewAssigner(centroids, dim, metric)
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w := distance.PanelWidth()
	panels := (n + w - 1) / w
	workers = max(1, min(workers, panels))
	if workers == 1 {
		a.Assign(data, out, dist)
		return
	}
	per := (panels + workers - 1) / workers * w
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		hi := min(lo+per, n)
		var d []float32
		if dist != nil {
			d = dist[lo:hi]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Assign(data[lo*dim:hi*dim], out[lo:hi], d)
		}()
	}
	wg.Wait()
}

// Assigner assigns points to fixed centroids on the calling goroutine: the
// form of AssignBatch for callers that split the work themselves or assign
// many small batches (it computes the centroid norms once). It is safe for
// concurrent use.
type Assigner struct {
	cent   []float32
	dim, k int
	l2     bool
	add    []float32 // |c|² per centroid for L2, nil for inner product
	scale  float32
}

// NewAssigner returns an Assigner for the k = len(cent)/dim centroids
// stored back to back in cent (which it keeps: do not modify them while
// it is in use) and the metric (flat.L2 or flat.InnerProduct).
func NewAssigner(cent []float32, dim int, metric flat.Metric) *Assigner {
	a := &Assigner{cent: cent, dim: dim, k: len(cent) / dim, l2: metric != flat.InnerProduct, scale: -1}
	if a.l2 {
		a.scale = -2
		a.add = make([]float32, a.k)
		for i := range a.add {
			c := cent[i*dim : (i+1)*dim]
			a.add[i] = distance.Dot(c, c)
		}
	}
	return a
}

// Assign is AssignBatch on the calling goroutine, for the Assigner's
// centroids.
func (a *Assigner) Assign(data []float32, out []int32, dist []float32) {
	if n := len(data) / a.dim; len(out) < n || dist != nil && len(dist) < n {
		panic("BUG: kmeans: Assign output shorter than the data")
	}
	w, dim := distance.PanelWidth(), a.dim
	n := len(data) / dim
	panel := make([]float32, dim*w)
	qs := make([][]float32, 0, w)
	bound, bestd := make([]float32, w), make([]float32, w)
	best := make([]int32, w)
	tile := min(tileCentroids, a.k)
	idx, mask := make([]uint32, tile), make([]uint32, tile)
	sc := make([]float32, tile*w)
	inf := float32(math.Inf(1))
	for p0 := 0; p0 < n; p0 += w {
		nq := min(w, n-p0)
		qs = qs[:0]
		for l := range nq {
			qs = append(qs, data[(p0+l)*dim:(p0+l+1)*dim])
		}
		distance.PackPanel(panel, qs)
		for l := range w {
			bound[l], bestd[l], best[l] = inf, inf, -1
			if l >= nq {
				bound[l] = float32(math.Inf(-1))
			}
		}
		for c0 := 0; c0 < a.k; {
			cnt := min(tile, a.k-c0)
			if c0 == 0 {
				cnt = min(cnt, firstTile)
			}
			var add []float32
			if a.add != nil {
				add = a.add[c0 : c0+cnt]
			}
			c := distance.PanelScan(panel, a.cent[c0*dim:(c0+cnt)*dim], add, a.scale, bound, idx[:cnt], mask[:cnt], sc[:cnt*w])
			for r := range c {
				j := int32(c0) + int32(idx[r])
				s := sc[r*w : (r+1)*w : (r+1)*w]
				for m := mask[r]; m != 0; m &= m - 1 {
					l := bits.TrailingZeros32(m)
					if s[l] < bestd[l] {
						bestd[l], best[l], bound[l] = s[l], j, s[l]
					}
				}
			}
			c0 += cnt
		}
		for l := range nq {
			b := best[l]
			if b < 0 {
				b = 0
			}
			out[p0+l] = b
			if dist != nil {
				d := bestd[l]
				if a.l2 {
					d = max(0, d+distance.Dot(qs[l], qs[l]))
				}
				dist[p0+l] = d
			}
		}
	}
}
