package hnsw

import (
	"fmt"
	"math"
	"slices"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/topk"
)

// SearchParams tunes one search.
type SearchParams struct {
	K  int // results wanted
	Ef int // candidate-list size of the level-0 search; raised to K if smaller
	// Accept, if set, must approve a slot before it is returned (a payload
	// filter). It may be called for any slot the search meets, concurrently
	// with other searches, and must be cheap and safe for concurrent use.
	Accept func(slot uint32) bool
	// Allowed, if set, is the set of slots that may be returned (combined
	// with Accept).
	Allowed filter.Bitmap
	// AllowedCount estimates how many slots pass the filter (0: unknown;
	// then Allowed.Count() is used if Allowed is set). When it is small
	// enough that scoring them all is cheaper than a filtered traversal
	// (count² ≤ 8·ef·live slots, measured by BenchmarkFilteredSearch), the
	// search is exact over the allowed slots.
	AllowedCount int
	// Exact forces an exhaustive search (Qdrant's "exact": true).
	Exact bool
	// IgnoreQuantization traverses with float32 distances even when the
	// index has int8 codes or attached Codes (Qdrant's quantization.ignore).
	IgnoreQuantization bool
	// NoRescore returns the traversal's approximate distances instead of
	// rescoring the candidates in float32 (Qdrant's rescore: false).
	NoRescore bool
	// Oversampling, when above 1, rescores at least ceil(K*Oversampling)
	// of the best approximate candidates (raising ef to that many), as
	// Qdrant's quantization.oversampling does.
	Oversampling float64
}

// Search returns the k nearest live slots to q found with a candidate list
// of ef, best first, with exact distances. accept, if not nil, filters the
// results as in SearchParams. q must have the index's dimension.
func (x *Index) Search(q []float32, k, ef int, accept func(slot uint32) bool) []topk.Item {
	return x.SearchWith(q, SearchParams{K: k, Ef: ef, Accept: accept})
}

// SearchWith is Search with every option.
func (x *Index) SearchWith(q []float32, p SearchParams) []topk.Item {
	if len(q) != x.dim {
		panic(fmt.Sprintf("BUG: hnsw: query of dimension %d, index %d", len(q), x.dim))
	}
	if p.K <= 0 {
		return nil
	}
	x.grow.RLock()
	defer x.grow.RUnlock()
	epSlot, epLevel, ok := unpackEntry(x.entry.Load())
	if !ok {
		return nil
	}
	// A list longer than the index changes nothing: the cap keeps a huge limit or ef from sizing
	// the searcher's lists (they are allocated at ef and pooled).
	ef := min(max(p.Ef, p.K), max(x.nslots, 1))
	filtered := p.Accept != nil || p.Allowed != nil
	if p.Exact || filtered && x.exactWorthIt(p, ef) {
		return x.searchExact(q, p)
	}
	a := admit{accept: p.Accept, allowed: p.Allowed}
	a.active = filtered || x.ndeleted.Load() > 0
	pool := p.K
	quantized := !p.IgnoreQuantization && (x.quant != nil || x.attached != nil)
	if p.Oversampling > 1 && quantized && !p.NoRescore {
		// Capped by the slots: a huge limit times a huge factor must not
		// size the search's lists (they are allocated at ef).
		pool = int(min(math.Ceil(float64(p.K)*p.Oversampling), float64(max(x.nslots, 1)))) // in float64: no overflow
		ef = max(ef, pool)
	}
	s := x.getSearcher(ef)
	defer x.searchers.Put(s)
	x.setMode(s, p.IgnoreQuantization)
	x.prepareMode(s, q)
	ep, epd := x.greedy(s, epSlot, x.dist1(s, epSlot), epLevel, 0)
	x.searchLayer(s, ep, epd, ef, 0, &a)
	if s.mode == modeFloat || p.NoRescore {
		for len(s.res) > p.K {
			s.res.pop()
		}
		out := make([]topk.Item, len(s.res))
		for i := len(out) - 1; i >= 0; i-- {
			k := s.res.pop()
			out[i] = topk.Item{Dist: keyDist(k), Slot: keySlot(k)}
		}
		return out
	}
	return x.rescore(s, p.K, pool)
}

// maxExactDim bounds the lossless fast path: the int32 sum of (q-c)² (each
// at most 510²) cannot overflow below this dimension.
const maxExactDim = (1<<31 - 1) / (510 * 510)

// rescoreSigmas is how far past the k-th best approximate distance, in
// standard deviations of the quantization noise (see noise), a candidate
// may lie and still be rescored in float32. Each rescore reads a whole
// float vector, so fewer is faster; too few misses true neighbours that the
// noise ranked below k. TestCurve: on clustered-100k-768-unit (inner
// product, near ties) 3 sigmas capped recall at 0.9996 and 4 reached 1.0
// at ef 80 with 35 % more QPS than rescoring all ef; on clustered-1M-128 4
// sigmas matched a fixed 3k candidates in recall and QPS.
const rescoreSigmas = 6.0

// rescore replaces the approximate distances of the candidates in s.res
// that may be among the best k with exact ones, and returns the best k.
func (x *Index) rescore(s *searcher, k, pool int) []topk.Item {
	slices.Sort(s.res) // ascending: no longer a heap
	if s.mode == modeInt8 && s.qr.exact && !x.lossy.Load() && x.dim < maxExactDim || s.mode == modeCodes && s.precise {
		// Lossless codes and an on-grid query (the integer distances are
		// the float32 distances), or precise attached codes (float16): the
		// float vectors are not read at all.
		keys := s.res[:min(k, len(s.res))]
		out := make([]topk.Item, len(keys))
		for i, c := range keys {
			out[i] = topk.Item{Dist: keyDist(c), Slot: keySlot(c)}
		}
		s.res = s.res[:0]
		return out
	}
	if s.mode == modeCodes {
		// Attached codes have no noise model: rescore the best pool.
		s.res = s.res[:min(len(s.res), max(k, pool))]
	} else if x.clamped.Load() {
		// A clamped coordinate's error is unbounded, so the noise window
		// does not hold; rescore every candidate.
	} else if len(s.res) > k {
		kth := keyDist(s.res[k-1])
		limit := kth + float32(rescoreSigmas)*x.noise(&s.qr, kth)
		n := k
		for n < len(s.res) && keyDist(s.res[n]) <= limit {
			n++
		}
		s.res = s.res[:max(n, min(pool, len(s.res)))]
	}
	ids := s.ids[:0]
	for _, c := range s.res {
		ids = append(ids, keySlot(c))
	}
	df := s.df[:len(ids)]
	if x.cfg.Metric == flat.L2 {
		distance.L2SqGather(s.qr.f, x.vecs, ids, df)
	} else {
		distance.DotGather(s.qr.f, x.vecs, ids, df)
		for i := range df {
			df[i] = -df[i]
		}
	}
	keys := s.res[:0]
	for i, id := range ids {
		keys = append(keys, key(df[i], id))
	}
	slices.Sort(keys)
	keys = keys[:min(k, len(keys))]
	out := make([]topk.Item, len(keys))
	for i, c := range keys {
		out[i] = topk.Item{Dist: keyDist(c), Slot: keySlot(c)}
	}
	s.res = s.res[:0]
	return out
}

// exactCostRatio calibrates exactWorthIt. BenchmarkFilteredSearch (50,000
// x 128 clustered, ef 40, Int8, loaded 2-core VM): the filtered traversal
// took 86, 274, 556 and 1457 µs at 50, 10, 3 and 1 % allowed, the exact
// search over the allowed slots 1746, 374, 51 and 12 µs. They cross near 7 %
// allowed (3,500 slots), where est² ≈ 6·ef·live. (The traversal's cost
// grows like ef/fraction^0.75 and only logarithmically with the index, the
// exact search's linearly with the allowed count: on a million slots the
// crossover falls to about 2 %.)
const exactCostRatio = 8

// exactWorthIt reports whether scoring every allowed slot is expected to
// be cheaper than a filtered traversal (see exactCostRatio).
func (x *Index) exactWorthIt(p SearchParams, ef int) bool {
	est := p.AllowedCount
	if est <= 0 {
		if p.Allowed == nil {
			return false // Accept alone: unknown selectivity
		}
		est = p.Allowed.Count()
	}
	live := max(1, x.Len())
	est = min(est, live)
	return float64(est)*float64(est) <= exactCostRatio*float64(ef)*float64(live)
}

// exactBlock is how many allowed slots the exact search scores per
// gather-kernel call.
const exactBlock = 256

// searchExact scores every live slot that passes the filter, visiting only
// the set bits of Allowed when it is given. The caller holds grow for
// reading.
func (x *Index) searchExact(q []float32, p SearchParams) []topk.Item {
	h := topk.New(p.K)
	var idsBuf [exactBlock]uint32
	var out [exactBlock]float32
	ids := idsBuf[:0]
	n := min(x.nslots, len(x.vecs)/x.dim)
	flush := func() {
		if x.cfg.Metric == flat.L2 {
			distance.L2SqGather(q, x.vecs, ids, out[:])
		} else {
			distance.DotGather(q, x.vecs, ids, out[:])
		}
		for i, id := range ids {
			d := out[i]
			if x.cfg.Metric == flat.InnerProduct {
				d = -d
			}
			h.Push(d, id)
		}
		ids = ids[:0]
	}
	consider := func(s uint32) {
		if !x.inserted.get(s) || x.deleted.get(s) || p.Accept != nil && !p.Accept(s) {
			return
		}
		ids = append(ids, s)
		if len(ids) == exactBlock {
			flush()
		}
	}
	if p.Allowed != nil {
		for s, ok := p.Allowed.Next(0); ok && int(s) < n; s, ok = p.Allowed.Next(s + 1) {
			consider(s)
		}
	} else {
		for s := 0; s < n; s++ {
			consider(uint32(s))
		}
	}
	if len(ids) > 0 {
		flush()
	}
	return h.Sorted()
}

// noise estimates the standard deviation of the quantization error of an
// approximate distance near d. Codes round each coordinate to a step, an
// error uniform in ±step/2 (variance step²/12) per dimension. L2:
// |q̂-x̂|² - |q-x|² varies with x as 2(q-x)·(e_q-e_x), σ = 2|q-x|·step/√6.
// Inner product: the int16 query is near exact, σ = |q|·step/√12.
func (x *Index) noise(qr *query, d float32) float32 {
	step := float64(x.quant.step)
	if x.cfg.Metric == flat.L2 {
		return float32(2 * math.Sqrt(max(float64(d), 0)) * step / math.Sqrt(6))
	}
	return float32(float64(qr.norm) * step / math.Sqrt(12))
}

// admit decides which slots may enter a search's results.
type admit struct {
	active bool // false: every slot is admitted (no filter, no deletes)
	// build marks the searches of Insert: they skip the prefetch of every
	// pushed candidate's list, which pays at query ef (1M A/B: +2-4 %) but
	// cost the build 7 % at ef_construct 200, where most pushed candidates
	// are never expanded.
	build   bool
	accept  func(uint32) bool
	allowed filter.Bitmap
}

func (x *Index) admits(a *admit, s uint32) bool {
	return !x.deleted.get(s) && (a.allowed == nil || a.allowed.Get(s)) && (a.accept == nil || a.accept(s))
}

var admitAll = &admit{}

var admitBuild = &admit{build: true}

// searcher is the scratch of one search, pooled.
type searcher struct {
	visited  []uint8 // visited[s] == tag: s was seen by the current search
	tag      uint8
	cand     minHeap
	res      maxHeap
	ids      []uint32
	df       []float32
	d32      []int32
	nb       []uint32
	sel      []uint32
	perLevel [][]uint32 // an insert's chosen neighbours per level, until it links them back
	keys     []uint64
	w16      []int16 // a code widened to a query (build)
	kept     []int16 // the widened codes of the nodes heuristic has kept
	qr       query
	mode     scoreMode
	ext      quant.Scorer // scorer of extCodes (modeCodes)
	precise  bool         // modeCodes: the attached codes are quant.Precise
	extOf    uint64       // the attachedGen ext was made for (0: none)
}

// getSearcher returns pooled scratch sized for the current arrays. The
// caller holds grow for reading.
func (x *Index) getSearcher(ef int) *searcher {
	s, _ := x.searchers.Get().(*searcher)
	if s == nil {
		s = &searcher{}
	}
	if len(s.visited) < x.nslots {
		s.visited = make([]uint8, x.nslots)
		adviseHuge(s.visited)
		s.tag = 0
	}
	s.mode = modeFloat
	if x.quant != nil {
		s.mode = modeInt8
	}
	n := max(x.m0, x.cfg.EfConstruct, ef) + 1
	if len(s.df) < n {
		s.ids = make([]uint32, 0, n)
		s.df = make([]float32, n)
		s.d32 = make([]int32, n)
		s.nb = make([]uint32, 0, n)
	}
	return s
}

func (s *searcher) nextTag() {
	s.tag++
	if s.tag == 0 {
		clear(s.visited)
		s.tag = 1
	}
}

// score writes the distances from the prepared query to ids into out.
func (x *Index) score(s *searcher, ids []uint32, out []float32) {
	if len(ids) == 0 {
		return
	}
	qr := &s.qr
	if s.mode == modeCodes {
		s.ext.Score(ids, out[:len(ids)])
		return
	}
	if s.mode == modeInt8 {
		d32 := s.d32[:len(ids)]
		if x.cfg.Metric == flat.L2 {
			distance.L2SqU8Gather(qr.q16, x.codes, x.codeStride, ids, d32)
		} else {
			distance.DotU8I16Gather(qr.q16, x.codes, x.codeStride, ids, d32)
		}
		out = out[:len(d32)]
		for i, v := range d32 {
			out[i] = qr.add + qr.mul*float32(v)
		}
		return
	}
	if x.cfg.Metric == flat.L2 {
		distance.L2SqGather(qr.f, x.vecs, ids, out)
		return
	}
	distance.DotGather(qr.f, x.vecs, ids, out)
	out = out[:len(ids)]
	for i := range out {
		out[i] = -out[i]
	}
}

// dist1 is score for one slot.
func (x *Index) dist1(s *searcher, id uint32) float32 {
	ids := append(s.ids[:0], id)
	x.score(s, ids, s.df)
	return s.df[0]
}

// greedy descends from level from to level to+1, moving at each level to
// the nearest neighbour until none is nearer, and returns the node it
// ends on (the entry point of level to).
func (x *Index) greedy(s *searcher, ep uint32, epd float32, from, to int) (uint32, float32) {
	for l := from; l > to; l-- {
		for changed := true; changed; {
			changed = false
			ids := readList(x.list(ep, l), s.nb)
			x.score(s, ids, s.df)
			for i, id := range ids {
				if d := s.df[i]; d < epd {
					ep, epd, changed = id, d, true
				}
			}
		}
	}
	return ep, epd
}

// searchLayer is the beam search of one level from ep: it leaves the best
// (at most) ef admitted nodes it finds in s.res. Every node is expanded
// whether admitted or not, so filters and deletions never cut the graph;
// while fewer than ef nodes are admitted the search keeps expanding.
func (x *Index) searchLayer(s *searcher, ep uint32, epd float32, ef, level int, a *admit) {
	s.nextTag()
	vis, tag := s.visited, s.tag
	vis[ep] = tag
	s.cand = s.cand[:0]
	s.res = s.res[:0]
	epk := key(epd, ep)
	bound := uint64(math.MaxUint64)
	if !a.active || x.admits(a, ep) {
		s.res.push(epk)
		bound = epk
	}
	s.cand.push(epk)
	for len(s.cand) > 0 {
		c := s.cand.pop()
		if c > bound && (len(s.res) >= ef || !a.active) {
			break
		}
		if len(s.cand) > 0 {
			// The list most likely expanded next: fetch it while this
			// one's neighbours are scored.
			distance.Prefetch(x.list(keySlot(s.cand[0]), level))
		}
		row := x.list(keySlot(c), level)
		ids := s.ids[:0]
		for i := range row {
			id := atomic.LoadUint32(&row[i])
			if id == none {
				break
			}
			if vis[id] != tag {
				vis[id] = tag
				ids = append(ids, id)
			}
		}
		if len(ids) == 0 {
			continue
		}
		x.score(s, ids, s.df)
		df := s.df[:len(ids)]
		for i, id := range ids {
			k := key(df[i], id)
			if len(s.res) < ef || k < bound {
				s.cand.push(k)
				if !a.build {
					distance.Prefetch(x.list(id, level))
				}
				if !a.active || x.admits(a, id) {
					s.res.push(k)
					if len(s.res) > ef {
						s.res.pop()
					}
				}
				if len(s.res) > 0 {
					bound = s.res[0]
				}
			}
		}
	}
}
