package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/needlevdb/needle/internal/api"
)

type startKey struct{}

// writeResult writes a success envelope.
func writeResult(w http.ResponseWriter, r *http.Request, result any) {
	writeJSON(w, http.StatusOK, api.Envelope{Result: result, Status: "ok", Time: elapsed(r)})
}

// writeEncodedResult writes Qdrant's success envelope around a result already encoded as JSON
// (a search's, fresh or from the cache), in one write with its length: the same bytes as
// writeResult without encoding/json re-validating and compacting the result.
func writeEncodedResult(w http.ResponseWriter, r *http.Request, result []byte) {
	b := make([]byte, 0, len(result)+48)
	b = append(b, `{"result":`...)
	b = append(b, result...)
	b = append(b, `,"status":"ok","time":`...)
	b = api.AppendJSONFloat(b, elapsed(r), 64)
	b = append(b, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// writeError writes Qdrant's error envelope with the status StatusOf picks.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := api.StatusOf(err)
	if status >= 500 {
		s.logger.Warn("request failed", "method", r.Method, "path", r.URL.Path, "status", status, "err", err)
	}
	var env api.ErrorEnvelope
	env.Status.Error = msg
	env.Time = elapsed(r)
	writeJSON(w, status, env)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(v); err != nil {
		slog.Debug("write response", "err", err)
	}
}

func elapsed(r *http.Request) float64 {
	if t, ok := r.Context().Value(startKey{}).(time.Time); ok {
		return time.Since(t).Seconds()
	}
	return 0
}
