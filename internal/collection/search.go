package collection

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/index/ivf"
	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/topk"
)

// SearchRequest is one nearest-neighbour query: by a dense Vector, or by a Sparse one.
type SearchRequest struct {
	Vector         []float32
	Sparse         *SparseVector
	Using          string
	Filter         *filter.Filter
	Limit          int
	Offset         int
	ScoreThreshold *float32
	WithPayload    bool
	Vectors        VectorSelect
	// Exclude drops one point from the results (the point a query-by-id started from).
	Exclude *pointid.ID
	// Stats, if set, receives how much work the search did.
	Stats *SearchStats
	// Only, if set, restricts the search to these points (re-scoring a prefetch's candidates).
	Only []pointid.ID
	// Exact scans every vector even where an HNSW graph exists (Qdrant's params.exact).
	Exact bool
	// Ef is the HNSW candidate-list size (Qdrant's params.hnsw_ef); 0 means the vector's
	// ef_construct, and never less than Limit+Offset.
	Ef int
	// IgnoreQuantization searches graphs with float32 distances instead of their codes
	// (Qdrant's params.quantization.ignore).
	IgnoreQuantization bool
	// NoRescore returns the codes' approximate scores (Qdrant's quantization.rescore: false).
	NoRescore bool
	// Oversampling rescores ceil(Limit*Oversampling) candidates found with the codes (Qdrant's
	// quantization.oversampling; 0 means 1, values below 1 are refused).
	Oversampling float64
	// Nprobe is the lists an IVF search probes (Needle's params.nprobe; 0: the ivf_config's).
	Nprobe int
}

// SearchStats describes the work of one search.
type SearchStats struct {
	Scored int // vectors whose distance to the query was computed
}

// metric binds a distance to its flat-search kernel and converts Needle's internal "smaller is
// better" rank distance to Qdrant's score.
type metric struct {
	d      Distance
	kernel flat.Metric
}

func metricOf(d Distance) metric {
	switch d {
	case Cosine, Dot:
		return metric{d, flat.InnerProduct}
	case Euclid:
		return metric{d, flat.L2}
	case Manhattan:
		return metric{d, flat.L1}
	}
	panic("BUG: unknown distance " + string(d))
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
		return flat.NoLimit
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
func (c *Collection) prepare(req *SearchRequest) (metric, []float32, error) {
	if req.Limit <= 0 {
		return metric{}, nil, invalidf("limit must be positive")
	}
	if req.Offset < 0 {
		return metric{}, nil, invalidf("offset must not be negative")
	}
	if req.Nprobe < 0 {
		return metric{}, nil, invalidf("params.nprobe must be positive, got %d", req.Nprobe)
	}
	if o := req.Oversampling; o != 0 && !(o >= 1 && o <= 1000) {
		return metric{}, nil, invalidf("params.quantization.oversampling must be between 1 and 1000, got %v", o)
	}
	if err := c.CheckVectorNames(req.Vectors); err != nil {
		return metric{}, nil, err
	}
	if req.Sparse != nil {
		if _, ok := c.cfg.SparseVectors[req.Using]; !ok {
			return metric{}, nil, invalidf("`using` must name a sparse vector for a sparse query; `%s` is not one (sparse vectors: %v)", req.Using, c.cfg.SparseNames())
		}
		q := SparseVector{Indices: slices.Clone(req.Sparse.Indices), Values: slices.Clone(req.Sparse.Values)}
		if err := q.normalize(); err != nil {
			return metric{}, nil, invalidf("sparse query %v", err)
		}
		req.Sparse = &q
		return metricOf(Dot), nil, nil
	}
	if err := c.cfg.CheckQueryVector(req.Using, req.Vector); err != nil {
		return metric{}, nil, err
	}
	d := c.cfg.Vectors[req.Using].Distance
	q := req.Vector
	if d == Cosine {
		q = slices.Clone(q)
		distance.Normalize(q)
	}
	return metricOf(d), q, nil
}

// Search returns the nearest points to req.Vector by exact scan, best first.
func (c *Collection) Search(ctx context.Context, req SearchRequest) ([]Record, error) {
	res, err := c.SearchBatch(ctx, []SearchRequest{req})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// hit is a search result before it becomes a Record.
type hit struct {
	dist float32
	l    loc
}

// SearchBatch answers several queries under one read lock, segment by segment, merging per query.
// Unfiltered queries on the same vector space are scored four at a time, so each base vector is
// read once per four queries; the work is spread over all cores.
func (c *Collection) SearchBatch(ctx context.Context, reqs []SearchRequest) ([][]Record, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return nil, ErrClosed
	}
	type job struct {
		m metric
		q []float32
		k int
	}
	jobs := make([]job, len(reqs))
	for i := range reqs {
		m, q, err := c.prepare(&reqs[i])
		if err != nil {
			return nil, err
		}
		k := reqs[i].Limit + reqs[i].Offset
		if reqs[i].Exclude != nil {
			k++
		}
		jobs[i] = job{m, q, k}
	}
	hits := make([][]hit, len(reqs))
	// Unfiltered, unthresholded queries on one space share passes over the base.
	groups := map[string][]int{}
	var singles []int
	for i := range reqs {
		if r := &reqs[i]; len(reqs) > 1 && c.st.sharesPass(r) {
			groups[r.Using] = append(groups[r.Using], i)
		} else {
			singles = append(singles, i)
		}
	}
	for using, idx := range groups {
		qs := make([][]float32, len(idx))
		k := 0
		for j, i := range idx {
			qs[j] = jobs[i].q
			k = max(k, jobs[i].k)
		}
		for _, sg := range c.st.segs {
			sp := sg.spaces[using]
			if sg.count == 0 || len(sp.data) == 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			for _, i := range idx {
				if reqs[i].Stats != nil {
					reqs[i].Stats.Scored += sp.flat().Slots()
				}
			}
			res := flat.SearchBatch(sp.flat(), jobs[idx[0]].m.kernel, qs, k, sp.has.get, 0)
			for j, i := range idx {
				hits[i] = appendHits(hits[i], sg, res[j])
			}
		}
	}
	tasks := make([]func(), len(singles))
	for t, i := range singles {
		j, r := jobs[i], reqs[i]
		only := c.onlyBitmaps(r.Only)
		tasks[t] = func() {
			if r.Sparse != nil {
				hits[i] = c.searchSparse(ctx, r.Using, *r.Sparse, r.Filter, only, j.k, j.m.threshold(r.ScoreThreshold), r.Stats)
				return
			}
			hits[i] = c.searchOne(ctx, &r, j.m, j.q, only, j.k, j.m.threshold(r.ScoreThreshold))
		}
	}
	runTasks(ctx, tasks)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := make([][]Record, len(reqs))
	for i, r := range reqs {
		m := jobs[i].m
		maxDist := m.threshold(r.ScoreThreshold)
		sortHits(hits[i])
		recs := make([]Record, 0, min(len(hits[i]), r.Limit))
		skipped := 0
		for _, h := range hits[i] {
			if h.dist > maxDist {
				break
			}
			if r.Exclude != nil && h.l.seg.ids[h.l.slot] == *r.Exclude {
				continue
			}
			if skipped < r.Offset {
				skipped++
				continue
			}
			if len(recs) == r.Limit {
				break
			}
			rec := c.record(h.l, r.WithPayload, r.Vectors)
			rec.Score = m.score(h.dist)
			recs = append(recs, rec)
		}
		out[i] = recs
	}
	return out, nil
}

func appendHits(dst []hit, sg *segmentData, items []topk.Item) []hit {
	for _, it := range items {
		dst = append(dst, hit{it.Dist, loc{sg, it.Slot}})
	}
	return dst
}

// sortHits orders merged per-segment results best first; ties by point id, so results do not
// depend on which segment a point sits in.
func sortHits(hs []hit) {
	slices.SortFunc(hs, func(a, b hit) int {
		if a.dist != b.dist {
			if a.dist < b.dist {
				return -1
			}
			return 1
		}
		ia, ib := a.l.seg.ids[a.l.slot], b.l.seg.ids[b.l.slot]
		if ia.Less(ib) {
			return -1
		}
		if ib.Less(ia) {
			return 1
		}
		return 0
	})
}

// SharesPass reports whether r can share one pass over the vectors with other queries
// (SearchBatch groups such queries): a dense scan, unfiltered, without a score threshold or a
// candidate set. A query that walks an index (an HNSW graph or IVF lists) in some segment gains
// nothing from a shared scan and runs on its own.
func (c *Collection) SharesPass(r *SearchRequest) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st != nil && c.st.sharesPass(r)
}

func (st *state) sharesPass(r *SearchRequest) bool {
	return r.Filter == nil && r.ScoreThreshold == nil && r.Sparse == nil && r.Only == nil && (r.Exact || !st.graphed[r.Using])
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

// searchOne runs one exact search over every segment, narrowing by payload indexes and checking
// the filter only for points good enough to enter the results.
func (c *Collection) searchOne(ctx context.Context, r *SearchRequest, m metric, q []float32, only map[*segmentData]filter.Bitmap, k int, maxDist float32) []hit {
	using, f, stats := r.Using, r.Filter, r.Stats
	var out []hit
	for _, sg := range c.st.segs {
		sp := sg.spaces[using]
		if sg.count == 0 || len(sp.data) == 0 || ctx.Err() != nil {
			continue
		}
		p := flat.Params{K: k, MaxDist: maxDist, Accept: sp.has.get}
		scored := sp.flat().Slots()
		if only != nil {
			allowed := only[sg]
			if allowed == nil {
				continue
			}
			p.Candidates, scored = allowed, allowed.Count()
		}
		if f != nil {
			if cand, ok := f.Candidates(sg.indexes, sg.slots()); ok && only == nil {
				p.Candidates = cand
				if n := cand.Count(); n*16 < scored {
					scored = n // the sparse path visits only the candidates
				}
			}
			p.Accept = func(s uint32) bool { return sp.has.get(s) && f.Match(sg.ids[s], sg.payload(s)) }
		}
		if x := sg.ivfs[using]; x != nil && !r.Exact && only == nil {
			kk := min(k, sg.slots())
			rescore := 0
			if c.cfg.Ivf.PQM > 0 && !r.NoRescore {
				rescore = min(max(kk, int(math.Ceil(float64(kk)*max(r.Oversampling, 4)))), sg.slots())
			}
			accept := p.Accept
			if cand := p.Candidates; cand != nil {
				// The payload index's bitmap first: a bit test rather than a filter match.
				accept = func(s uint32) bool { return cand.Get(s) && p.Accept(s) }
			}
			items := x.Search(q, ivf.SearchParams{K: kk, Nprobe: c.nprobe(r), Accept: accept, Rescore: rescore})
			for len(items) > 0 && items[len(items)-1].Dist > maxDist {
				items = items[:len(items)-1]
			}
			out = appendHits(out, sg, items)
			continue
		}
		if g := sg.graphs[using]; g != nil && !r.Exact && only == nil {
			kk := min(k, sg.slots()) // a huge limit must not size the graph search's lists
			items := g.SearchWith(q, hnsw.SearchParams{K: kk, Ef: min(c.ef(r, kk), max(kk, sg.slots())), Accept: p.Accept, Allowed: p.Candidates,
				IgnoreQuantization: r.IgnoreQuantization, NoRescore: r.NoRescore, Oversampling: r.Oversampling})
			for len(items) > 0 && items[len(items)-1].Dist > maxDist {
				items = items[:len(items)-1]
			}
			out = appendHits(out, sg, items)
			continue
		}
		if stats != nil {
			stats.Scored += scored
		}
		out = appendHits(out, sg, flat.Search(sp.flat(), m.kernel, q, p))
	}
	return out
}

// ef is the HNSW candidate-list size of a request: its hnsw_ef, else the vector's ef_construct,
// and at least k.
func (c *Collection) ef(r *SearchRequest, k int) int {
	ef := r.Ef
	if ef <= 0 {
		_, ef, _ = c.cfg.hnswFor(r.Using)
	}
	return max(ef, k)
}

// searchSparse scores the points sharing terms with q through each segment's inverted index
// (dot product over shared indices, each query term weighted by its IDF when the space's modifier
// is idf, computed over live points at query time), keeping the k best that pass f.
func (c *Collection) searchSparse(ctx context.Context, using string, q SparseVector, f *filter.Filter, only map[*segmentData]filter.Bitmap, k int, maxDist float32, stats *SearchStats) []hit {
	weights := slices.Clone(q.Values)
	if c.cfg.SparseVectors[using].Modifier == "idf" {
		n := 0
		for _, sg := range c.st.segs {
			n += sg.sparse[using].has.count()
		}
		for i, t := range q.Indices {
			df := 0
			for _, sg := range c.st.segs {
				df += sg.sparse[using].liveDocs(t)
			}
			weights[i] *= idf(n, df)
		}
	}
	var out []hit
	for _, sg := range c.st.segs {
		ss := sg.sparse[using]
		if sg.count == 0 || ctx.Err() != nil {
			continue
		}
		acc := getAccumulator(sg.slots())
		for i, t := range q.Indices {
			w := weights[i]
			for _, p := range ss.post[t] {
				acc.add(p.slot, w*p.val)
			}
		}
		if stats != nil {
			stats.Scored += len(acc.touched)
		}
		var cand filter.Bitmap
		if f != nil {
			if b, ok := f.Candidates(sg.indexes, sg.slots()); ok {
				cand = b
			}
		}
		allowed := only[sg]
		h := topk.New(k)
		if only == nil || allowed != nil {
			for _, slot := range acc.touched {
				score := acc.score[slot]
				if !ss.has.get(slot) || allowed != nil && !allowed.Get(slot) {
					continue
				}
				d := -score
				if d > maxDist || h.Full() && d > h.Bound() {
					continue
				}
				if f != nil && (cand != nil && !cand.Get(slot) || !f.Match(sg.ids[slot], sg.payload(slot))) {
					continue
				}
				h.Push(d, slot)
			}
		}
		putAccumulator(acc)
		out = appendHits(out, sg, h.Sorted())
	}
	return out
}

// accumulator sums sparse scores per slot in a dense array, remembering which slots it touched so
// that resetting costs only those (a map was the cost centre of BenchmarkBM25Query).
type accumulator struct {
	score   []float32
	touched []uint32
}

func (a *accumulator) add(slot uint32, v float32) {
	if a.score[slot] == 0 {
		a.touched = append(a.touched, slot)
	}
	a.score[slot] += v
	if a.score[slot] == 0 {
		a.score[slot] = math.SmallestNonzeroFloat32 // keep it marked as touched
	}
}

var accumulators = sync.Pool{New: func() any { return &accumulator{} }}

func getAccumulator(slots int) *accumulator {
	a := accumulators.Get().(*accumulator)
	if len(a.score) < slots {
		a.score = make([]float32, slots)
	}
	return a
}

func putAccumulator(a *accumulator) {
	for _, s := range a.touched {
		a.score[s] = 0
	}
	a.touched = a.touched[:0]
	accumulators.Put(a)
}

// onlyBitmaps turns a list of point ids into per-segment bitmaps of their slots (nil: no restriction).
func (c *Collection) onlyBitmaps(ids []pointid.ID) map[*segmentData]filter.Bitmap {
	if ids == nil {
		return nil
	}
	out := map[*segmentData]filter.Bitmap{}
	for _, id := range ids {
		l, ok := c.st.lookup(id)
		if !ok {
			continue
		}
		b := out[l.seg]
		if b == nil {
			b = filter.NewBitmap(l.seg.slots())
			out[l.seg] = b
		}
		b.Set(l.slot)
	}
	return out
}
