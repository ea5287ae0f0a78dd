package server

import (
	"net/http"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
)

// queryPlan is one parsed query: either a search or (no query vector) an id-ordered listing.
type queryPlan struct {
	search *collection.SearchRequest
	scroll *collection.ScrollRequest
	shape  api.Shaper
	skip   int // points to drop from the front of a listing (the query's offset)
}

func planQuery(c *collection.Collection, q *api.QueryRequest) (queryPlan, error) {
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
	plan := queryPlan{shape: shaper(c, q.WithPayload)}
	if target.Vector == nil && target.ID == nil {
		plan.scroll = &collection.ScrollRequest{Filter: q.Filter.Get(), Limit: limit + offset,
			WithPayload: q.WithPayload.Or(false), Vectors: vectorSelect(q.WithVector)}
		plan.skip = offset
		return plan, nil
	}
	using := ""
	if q.Using != nil {
		using = *q.Using
	}
	vec := target.Vector
	if target.ID != nil {
		if vec, err = c.VectorOf(*target.ID, using); err != nil {
			return queryPlan{}, err
		}
	}
	plan.search = &collection.SearchRequest{
		Vector: vec, Using: using, Filter: q.Filter.Get(), Limit: limit, Offset: offset,
		ScoreThreshold: q.ScoreThreshold, WithPayload: q.WithPayload.Or(false),
		Vectors: vectorSelect(q.WithVector), Exclude: target.ID,
	}
	return plan, nil
}

// runQueries answers a list of planned queries, searching together where possible.
func (s *Server) runQueries(r *http.Request, c *collection.Collection, plans []queryPlan) ([][]api.ScoredPoint, error) {
	var reqs []collection.SearchRequest
	var idx []int
	out := make([][]api.ScoredPoint, len(plans))
	for i, p := range plans {
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
		res, err := c.SearchBatch(r.Context(), reqs)
		if err != nil {
			return nil, err
		}
		for j, i := range idx {
			out[i] = plans[i].shape.Scored(res[j])
		}
	}
	return out, nil
}

func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.QueryRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	plan, err := planQuery(c, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.runQueries(r, c, []queryPlan{plan})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, map[string]any{"points": res[0]})
}

func (s *Server) handleQueryBatch(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.QueryBatchRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Searches == nil {
		s.writeError(w, r, api.BadRequest("searches is missing"))
		return
	}
	searches := *req.Searches
	plans := make([]queryPlan, len(searches))
	for i := range searches {
		p, err := planQuery(c, &searches[i])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		plans[i] = p
	}
	res, err := s.runQueries(r, c, plans)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]map[string]any, len(res))
	for i, pts := range res {
		out[i] = map[string]any{"points": pts}
	}
	writeResult(w, r, out)
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
	return queryPlan{shape: shaper(c, q.WithPayload), search: &collection.SearchRequest{
		Vector: q.Vector.Vector, Using: q.Vector.Name, Filter: q.Filter.Get(), Limit: limit, Offset: offset,
		ScoreThreshold: q.ScoreThreshold, WithPayload: q.WithPayload.Or(false), Vectors: vectorSelect(q.WithVector),
	}}, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.SearchRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	plan, err := planSearch(c, &req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.runQueries(r, c, []queryPlan{plan})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, res[0])
}

func (s *Server) handleSearchBatch(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.SearchBatchRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Searches == nil {
		s.writeError(w, r, api.BadRequest("searches is missing"))
		return
	}
	searches := *req.Searches
	plans := make([]queryPlan, len(searches))
	for i := range searches {
		p, err := planSearch(c, &searches[i])
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		plans[i] = p
	}
	res, err := s.runQueries(r, c, plans)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, res)
}
