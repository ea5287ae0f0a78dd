package server

import (
	_ "embed"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/needlevdb/needle/internal/api"
)

// QdrantVersion is the Qdrant API version Needle's REST subset follows; clients check it.
const QdrantVersion = "1.19.0"

//go:embed openapi.json
var openAPISpec []byte

//go:embed docs.html
var docsPage []byte

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{
		"title":          "needle - Qdrant-compatible vector search engine",
		"version":        QdrantVersion,
		"needle_version": s.version,
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("healthz check passed\n"))
}

func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.ready:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("all collections are loaded and ready\n"))
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}
}

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPISpec)
}

func (s *Server) handleDocs(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write(docsPage)
}

// handleUsage reports per-caller request counters (callers are key fingerprints, never keys).
func (s *Server) handleUsage(w http.ResponseWriter, r *http.Request) {
	writeResult(w, r, map[string]any{"callers": s.usage.Snapshot()})
}

func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, &api.Error{Status: http.StatusNotFound, Msg: "Not found: no endpoint " + r.Method + " " + r.URL.Path})
}
