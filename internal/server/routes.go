package server

import (
	"net/http"
	"net/http/pprof"

	"github.com/needlevdb/needle/internal/collection"
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
	mux.HandleFunc("PUT /collections/{name}/index", writeOp(s, createIndexOp))
	mux.HandleFunc("DELETE /collections/{name}/index/{field}", s.handleDeleteIndex)
	// Snapshots.
	mux.HandleFunc("POST /collections/{name}/snapshots", s.handleCreateSnapshot)
	mux.HandleFunc("GET /collections/{name}/snapshots", s.handleListSnapshots)
	mux.HandleFunc("GET /collections/{name}/snapshots/{snapshot}", s.handleDownloadSnapshot)
	mux.HandleFunc("DELETE /collections/{name}/snapshots/{snapshot}", s.handleDeleteSnapshot)
	mux.HandleFunc("PUT /collections/{name}/snapshots/recover", s.handleRecoverSnapshot)
	mux.HandleFunc("POST /collections/{name}/snapshots/upload", s.handleUploadSnapshot)
	// Points.
	mux.HandleFunc("PUT /collections/{name}/points", writeOp(s, s.upsertOp))
	mux.HandleFunc("POST /collections/{name}/points", s.handleGetPoints)
	mux.HandleFunc("GET /collections/{name}/points/{id}", s.handleGetPoint)
	mux.HandleFunc("POST /collections/{name}/points/delete", writeOp(s, deletePointsOp))
	mux.HandleFunc("PUT /collections/{name}/points/vectors", writeOp(s, s.updateVectorsOp))
	mux.HandleFunc("POST /collections/{name}/points/vectors/delete", writeOp(s, deleteVectorsOp))
	mux.HandleFunc("POST /collections/{name}/points/payload", writeOp(s, payloadOp(collection.OpSetPayload)))
	mux.HandleFunc("PUT /collections/{name}/points/payload", writeOp(s, payloadOp(collection.OpOverwritePayload)))
	mux.HandleFunc("POST /collections/{name}/points/payload/delete", writeOp(s, deletePayloadOp))
	mux.HandleFunc("POST /collections/{name}/points/payload/clear", writeOp(s, clearPayloadOp))
	mux.HandleFunc("POST /collections/{name}/points/scroll", readOp(s, scrollResult))
	mux.HandleFunc("POST /collections/{name}/points/count", readOp(s, countResult))
	// Search.
	mux.HandleFunc("POST /collections/{name}/points/query", s.handleQuery)
	mux.HandleFunc("POST /collections/{name}/points/query/batch", s.handleQueryBatch)
	mux.HandleFunc("POST /collections/{name}/points/search", s.handleSearch)
	mux.HandleFunc("POST /collections/{name}/points/search/batch", s.handleSearchBatch)
	mux.HandleFunc("/", s.handleNotFound)
	return mux
}
