package server

import (
	"net/http"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

func (s *Server) handleUpsert(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.UpsertRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	op, err := req.Op(r.Context(), s.embedder)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submit(w, r, c, op)
}

func (s *Server) handleDeletePoints(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.PointsSelector
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := req.Selector()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: collection.OpDelete, Select: sel})
}

func (s *Server) payloadWrite(w http.ResponseWriter, r *http.Request, kind collection.OpKind) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.SetPayloadRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := req.Selector()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.Payload == nil {
		s.writeError(w, r, api.BadRequest("payload is missing"))
		return
	}
	if kind == collection.OpOverwritePayload && req.Key != "" {
		s.writeError(w, r, api.BadRequest("key is not supported when overwriting a payload"))
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: kind, Select: sel, Payload: req.Payload, Key: req.Key})
}

func (s *Server) handleSetPayload(w http.ResponseWriter, r *http.Request) {
	s.payloadWrite(w, r, collection.OpSetPayload)
}

func (s *Server) handleOverwritePayload(w http.ResponseWriter, r *http.Request) {
	s.payloadWrite(w, r, collection.OpOverwritePayload)
}

func (s *Server) handleDeletePayload(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.DeletePayloadRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := req.Selector()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Keys) == 0 {
		s.writeError(w, r, api.BadRequest("keys is missing or empty"))
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: collection.OpDeletePayload, Select: sel, Keys: req.Keys})
}

func (s *Server) handleClearPayload(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.PointsSelector
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := req.Selector()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: collection.OpClearPayload, Select: sel})
}

func (s *Server) handleGetPoints(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.GetPointsRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.IDs == nil {
		s.writeError(w, r, api.BadRequest("ids is missing"))
		return
	}
	recs, err := c.Get(req.IDs, req.WithPayload.Or(true), vectorSelect(req.WithVector))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, shaper(c, req.WithPayload).Records(recs))
}

func (s *Server) handleGetPoint(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	id, err := api.ParseID(r.PathValue("id"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, err := c.Get([]pointid.ID{id}, true, collection.VectorSelect{All: true})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(recs) == 0 {
		s.writeError(w, r, api.NotFound("No point with id %s found", id))
		return
	}
	writeResult(w, r, shaper(c, nil).Records(recs)[0])
}

func (s *Server) handleScroll(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.ScrollRequest
	if err := api.Decode(r.Body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, done, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer done()
	sr, err := req.Request()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	recs, next, err := c.Scroll(sr)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, map[string]any{"points": shaper(c, req.WithPayload).Records(recs), "next_page_offset": next})
}

func (s *Server) handleCount(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.CountRequest
	if err := api.Decode(r.Body, &req, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	_, done, ok := s.admit(w, r)
	if !ok {
		return
	}
	defer done()
	writeResult(w, r, map[string]int{"count": c.Count(req.Filter.Get())})
}

func vectorSelect(w *api.WithVector) collection.VectorSelect {
	if w == nil {
		return collection.VectorSelect{}
	}
	return collection.VectorSelect{All: w.All, Names: w.Names}
}

func shaper(c *collection.Collection, wp *api.WithPayload) api.Shaper {
	return api.Shaper{Unnamed: c.Config().Unnamed, Payload: wp}
}

func (s *Server) handleUpdateVectors(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.UpdateVectorsRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	op, err := req.Op(r.Context(), s.embedder)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.submit(w, r, c, op)
}

func (s *Server) handleDeleteVectors(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var req api.DeleteVectorsRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	sel, err := req.Selector()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if len(req.Vector) == 0 {
		s.writeError(w, r, api.BadRequest("vector (the names to delete) is missing or empty"))
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: collection.OpDeleteVectors, Select: sel, Keys: req.Vector})
}
