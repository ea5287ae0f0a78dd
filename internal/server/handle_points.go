package server

import (
	"net/http"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

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

func scrollResult(c *collection.Collection, req *api.ScrollRequest) (any, error) {
	sr, err := req.Request()
	if err != nil {
		return nil, err
	}
	recs, next, err := c.Scroll(sr)
	if err != nil {
		return nil, err
	}
	return map[string]any{"points": shaper(c, req.WithPayload).Records(recs), "next_page_offset": next}, nil
}

func countResult(c *collection.Collection, req *api.CountRequest) (any, error) {
	return map[string]int{"count": c.Count(req.Filter.Get())}, nil
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

// writeOp is the shape of every write endpoint with a body: decode it into T, turn it into a
// collection operation, submit it with the request's `wait`.
func writeOp[T any](s *Server, build func(r *http.Request, req *T) (*collection.Op, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.collection(w, r)
		if !ok {
			return
		}
		var req T
		if err := api.Decode(r.Body, &req, false); err != nil {
			s.writeError(w, r, err)
			return
		}
		op, err := build(r, &req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		s.submit(w, r, c, op)
	}
}

// readOp is the shape of the read endpoints with a body that scan a collection (scroll, count):
// decode it into T, take a scheduler slot, and answer with result's value.
func readOp[T any](s *Server, result func(c *collection.Collection, req *T) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.collection(w, r)
		if !ok {
			return
		}
		var req T
		if err := api.Decode(r.Body, &req, true); err != nil {
			s.writeError(w, r, err)
			return
		}
		_, done, ok := s.admit(w, r)
		if !ok {
			return
		}
		defer done()
		res, err := result(c, &req)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		writeResult(w, r, res)
	}
}

func (s *Server) upsertOp(r *http.Request, req *api.UpsertRequest) (*collection.Op, error) {
	return req.Op(r.Context(), s.embedder)
}

func (s *Server) updateVectorsOp(r *http.Request, req *api.UpdateVectorsRequest) (*collection.Op, error) {
	return req.Op(r.Context(), s.embedder)
}

func deletePointsOp(_ *http.Request, req *api.PointsSelector) (*collection.Op, error) {
	sel, err := req.Selector()
	return &collection.Op{Kind: collection.OpDelete, Select: sel}, err
}

func clearPayloadOp(_ *http.Request, req *api.PointsSelector) (*collection.Op, error) {
	sel, err := req.Selector()
	return &collection.Op{Kind: collection.OpClearPayload, Select: sel}, err
}

// payloadOp builds set (POST) and overwrite (PUT) payload operations.
func payloadOp(kind collection.OpKind) func(*http.Request, *api.SetPayloadRequest) (*collection.Op, error) {
	return func(_ *http.Request, req *api.SetPayloadRequest) (*collection.Op, error) {
		sel, err := req.Selector()
		if err != nil {
			return nil, err
		}
		if req.Payload == nil {
			return nil, api.BadRequest("payload is missing")
		}
		if kind == collection.OpOverwritePayload && req.Key != "" {
			return nil, api.BadRequest("key is not supported when overwriting a payload")
		}
		return &collection.Op{Kind: kind, Select: sel, Payload: req.Payload, Key: req.Key}, nil
	}
}

func deletePayloadOp(_ *http.Request, req *api.DeletePayloadRequest) (*collection.Op, error) {
	sel, err := req.Selector()
	if err != nil {
		return nil, err
	}
	if len(req.Keys) == 0 {
		return nil, api.BadRequest("keys is missing or empty")
	}
	return &collection.Op{Kind: collection.OpDeletePayload, Select: sel, Keys: req.Keys}, nil
}

func deleteVectorsOp(_ *http.Request, req *api.DeleteVectorsRequest) (*collection.Op, error) {
	sel, err := req.Selector()
	if err != nil {
		return nil, err
	}
	if len(req.Vector) == 0 {
		return nil, api.BadRequest("vector (the names to delete) is missing or empty")
	}
	return &collection.Op{Kind: collection.OpDeleteVectors, Select: sel, Keys: req.Vector}, nil
}

func createIndexOp(_ *http.Request, req *api.CreateIndexRequest) (*collection.Op, error) {
	return req.Op()
}
