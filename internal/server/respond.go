package server

import (
	"encoding/json"
	"log/slog"
	"math"
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
	b = appendJSONFloat(b, elapsed(r))
	b = append(b, "}\n"...)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

// appendJSONFloat formats f as encoding/json does a float64.
func appendJSONFloat(b []byte, f float64) []byte {
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // clean up e-09 to e-9, as encoding/json does
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
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
