package server

import (
	"net/http"
	"net/http/pprof"
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	// Service.
	mux.HandleFunc("GET /{$}", s.handleRoot)
	mux.HandleFunc("GET /healthz", s.handleHealth)
	mux.HandleFunc("GET /livez", s.handleHealth)
	mux.HandleFunc("GET /readyz", s.handleReady)
	mux.Handle("GET /metrics", s.metricsHandler())
	mux.HandleFunc("GET /openapi.json", s.handleOpenAPI)
	mux.HandleFunc("GET /docs", s.handleDocs)
	mux.HandleFunc("GET /usage", s.handleUsage)
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	// Collections.
	mux.HandleFunc("GET /collections", s.handleListCollections)
	mux.HandleFunc("GET /collections/{name}", s.handleGetCollection)
	mux.HandleFunc("PUT /collections/{name}", s.handleCreateCollection)
	mux.HandleFunc("PATCH /collections/{name}", s.handleUpdateCollection)
	mux.HandleFunc("DELETE /collections/{name}", s.handleDeleteCollection)
	mux.HandleFunc("GET /collections/{name}/exists", s.handleCollectionExists)
	mux.HandleFunc("PUT /collections/{name}/index", s.handleCreateIndex)
	mux.HandleFunc("DELETE /collections/{name}/index/{field}", s.handleDeleteIndex)
	// Snapshots.
	mux.HandleFunc("POST /collections/{name}/snapshots", s.handleCreateSnapshot)
	mux.HandleFunc("GET /collections/{name}/snapshots", s.handleListSnapshots)
	mux.HandleFunc("GET /collections/{name}/snapshots/{snapshot}", s.handleDownloadSnapshot)
	mux.HandleFunc("DELETE /collections/{name}/snapshots/{snapshot}", s.handleDeleteSnapshot)
	mux.HandleFunc("PUT /collections/{name}/snapshots/recover", s.handleRecoverSnapshot)
	mux.HandleFunc("POST /collections/{name}/snapshots/upload", s.handleUploadSnapshot)
	// Points.
	mux.HandleFunc("PUT /collections/{name}/points", s.handleUpsert)
	mux.HandleFunc("POST /collections/{name}/points", s.handleGetPoints)
	mux.HandleFunc("GET /collections/{name}/points/{id}", s.handleGetPoint)
	mux.HandleFunc("POST /collections/{name}/points/delete", s.handleDeletePoints)
	mux.HandleFunc("PUT /collections/{name}/points/vectors", s.handleUpdateVectors)
	mux.HandleFunc("POST /collections/{name}/points/vectors/delete", s.handleDeleteVectors)
	mux.HandleFunc("POST /collections/{name}/points/payload", s.handleSetPayload)
	mux.HandleFunc("PUT /collections/{name}/points/payload", s.handleOverwritePayload)
	mux.HandleFunc("POST /collections/{name}/points/payload/delete", s.handleDeletePayload)
	mux.HandleFunc("POST /collections/{name}/points/payload/clear", s.handleClearPayload)
	mux.HandleFunc("POST /collections/{name}/points/scroll", s.handleScroll)
	mux.HandleFunc("POST /collections/{name}/points/count", s.handleCount)
	// Search.
	mux.HandleFunc("POST /collections/{name}/points/query", s.handleQuery)
	mux.HandleFunc("POST /collections/{name}/points/query/batch", s.handleQueryBatch)
	mux.HandleFunc("POST /collections/{name}/points/search", s.handleSearch)
	mux.HandleFunc("POST /collections/{name}/points/search/batch", s.handleSearchBatch)
	mux.HandleFunc("/", s.handleNotFound)
	return mux
}
