package server

import (
	"net/http"
	"strconv"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/collection"
)

func (s *Server) collection(w http.ResponseWriter, r *http.Request) (*collection.Collection, bool) {
	c, err := s.manager.Get(r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return nil, false
	}
	return c, true
}

func (s *Server) handleListCollections(w http.ResponseWriter, r *http.Request) {
	names := s.manager.List()
	out := make([]map[string]string, len(names))
	for i, n := range names {
		out[i] = map[string]string{"name": n}
	}
	writeResult(w, r, map[string]any{"collections": out})
}

func (s *Server) handleGetCollection(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	writeResult(w, r, api.CollectionInfo(c))
}

func (s *Server) handleCreateCollection(w http.ResponseWriter, r *http.Request) {
	var req api.CreateCollectionRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	cfg, err := req.Config()
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.manager.Create(r.PathValue("name"), cfg); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("collection created", "collection", r.PathValue("name"))
	writeResult(w, r, true)
}

// handleUpdateCollection is Qdrant's PATCH: hnsw_config applies to graphs built from now on;
// other settings (optimizers, vectors' on_disk, ...) are accepted and not stored.
func (s *Server) handleUpdateCollection(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	var body struct {
		Hnsw *collection.HnswConfig `json:"hnsw_config"`
	}
	if err := api.Decode(r.Body, &body, true); err != nil {
		s.writeError(w, r, err)
		return
	}
	if body.Hnsw != nil {
		if err := c.UpdateHnsw(*body.Hnsw); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	writeResult(w, r, true)
}

func (s *Server) handleDeleteCollection(w http.ResponseWriter, r *http.Request) {
	existed, err := s.manager.Delete(r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if existed {
		s.logger.Info("collection deleted", "collection", r.PathValue("name"))
	}
	writeResult(w, r, existed)
}

func (s *Server) handleCollectionExists(w http.ResponseWriter, r *http.Request) {
	writeResult(w, r, map[string]bool{"exists": s.manager.Exists(r.PathValue("name"))})
}

func (s *Server) handleDeleteIndex(w http.ResponseWriter, r *http.Request) {
	c, ok := s.collection(w, r)
	if !ok {
		return
	}
	s.submit(w, r, c, &collection.Op{Kind: collection.OpDeleteIndex, Field: r.PathValue("field")})
}

// submit runs a write with Qdrant's `wait` semantics: wait=true returns "completed" once the
// write is durable and visible; otherwise "acknowledged" once it is durable in the log.
func (s *Server) submit(w http.ResponseWriter, r *http.Request, c *collection.Collection, op *collection.Op) {
	wait := false
	if v := r.URL.Query().Get("wait"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			s.writeError(w, r, api.BadRequest("wait must be true or false, got %q", v))
			return
		}
		wait = b
	}
	seq, err := c.Submit(r.Context(), op, wait)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := "acknowledged"
	if wait {
		status = "completed"
	}
	writeResult(w, r, api.UpdateResult{OperationID: seq, Status: status})
}
