package server

import (
	"context"
	"math"
	"sort"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

// stage is one level of a hybrid query: its own search (or fusion) over the results of its
// prefetches.
type stage struct {
	req      collection.SearchRequest // resolved query vector (dense or sparse), using, filter, limit
	hasQuery bool
	fusion   *api.Fusion
	mmr      *api.MMR
	prefetch []*stage
}

// resolve turns a query target into a vector for `using`: documents are embedded (as queries),
// point ids replaced by that point's vector.
func (s *Server) resolve(ctx context.Context, c *collection.Collection, t api.Target, using string, req *collection.SearchRequest) error {
	switch {
	case t.Vector != nil:
		req.Vector = t.Vector
	case t.Sparse != nil:
		req.Sparse = t.Sparse
	case t.Doc != nil:
		out, err := s.embedder.Embed(ctx, []api.Document{*t.Doc}, true)
		if err != nil {
			return err
		}
		req.Vector, req.Sparse = out[0].Dense, out[0].Sparse
	case t.ID != nil:
		if _, sparse := c.Config().SparseVectors[using]; sparse {
			sv, err := c.SparseOf(*t.ID, using)
			if err != nil {
				return err
			}
			req.Sparse = &sv
		} else {
			v, err := c.VectorOf(*t.ID, using)
			if err != nil {
				return err
			}
			req.Vector = v
		}
		req.Exclude = t.ID
	}
	return nil
}

// buildStage plans a prefetch (recursively); parent is the enclosing filter, ANDed in.
func (s *Server) buildStage(ctx context.Context, c *collection.Collection, p api.Prefetch, parent *filter.Filter, depth int) (*stage, error) {
	t, err := p.Target()
	if err != nil {
		return nil, err
	}
	return s.buildStageFor(ctx, c, p, t, parent, depth)
}

// buildStageFor is buildStage with p's query already parsed into t (the top stage's, which the
// request parsed once).
func (s *Server) buildStageFor(ctx context.Context, c *collection.Collection, p api.Prefetch, t api.Target, parent *filter.Filter, depth int) (*stage, error) {
	if depth > 8 {
		return nil, api.BadRequest("prefetch is nested more than 8 levels deep")
	}
	limit, err := api.LimitOr(p.Limit, 10)
	if err != nil {
		return nil, err
	}
	st := &stage{fusion: t.Fusion, mmr: t.MMR}
	st.req = collection.SearchRequest{Using: using(p.Using), Filter: filter.And(p.Filter.Get(), parent), Limit: limit, ScoreThreshold: p.ScoreThreshold}
	p.Params.Apply(&st.req)
	if t.Fusion == nil && (t.Vector != nil || t.Sparse != nil || t.Doc != nil || t.ID != nil) {
		st.hasQuery = true
		if err := s.resolve(ctx, c, t, st.req.Using, &st.req); err != nil {
			return nil, err
		}
	}
	subs, err := api.ParsePrefetch(p.Prefetch)
	if err != nil {
		return nil, err
	}
	for _, sub := range subs {
		child, err := s.buildStage(ctx, c, sub, st.req.Filter, depth+1)
		if err != nil {
			return nil, err
		}
		st.prefetch = append(st.prefetch, child)
	}
	return st, nil
}

func using(u *string) string {
	if u == nil {
		return ""
	}
	return *u
}

// execStage runs a stage and returns its results best first, with scores (no payload or vectors).
func (s *Server) execStage(ctx context.Context, c *collection.Collection, st *stage) ([]collection.Record, error) {
	if st.fusion != nil && len(st.prefetch) == 0 {
		return nil, api.BadRequest("a fusion query needs prefetches to fuse")
	}
	if len(st.prefetch) == 0 {
		if !st.hasQuery {
			recs, _, err := c.Scroll(collection.ScrollRequest{Filter: st.req.Filter, Limit: st.req.Limit})
			return recs, err
		}
		if st.mmr != nil {
			return s.mmr(ctx, c, st)
		}
		return c.Search(ctx, st.req)
	}
	lists := make([][]collection.Record, len(st.prefetch))
	for i, p := range st.prefetch {
		recs, err := s.execStage(ctx, c, p)
		if err != nil {
			return nil, err
		}
		lists[i] = recs
	}
	switch {
	case st.fusion != nil:
		higher := make([]bool, len(st.prefetch))
		for i, p := range st.prefetch {
			higher[i] = higherIsBetter(c, p)
		}
		fused, err := fuse(lists, higher, *st.fusion)
		if err != nil {
			return nil, err
		}
		if len(fused) > st.req.Limit {
			fused = fused[:st.req.Limit]
		}
		return fused, nil
	case st.hasQuery:
		seen := map[pointid.ID]bool{}
		req := st.req
		req.Only = []pointid.ID{}
		for _, l := range lists {
			for _, r := range l {
				if !seen[r.ID] {
					seen[r.ID] = true
					req.Only = append(req.Only, r.ID)
				}
			}
		}
		if st.mmr != nil {
			inner := *st
			inner.req = req
			inner.prefetch = nil
			return s.mmr(ctx, c, &inner)
		}
		return c.Search(ctx, req)
	default:
		seen := map[pointid.ID]bool{}
		var out []collection.Record
		for _, l := range lists {
			for _, r := range l {
				if !seen[r.ID] && len(out) < st.req.Limit {
					seen[r.ID] = true
					out = append(out, r)
				}
			}
		}
		return out, nil
	}
}

// higherIsBetter reports whether a stage's scores rank descending.
func higherIsBetter(c *collection.Collection, st *stage) bool {
	if st.fusion != nil || st.req.Sparse != nil {
		return true
	}
	if p, ok := c.Config().Vectors[st.req.Using]; ok {
		return p.Distance.HigherIsBetter()
	}
	return true
}

// fuse merges ranked lists as Qdrant does. RRF: each list contributes 1 / (position/weight + k)
// for its 0-based positions (weights default 1). DBSF: each list's scores (turned so that higher
// is better) are normalised with mean ± 3 standard deviations to 0..1 (a lone score is 0.5) and
// summed. Results sort by fused score descending, ties by id.
func fuse(lists [][]collection.Record, higher []bool, f api.Fusion) ([]collection.Record, error) {
	if f.Weights != nil && len(f.Weights) != len(lists) {
		return nil, api.BadRequest("rrf.weights has %d entries but there are %d prefetches", len(f.Weights), len(lists))
	}
	score := map[pointid.ID]float64{}
	first := map[pointid.ID]collection.Record{}
	for i, l := range lists {
		w := 1.0
		if f.Weights != nil {
			w = float64(f.Weights[i])
		}
		var norm func(j int) float64
		if f.Method == "dbsf" {
			vals := make([]float64, len(l))
			for j, r := range l {
				vals[j] = float64(r.Score)
				if !higher[i] {
					vals[j] = -vals[j]
				}
			}
			norm = dbsfNorm(vals)
		}
		for j, r := range l {
			var s float64
			if f.Method == "dbsf" {
				s = w * norm(j)
			} else if w > 0 {
				s = 1 / (float64(j+1)/w + float64(f.K) - 1)
			}
			score[r.ID] += s
			if _, ok := first[r.ID]; !ok {
				first[r.ID] = r
			}
		}
	}
	out := make([]collection.Record, 0, len(score))
	for id, s := range score {
		r := first[id]
		r.Score = float32(s)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].ID.Less(out[j].ID)
	})
	return out, nil
}

// dbsfNorm returns the distribution-based normalisation of a list of scores.
func dbsfNorm(vals []float64) func(int) float64 {
	if len(vals) < 2 {
		return func(int) float64 { return 0.5 }
	}
	var mean, agg float64
	for k, v := range vals {
		d := v - mean
		mean += d / float64(k+1)
		agg += d * (v - mean)
	}
	std := math.Sqrt(agg / float64(len(vals)-1))
	lo, hi := mean-3*std, mean+3*std
	return func(j int) float64 {
		if hi == lo {
			return 0.5
		}
		return (vals[j] - lo) / (hi - lo)
	}
}

// mmr re-ranks the nearest candidates for diversity (Qdrant's maximal marginal relevance): start
// with the most relevant, then repeatedly take the candidate maximising
// (1 − diversity)·sim(query, c) − diversity·max sim(c, chosen). Scores stay the relevance scores.
func (s *Server) mmr(ctx context.Context, c *collection.Collection, st *stage) ([]collection.Record, error) {
	if st.req.Sparse != nil {
		return nil, api.BadRequest("mmr works on dense vectors only")
	}
	if st.req.Limit > api.MaxMMRCandidates {
		return nil, api.BadRequest("mmr: limit %d is above the %d candidates mmr can re-rank", st.req.Limit, api.MaxMMRCandidates)
	}
	p := c.Config().Vectors[st.req.Using]
	req := st.req
	req.Limit = max(st.req.Limit, st.mmr.CandidatesLimit)
	req.Vectors = collection.VectorSelect{Names: []string{st.req.Using}}
	cands, err := c.Search(ctx, req)
	if err != nil {
		return nil, err
	}
	sim := func(a, b []float32) float64 {
		switch p.Distance {
		case collection.Euclid:
			return -math.Sqrt(float64(distance.L2Sq(a, b)))
		case collection.Manhattan:
			return -float64(distance.L1(a, b))
		}
		return float64(distance.Dot(a, b))
	}
	rel := func(r collection.Record) float64 {
		if p.Distance.HigherIsBetter() {
			return float64(r.Score)
		}
		return -float64(r.Score)
	}
	lambda := 1 - float64(st.mmr.Diversity)
	chosen := make([]collection.Record, 0, st.req.Limit)
	used := make([]bool, len(cands))
	// maxSim[i] is candidate i's highest similarity to a chosen one, updated with each new choice
	// (so a round costs one similarity per candidate, not one per chosen pair).
	maxSim := make([]float64, len(cands))
	for i := range maxSim {
		maxSim[i] = math.Inf(-1)
	}
	for len(chosen) < st.req.Limit && len(chosen) < len(cands) {
		best, bestScore := -1, math.Inf(-1)
		for i, cand := range cands {
			if used[i] {
				continue
			}
			score := rel(cand)
			if len(chosen) > 0 {
				score = lambda*rel(cand) - (1-lambda)*maxSim[i]
			}
			// best < 0: scores of -Inf or NaN (overflowing distances) still choose someone.
			if best < 0 || score > bestScore {
				best, bestScore = i, score
			}
		}
		used[best] = true
		chosen = append(chosen, cands[best])
		v := cands[best].Vectors[st.req.Using]
		for i, cand := range cands {
			if !used[i] {
				maxSim[i] = max(maxSim[i], sim(cand.Vectors[st.req.Using], v))
			}
		}
	}
	for i := range chosen {
		chosen[i].Vectors = nil
	}
	return chosen, nil
}
