package collection

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/topk"
)

// SearchRequest is one nearest-neighbour query.
type SearchRequest struct {
	Vector         []float32
	Using          string
	Filter         *filter.Filter
	Limit          int
	Offset         int
	ScoreThreshold *float32
	WithPayload    bool
	Vectors        VectorSelect
	// Exclude drops one point from the results (the point a query-by-id started from).
	Exclude *pointid.ID
}

// scanBlock is how many vectors one batch-kernel call scores in the single-query scan: big enough
// to amortise the call, small enough that the scores stay in L1 (BenchmarkSearch in search_test.go).
const scanBlock = 256

// sparseFraction: when indexes narrow a filter to fewer than 1/sparseFraction of the slots, the
// scan visits only the candidates with pair kernels instead of scoring whole blocks.
const sparseFraction = 16

var scratchPool = sync.Pool{New: func() any { b := make([]float32, scanBlock); return &b }}

// metric binds a distance to its kernels and to the conversion between Needle's internal
// "smaller is better" distance and Qdrant's score.
type metric struct {
	d     Distance
	pair  func(a, b []float32) float32
	batch func(q, base, out []float32)
}

func metricOf(d Distance) metric {
	switch d {
	case Cosine, Dot:
		return metric{d, distance.Dot, distance.DotBatch}
	case Euclid:
		return metric{d, distance.L2Sq, distance.L2SqBatch}
	case Manhattan:
		return metric{d, distance.L1, distance.L1Batch}
	}
	panic("BUG: unknown distance " + string(d))
}

// rank converts a kernel value to a rank distance (smaller is better).
func (m metric) rank(x float32) float32 {
	if m.d == Cosine || m.d == Dot {
		return -x
	}
	return x
}

// score converts a rank distance to Qdrant's score.
func (m metric) score(d float32) float32 {
	switch m.d {
	case Cosine, Dot:
		return -d
	case Euclid:
		return float32(math.Sqrt(float64(max(d, 0))))
	}
	return d
}

// threshold converts a score threshold into the largest admissible rank distance.
func (m metric) threshold(t *float32) float32 {
	if t == nil {
		return float32(math.Inf(1))
	}
	switch m.d {
	case Cosine, Dot:
		return -*t
	case Euclid:
		if *t < 0 {
			return float32(math.Inf(-1))
		}
		return *t * *t
	}
	return *t
}

// prepare validates a request and returns its space, metric and (normalised if Cosine) query.
func (c *Collection) prepare(req *SearchRequest) (*space, metric, []float32, error) {
	if req.Limit <= 0 {
		return nil, metric{}, nil, invalidf("limit must be positive")
	}
	if req.Offset < 0 {
		return nil, metric{}, nil, invalidf("offset must not be negative")
	}
	if err := c.cfg.CheckQueryVector(req.Using, req.Vector); err != nil {
		return nil, metric{}, nil, err
	}
	if err := c.CheckVectorNames(req.Vectors); err != nil {
		return nil, metric{}, nil, err
	}
	sp := c.st.spaces[req.Using]
	q := req.Vector
	if sp.params.Distance == Cosine {
		q = slices.Clone(q)
		distance.Normalize(q)
	}
	return sp, metricOf(sp.params.Distance), q, nil
}

// Search returns the nearest points to req.Vector by exact scan, best first.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]Record, error) {
	res, err := c.SearchBatch(ctx, []SearchRequest{req})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// SearchBatch answers several queries under one read lock. Unfiltered queries on the same vector
// space are scored four at a time, so each base vector is read once per four queries; the work is
// spread over all cores.
func (c *Collection) SearchBatch(ctx context.Context, reqs []SearchRequest) ([][]Record, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	type job struct {
		sp *space
		m  metric
		q  []float32
		k  int
	}
	jobs := make([]job, len(reqs))
	for i := range reqs {
		sp, m, q, err := c.prepare(&reqs[i])
		if err != nil {
			return nil, err
		}
		k := reqs[i].Limit + reqs[i].Offset
		if reqs[i].Exclude != nil {
			k++
		}
		jobs[i] = job{sp, m, q, k}
	}
	hits := make([][]topk.Item, len(reqs))
	// Group unfiltered, unthresholded L2/dot queries by space for the four-at-a-time kernel.
	groups := map[*space][]int{}
	var singles []int
	for i, r := range reqs {
		if r.Filter == nil && len(reqs) > 1 && jobs[i].m.d != Manhattan {
			groups[jobs[i].sp] = append(groups[jobs[i].sp], i)
		} else {
			singles = append(singles, i)
		}
	}
	var tasks []func()
	for sp, idx := range groups {
		m := jobs[idx[0]].m
		for _, part := range splitQuads(idx, runtime.GOMAXPROCS(0)) {
			qs := make([][]float32, len(part))
			ks := make([]int, len(part))
			for j, i := range part {
				qs[j], ks[j] = jobs[i].q, jobs[i].k
			}
			tasks = append(tasks, func() {
				res := c.scanMany(sp, m, qs, ks)
				for j, i := range part {
					hits[i] = res[j]
				}
			})
		}
	}
	for _, i := range singles {
		j, r := jobs[i], reqs[i]
		tasks = append(tasks, func() {
			hits[i] = c.scanOne(j.sp, j.m, j.q, r.Filter, j.k, j.m.threshold(r.ScoreThreshold))
		})
	}
	runTasks(ctx, tasks)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]Record, len(reqs))
	for i, r := range reqs {
		m := jobs[i].m
		maxDist := m.threshold(r.ScoreThreshold)
		recs := make([]Record, 0, len(hits[i]))
		skipped := 0
		for _, it := range hits[i] {
			if it.Dist > maxDist {
				break
			}
			if r.Exclude != nil && c.st.ids[it.Slot] == *r.Exclude {
				continue
			}
			if skipped < r.Offset {
				skipped++
				continue
			}
			if len(recs) == r.Limit {
				break
			}
			rec := c.record(it.Slot, r.WithPayload, r.Vectors)
			rec.Score = m.score(it.Dist)
			recs = append(recs, rec)
		}
		out[i] = recs
	}
	return out, nil
}

// runTasks runs tasks on up to GOMAXPROCS goroutines, skipping those not started before ctx ends.
func runTasks(ctx context.Context, tasks []func()) {
	if len(tasks) == 1 {
		tasks[0]()
		return
	}
	workers := min(runtime.GOMAXPROCS(0), len(tasks))
	next := make(chan func())
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range next {
				t()
			}
		}()
	}
	for _, t := range tasks {
		if ctx.Err() != nil {
			break
		}
		next <- t
	}
	close(next)
	wg.Wait()
}

// splitQuads splits query indexes into up to parts chunks whose sizes are multiples of four where
// possible, so every chunk uses the four-query kernel fully.
func splitQuads(idx []int, parts int) [][]int {
	quads := (len(idx) + 3) / 4
	parts = max(1, min(parts, quads))
	per := (quads + parts - 1) / parts * 4
	var out [][]int
	for len(idx) > 0 {
		n := min(per, len(idx))
		out = append(out, idx[:n])
		idx = idx[n:]
	}
	return out
}

// scanOne scores every live vector of sp against q, keeping the k best that pass f.
func (c *Collection) scanOne(sp *space, m metric, q []float32, f *filter.Filter, k int, maxDist float32) []topk.Item {
	st := c.st
	n := st.slots()
	h := topk.New(k)
	cand, narrowed := f.Candidates(st.indexes, n)
	accept := func(slot uint32) bool {
		return f == nil || f.Match(st.ids[slot], st.payloads[slot])
	}
	if narrowed && cand.Count()*sparseFraction < n {
		for slot, ok := cand.Next(0); ok; slot, ok = cand.Next(slot + 1) {
			if !sp.has.get(slot) {
				continue
			}
			d := m.rank(m.pair(q, sp.vector(slot)))
			if d > maxDist || h.Full() && d >= h.Bound() || !accept(slot) {
				continue
			}
			h.Push(d, slot)
		}
		return h.Sorted()
	}
	bufp := scratchPool.Get().(*[]float32)
	defer scratchPool.Put(bufp)
	buf := *bufp
	dim := sp.dim
	for b0 := 0; b0 < n; b0 += scanBlock {
		cnt := min(scanBlock, n-b0)
		m.batch(q, sp.data[b0*dim:(b0+cnt)*dim], buf[:cnt])
		for i := 0; i < cnt; i++ {
			slot := uint32(b0 + i)
			d := m.rank(buf[i])
			if d > maxDist || h.Full() && d >= h.Bound() || !sp.has.get(slot) {
				continue
			}
			if narrowed && !cand.Get(slot) || !accept(slot) {
				continue
			}
			h.Push(d, slot)
		}
	}
	return h.Sorted()
}

// batchBytes is the size of the base tile that scanMany keeps hot in cache while every query
// group of a worker is scored against it.
const batchBytes = 256 << 10

// scanMany scores queries (no filter, no threshold) against every live vector of sp, four queries
// per pass over each tile of the base.
func (c *Collection) scanMany(sp *space, m metric, qs [][]float32, ks []int) [][]topk.Item {
	n := c.st.slots()
	dim := sp.dim
	tile := max(16, batchBytes/(4*dim))
	heaps := make([]*topk.Heap, len(qs))
	for i := range heaps {
		heaps[i] = topk.New(ks[i])
	}
	var outs [4][]float32
	for i := range outs {
		outs[i] = make([]float32, tile)
	}
	batch4 := distance.L2SqBatch4
	if m.d != Euclid {
		batch4 = distance.DotBatch4
	}
	for b0 := 0; b0 < n; b0 += tile {
		cnt := min(tile, n-b0)
		base := sp.data[b0*dim : (b0+cnt)*dim]
		for g := 0; g < len(qs); g += 4 {
			var q [4][]float32
			for j := 0; j < 4; j++ {
				q[j] = qs[min(g+j, len(qs)-1)] // pad a short last group by repeating a query
			}
			batch4(q[0], q[1], q[2], q[3], base, outs[0][:cnt], outs[1][:cnt], outs[2][:cnt], outs[3][:cnt])
			for j := 0; j < 4 && g+j < len(qs); j++ {
				h, o := heaps[g+j], outs[j]
				for i := 0; i < cnt; i++ {
					d := m.rank(o[i])
					if h.Full() && d >= h.Bound() {
						continue
					}
					if slot := uint32(b0 + i); sp.has.get(slot) {
						h.Push(d, slot)
					}
				}
			}
		}
	}
	res := make([][]topk.Item, len(qs))
	for i, h := range heaps {
		res[i] = h.Sorted()
	}
	return res
}
