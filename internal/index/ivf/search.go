package ivf

import (
	"fmt"
	"math"
	"slices"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/pq"
	"github.com/needlevdb/needle/internal/topk"
)

// SearchParams tunes one search.
type SearchParams struct {
	K int // results wanted
	// Nprobe is the number of lists scanned, those of the nearest
	// centroids; clamped to [1, Nlist] (0 means 1).
	Nprobe int
	// Accept, if set, must approve a slot before it enters the results
	// (deleted points, filters). It is called only for slots good enough
	// to enter the current top K (or top Rescore), possibly concurrently
	// with other searches.
	Accept func(slot uint32) bool
	// Rescore, if > 0 and the lists are PQ, keeps the best max(K, Rescore)
	// candidates by approximate distance and re-ranks them by exact
	// distance to the float vectors (which must be set: Add or
	// SetVectors). Ignored for flat lists, which are exact.
	Rescore int
}

// chunk is the number of list entries scored per kernel call; the bound
// tightens between calls.
const chunk = 256

// searcher is one search's scratch, pooled.
type searcher struct {
	coarse []float32
	probes *topk.Heap
	probed []topk.Item // the probes of the current query, reused
	cand   []topk.Item // the candidates of the current query's rescore, reused
	heap   *topk.Heap
	qt     pq.Table // per-query table (-2<q, r> for L2, -<q, r> for inner product)
	lut    pq.Table // per-list table
	rq     []float32
	idx    []uint32
	dist   []float32
}

func (x *Index) searcher() *searcher {
	if s, ok := x.searchers.Get().(*searcher); ok {
		return s
	}
	s := &searcher{
		coarse: make([]float32, x.cfg.Nlist),
		probes: topk.New(1),
		heap:   topk.New(1),
		idx:    make([]uint32, chunk),
		dist:   make([]float32, chunk),
	}
	if m := x.cfg.PQM; m > 0 {
		s.qt, s.lut = pq.NewTable(m), pq.NewTable(m)
		s.rq = make([]float32, x.cfg.Dim)
	}
	return s
}

// Search returns the K best slots for q (len(q) == Dim), best first, with
// distances in the convention of package topk (squared L2, or the negated
// inner product); approximate for PQ lists unless rescored. It returns
// nil if K <= 0, the index is not trained, or the lists are flat and no
// vectors are set (Add, SetVectors or Read give them). It panics if a
// listed slot is beyond the vectors set.
func (x *Index) Search(q []float32, p SearchParams) []topk.Item {
	if len(q) != x.cfg.Dim {
		panic(fmt.Sprintf("BUG: ivf: query of dimension %d, index %d", len(q), x.cfg.Dim))
	}
	if p.K <= 0 || !x.trained.Load() {
		return nil
	}
	s := x.searcher()
	defer x.searchers.Put(s)
	return x.searchProbes(q, x.probe(q, x.nprobe(p), s), p, s)
}

func (x *Index) nprobe(p SearchParams) int { return min(max(p.Nprobe, 1), x.cfg.Nlist) }

// searchProbes is Search after the coarse step: probes are the lists to
// scan, nearest first, with their exact coarse distances.
func (x *Index) searchProbes(q []float32, probes []topk.Item, p SearchParams, s *searcher) []topk.Item {
	vecs := x.vecs.Load()
	keep := p.K
	rescore := x.pq != nil && p.Rescore > 0 && vecs != nil
	if rescore {
		keep = max(p.K, p.Rescore)
	}
	h := s.heap
	h.Reset(keep)
	if x.pq == nil {
		if vecs == nil {
			return nil
		}
		for _, pr := range probes {
			x.scanFlat(q, *vecs, x.lists[pr.Slot].Load(), p.Accept, s)
		}
		return h.Sorted()
	}
	l2 := x.cfg.Metric == flat.L2
	switch {
	case l2 && x.precomp != nil:
		x.pq.DotTable(q, -2, s.qt)
	case !l2:
		x.pq.DotTable(q, -1, s.qt)
	}
	for _, pr := range probes {
		l := x.lists[pr.Slot].Load()
		if len(l.ids) == 0 {
			continue
		}
		lut, bias := s.qt, pr.Dist // inner product: -<q, c> + table of -<q, r>
		if l2 {
			lut = s.lut
			if x.precomp != nil {
				// |q-c|² + (|r|² + 2<c,r>) - 2<q,r>
				pq.AddTables(lut, x.precomp[pr.Slot], s.qt)
			} else {
				// |q-c|² + |r|² - 2<q-c, r>
				c := x.centroids[int(pr.Slot)*x.cfg.Dim:]
				for i := range s.rq {
					s.rq[i] = q[i] - c[i]
				}
				x.pq.DotTableAdd(s.rq, -2, x.pq.Norms(), lut)
			}
		}
		x.scanPQ(lut, bias, l, p.Accept, s)
	}
	if !rescore {
		return h.Sorted()
	}
	s.cand = h.AppendSorted(s.cand[:0]) // the candidates in scratch; the result is a copy of the k best
	return slices.Clone(flat.Rescore(*vecs, x.cfg.Metric, q, s.cand, p.K))
}

// probe returns the nprobe lists whose centroids are nearest to q, nearest
// first, with their coarse distances (squared L2 or negated dot).
func (x *Index) probe(q []float32, nprobe int, s *searcher) []topk.Item {
	cs := s.coarse
	if x.cfg.Metric == flat.L2 {
		distance.L2SqBatch(q, x.centroids, cs)
	} else {
		distance.DotBatch(q, x.centroids, cs)
		for i := range cs {
			cs[i] = -cs[i]
		}
	}
	h := s.probes
	h.Reset(nprobe)
	for i, d := range cs {
		if h.Full() && d >= h.Bound() {
			continue
		}
		h.Push(d, uint32(i))
	}
	s.probed = h.AppendSorted(s.probed[:0])
	return s.probed
}

// scanFlat scores list l exactly against the float vectors.
func (x *Index) scanFlat(q []float32, vecs flat.Vectors, l *list, accept func(uint32) bool, s *searcher) {
	h := s.heap
	l2 := x.cfg.Metric == flat.L2
	for o := 0; o < len(l.ids); o += chunk {
		ids := l.ids[o:min(o+chunk, len(l.ids))]
		out := s.dist[:len(ids)]
		if l2 {
			distance.L2SqGather(q, vecs.Data, ids, out)
		} else {
			distance.DotGather(q, vecs.Data, ids, out)
		}
		for i, d := range out {
			if !l2 {
				d = -d
			}
			if h.Full() && d >= h.Bound() || accept != nil && !accept(ids[i]) {
				continue
			}
			h.Push(d, ids[i])
		}
	}
}

// scanPQ scores list l's codes with table lut plus bias.
func (x *Index) scanPQ(lut pq.Table, bias float32, l *list, accept func(uint32) bool, s *searcher) {
	h := s.heap
	m := x.cfg.PQM
	for o := 0; o < len(l.ids); o += chunk {
		n := min(chunk, len(l.ids)-o)
		bound := float32(math.Inf(1))
		if h.Full() {
			bound = h.Bound()
		}
		k := pq.ScanBelow(lut, l.codes[o*m:], bias, bound, s.idx[:n], s.dist[:n])
		for i := range k {
			d, slot := s.dist[i], l.ids[o+int(s.idx[i])]
			if h.Full() && d >= h.Bound() || accept != nil && !accept(slot) {
				continue
			}
			h.Push(d, slot)
		}
	}
}
