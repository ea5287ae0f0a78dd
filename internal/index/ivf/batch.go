package ivf

import (
	"math"
	"math/bits"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

// SearchBatch answers many queries, as Search does each, on up to workers
// goroutines (0 means GOMAXPROCS). The coarse step runs on panels of
// distance.PanelWidth() queries with the panel kernel (distance.PanelScan),
// which computes the query-centroid distances at a fraction of the cost of
// one L2-cache-bound batch scan per query, as Faiss's batched search does
// with a matrix product. Results equal Search's up to the order of lists
// whose coarse distances tie within float32 rounding.
func (x *Index) SearchBatch(qs [][]float32, p SearchParams, workers int) [][]topk.Item {
	out := make([][]topk.Item, len(qs))
	if p.K <= 0 || !x.trained.Load() || len(qs) == 0 {
		return out
	}
	for _, q := range qs {
		if len(q) != x.cfg.Dim {
			panic("BUG: ivf: SearchBatch query of the wrong dimension")
		}
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	w := distance.PanelWidth()
	panels := (len(qs) + w - 1) / w
	workers = max(1, min(workers, panels))
	var next sync.Mutex
	pi := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := x.searcher()
			defer x.searchers.Put(s)
			pc := newPanelCoarse(x, x.nprobe(p))
			for {
				next.Lock()
				i := pi
				pi++
				next.Unlock()
				if i >= panels {
					return
				}
				lo, hi := i*w, min((i+1)*w, len(qs))
				probes := pc.probe(qs[lo:hi])
				for j := lo; j < hi; j++ {
					out[j] = x.searchProbes(qs[j], probes[j-lo], p, s)
				}
			}
		}()
	}
	wg.Wait()
	return out
}

// coarseTile is the number of centroids per PanelScan call of the coarse
// step (ten AVX-512 blocks of 12, as in package kmeans); the per-query
// bounds tighten between calls.
const coarseTile = 120

// panelCoarse is one worker's scratch for the batched coarse step.
type panelCoarse struct {
	x      *Index
	nprobe int
	add    []float32 // |c|² per centroid (L2), nil for inner product
	scale  float32
	panel  []float32
	bound  []float32
	heaps  []*topk.Heap
	idx    []uint32
	mask   []uint32
	dist   []float32
}

func newPanelCoarse(x *Index, nprobe int) *panelCoarse {
	w, d := distance.PanelWidth(), x.cfg.Dim
	pc := &panelCoarse{
		x: x, nprobe: nprobe, scale: -1,
		panel: make([]float32, w*d), bound: make([]float32, w), heaps: make([]*topk.Heap, w),
		idx: make([]uint32, coarseTile), mask: make([]uint32, coarseTile), dist: make([]float32, coarseTile*w),
	}
	for l := range pc.heaps {
		pc.heaps[l] = topk.New(nprobe)
	}
	if x.cfg.Metric == flat.L2 {
		pc.add, pc.scale = x.cnorms, -2
	}
	return pc
}

// probe returns, for each of the (at most PanelWidth()) queries, its
// nprobe nearest lists, nearest first, with exact coarse distances.
func (pc *panelCoarse) probe(qs [][]float32) [][]topk.Item {
	x, w, d := pc.x, distance.PanelWidth(), pc.x.cfg.Dim
	distance.PackPanel(pc.panel, qs)
	inf := float32(math.Inf(1))
	for l := range w {
		pc.heaps[l].Reset(pc.nprobe)
		pc.bound[l] = inf
		if l >= len(qs) {
			pc.bound[l] = float32(math.Inf(-1))
		}
	}
	nl := x.cfg.Nlist
	for c0 := 0; c0 < nl; c0 += coarseTile {
		cnt := min(coarseTile, nl-c0)
		var add []float32
		if pc.add != nil {
			add = pc.add[c0 : c0+cnt]
		}
		c := distance.PanelScan(pc.panel, x.centroids[c0*d:(c0+cnt)*d], add, pc.scale, pc.bound,
			pc.idx[:cnt], pc.mask[:cnt], pc.dist[:cnt*w])
		for r := range c {
			j := uint32(c0) + pc.idx[r]
			ds := pc.dist[r*w : (r+1)*w : (r+1)*w]
			for m := pc.mask[r]; m != 0; m &= m - 1 {
				l := bits.TrailingZeros32(m)
				h := pc.heaps[l]
				if h.Full() && ds[l] >= h.Bound() {
					continue
				}
				h.Push(ds[l], j)
				if h.Full() {
					pc.bound[l] = h.Bound()
				}
			}
		}
	}
	out := make([][]topk.Item, len(qs))
	for l, q := range qs {
		items := pc.heaps[l].Sorted()
		// The kernel's distances are by expansion; the lists' biases must
		// be exact, as Search's are.
		for i := range items {
			c := x.centroids[int(items[i].Slot)*d : (int(items[i].Slot)+1)*d]
			if x.cfg.Metric == flat.L2 {
				items[i].Dist = distance.L2Sq(q, c)
			} else {
				items[i].Dist = -distance.Dot(q, c)
			}
		}
		topk.SortItems(items)
		out[l] = items
	}
	return out
}
