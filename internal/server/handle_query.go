package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

// queryPlan is one parsed query: a plain search, an id-ordered listing (no query), or a hybrid
// tree of prefetches with fusion or re-ranking.
type queryPlan struct {
	search *collection.SearchRequest
	scroll *collection.ScrollRequest
	tree   *stage
	shape  api.Shaper
	skip   int // points to drop from the front (the query's offset) for listings and trees
	// payload and vectors to fetch for a tree's results
	withPayload bool
	vectors     collection.VectorSelect
}

func (s *Server) planQuery(ctx context.Context, c *collection.Collection, q *api.QueryRequest) (queryPlan, error) {
	target, err := q.Target()
	if err != nil {
		return queryPlan{}, err
	}
	limit, err := api.LimitOr(q.Limit, 10)
	if err != nil {
		return queryPlan{}, err
	}
	offset, err := api.OffsetOr(q.Offset)
	if err != nil {
		return queryPlan{}, err
	}
	prefetch, err := api.ParsePrefetch(q.Prefetch)
	if err != nil {
		return queryPlan{}, err
	}
	plan := queryPlan{shape: shaper(c, q.WithPayload), withPayload: q.WithPayload.Or(false), vectors: vectorSelect(q.WithVector)}
	if len(prefetch) > 0 || target.Fusion != nil || target.MMR != nil {
		top := api.Prefetch{Query: q.Query, Using: q.Using, Filter: q.Filter, ScoreThreshold: q.ScoreThreshold, Limit: &limit}
		*top.Limit = limit + offset
		st, err := s.buildStageFor(ctx, c, top, target, nil, 0) // the query parsed once, above
		if err != nil {
			return queryPlan{}, err
		}
		for _, p := range prefetch {
			child, err := s.buildStage(ctx, c, p, st.req.Filter, 1)
			if err != nil {
				return queryPlan{}, err
			}
			st.prefetch = append(st.prefetch, child)
		}
		if st.fusion != nil && len(st.prefetch) == 0 {
			return queryPlan{}, api.BadRequest("a fusion query needs prefetches to fuse")
		}
		plan.tree, plan.skip = st, offset
		return plan, nil
	}
	if target.Vector == nil && target.ID == nil && target.Sparse == nil && target.Doc == nil {
		plan.scroll = &collection.ScrollRequest{Filter: q.Filter.Get(), Limit: limit + offset,
			WithPayload: q.WithPayload.Or(false), Vectors: vectorSelect(q.WithVector)}
		plan.skip = offset
		return plan, nil
	}
	plan.search = &collection.SearchRequest{
		Using: using(q.Using), Filter: q.Filter.Get(), Limit: limit, Offset: offset,
		ScoreThreshold: q.ScoreThreshold, WithPayload: q.WithPayload.Or(false), Vectors: vectorSelect(q.WithVector),
	}
	q.Params.Apply(plan.search)
	if err := s.resolve(ctx, c, target, plan.search.Using, plan.search); err != nil {
		return queryPlan{}, err
	}
	return plan, nil
}

// runTree executes a hybrid query tree and fetches payloads and vectors of its results.
func (s *Server) runTree(ctx context.Context, c *collection.Collection, p queryPlan) ([]collection.Record, error) {
	recs, err := s.execStage(ctx, c, p.tree)
	if err != nil {
		return nil, err
	}
	recs = recs[min(p.skip, len(recs)):]
	ids := make([]pointid.ID, len(recs))
	for i, r := range recs {
		ids[i] = r.ID
	}
	full, err := c.Get(ids, p.withPayload, p.vectors)
	if err != nil {
		return nil, err
	}
	byID := make(map[pointid.ID]collection.Record, len(full))
	for _, r := range full {
		byID[r.ID] = r
	}
	out := make([]collection.Record, 0, len(recs))
	for _, r := range recs {
		if f, ok := byID[r.ID]; ok { // a point deleted meanwhile is dropped
			f.Score = r.Score
			if !p.withPayload {
				f.Payload = nil
			}
			out = append(out, f)
		}
	}
	return out, nil
}

// runQueries answers a list of planned queries, searching together where possible: a lone query
// that can share a pass (collection.SharesPass) joins concurrent ones through the coalescer;
// otherwise the work takes a scheduler slot itself.
func (s *Server) runQueries(ctx context.Context, c *collection.Collection, plans []queryPlan) ([][]api.ScoredPoint, error) {
	if len(plans) == 1 && plans[0].search != nil && c.SharesPass(plans[0].search) {
		var st collection.SearchStats
		req := *plans[0].search
		req.Stats = &st
		recs, err := s.coalescer.search(ctx, c, req)
		if err != nil {
			return nil, err
		}
		s.metrics.scored.Observe(float64(st.Scored))
		return [][]api.ScoredPoint{plans[0].shape.Scored(recs)}, nil
	}
	release, err := s.sched.Acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var reqs []collection.SearchRequest
	var idx []int
	out := make([][]api.ScoredPoint, len(plans))
	for i, p := range plans {
		if p.tree != nil {
			recs, err := s.runTree(ctx, c, p)
			if err != nil {
				return nil, err
			}
			out[i] = p.shape.Scored(recs)
			continue
		}
		if p.search != nil {
			reqs = append(reqs, *p.search)
			idx = append(idx, i)
			continue
		}
		recs, _, err := c.Scroll(*p.scroll)
		if err != nil {
			return nil, err
		}
		out[i] = p.shape.Scored(recs[min(p.skip, len(recs)):])
	}
	if len(reqs) > 0 {
		stats := make([]collection.SearchStats, len(reqs))
		for j := range reqs {
			reqs[j].Stats = &stats[j]
		}
		res, err := c.SearchBatch(ctx, reqs)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = plans[i].shape.Scored(res[j])
			s.metrics.scored.Observe(float64(stats[j].Scored))
		}
	}
	return out, nil
}

// searchEndpoint is the shared skeleton of the search endpoints: read the body, answer from the
// result cache when the collection has not changed since, else admit the work through the
// scheduler, run it under the request's deadline and cache the encoded result.
func (s *Server) searchEndpoint(w http.ResponseWriter, r *http.Request, run func(ctx context.Context, c *collection.Collection, body []byte) (any, error)) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	body, err := api.ReadBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var key [32]byte
	if s.cache.Enabled() {
		h := sha256.New()
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00", c.Name(), c.Incarnation(), c.Version(), r.URL.Path)
		h.Write(body)
		h.Sum(key[:0])
		if cached, ok := s.cache.Get(key); ok {
			writeEncodedResult(w, r, cached)
			return
		}
	}
	ctx, cancel, ok := s.deadline(w, r)
	if !ok {
		return
	}
	defer cancel()
	result, err := run(ctx, c, body)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		s.deadlineOrOverload(w, r, err)
		return
	}
	encoded, ok := result.(json.RawMessage) // already encoded by the endpoint
	if !ok {
		if encoded, err = json.Marshal(result); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if s.cache.Enabled() {
		s.cache.Put(key, encoded)
	}
	writeEncodedResult(w, r, encoded)
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	s.searchEndpoint(w, r, func(ctx context.Context, c *collection.Collection, body []byte) (any, error) {
		var req api.QueryRequest
		if err := api.DecodeQueryRequest(body, &req); err != nil {
			return nil, err
		}
		plan, err := s.planQuery(ctx, c, &req)
		if err != nil {
			return nil, err
		}
		res, err := s.runQueries(ctx, c, []queryPlan{plan})
		if err != nil {
			return nil, err
		}
		b, err := api.AppendScoredPoints(append(make([]byte, 0, 64+96*len(res[0])), `{"points":`...), res[0])
		if err != nil {
			return nil, err
		}
		return json.RawMessage(append(b, '}')), nil
	})
}

func (s *Server) handleQueryBatch(w http.ResponseWriter, r *http.Request) {
	s.searchEndpoint(w, r, func(ctx context.Context, c *collection.Collection, body []byte) (any, error) {
		var req api.QueryBatchRequest
		if err := api.DecodeBytes(body, &req, false); err != nil {
			return nil, err
		}
		if req.Searches == nil {
			return nil, api.BadRequest("searches is missing")
		}
		plans, err := planAll(*req.Searches, func(q *api.QueryRequest) (queryPlan, error) { return s.planQuery(ctx, c, q) })
		if err != nil {
			return nil, err
		}
		res, err := s.runQueries(ctx, c, plans)
		if err != nil {
			return nil, err
		}
		out := make([]map[string]any, len(res))
		for i, pts := range res {
			out[i] = map[string]any{"points": pts}
		}
		return out, nil
	})
}

func planSearch(c *collection.Collection, q *api.SearchRequest) (queryPlan, error) {
	if q.Vector == nil {
		return queryPlan{}, api.BadRequest("vector is missing")
	}
	lim := q.Limit
	if lim == nil {
		lim = q.Top
	}
	if lim == nil {
		return queryPlan{}, api.BadRequest("limit is missing")
	}
	limit, err := api.LimitOr(lim, 10)
	if err != nil {
		return queryPlan{}, err
	}
	offset, err := api.OffsetOr(q.Offset)
	if err != nil {
		return queryPlan{}, err
	}
	req := &collection.SearchRequest{
		Vector: q.Vector.Vector, Using: q.Vector.Name, Filter: q.Filter.Get(), Limit: limit, Offset: offset,
		ScoreThreshold: q.ScoreThreshold, WithPayload: q.WithPayload.Or(false), Vectors: vectorSelect(q.WithVector),
	}
	q.Params.Apply(req)
	return queryPlan{shape: shaper(c, q.WithPayload), search: req}, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	s.searchEndpoint(w, r, func(ctx context.Context, c *collection.Collection, body []byte) (any, error) {
		var req api.SearchRequest
		if err := api.DecodeBytes(body, &req, false); err != nil {
			return nil, err
		}
		plan, err := planSearch(c, &req)
		if err != nil {
			return nil, err
		}
		res, err := s.runQueries(ctx, c, []queryPlan{plan})
		if err != nil {
			return nil, err
		}
		b, err := api.AppendScoredPoints(make([]byte, 0, 64+96*len(res[0])), res[0])
		if err != nil {
			return nil, err
		}
		return json.RawMessage(b), nil
	})
}

func (s *Server) handleSearchBatch(w http.ResponseWriter, r *http.Request) {
	s.searchEndpoint(w, r, func(ctx context.Context, c *collection.Collection, body []byte) (any, error) {
		var req api.SearchBatchRequest
		if err := api.DecodeBytes(body, &req, false); err != nil {
			return nil, err
		}
		if req.Searches == nil {
			return nil, api.BadRequest("searches is missing")
		}
		plans, err := planAll(*req.Searches, func(q *api.SearchRequest) (queryPlan, error) { return planSearch(c, q) })
		if err != nil {
			return nil, err
		}
		return s.runQueries(ctx, c, plans)
	})
}

// planAll plans every request of a batch; one invalid request fails the batch.
func planAll[T any](reqs []T, plan func(*T) (queryPlan, error)) ([]queryPlan, error) {
	plans := make([]queryPlan, len(reqs))
	for i := range reqs {
		p, err := plan(&reqs[i])
		if err != nil {
			return nil, err
		}
		plans[i] = p
	}
	return plans, nil
}
