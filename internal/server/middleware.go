package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/needlevdb/needle/internal/admission"
	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/auth"
	"github.com/needlevdb/needle/internal/usage"
)

// statusWriter records the status code and bytes written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush lets streamed responses (pprof, snapshot downloads) flush through the wrapper.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type identityKey struct{}

// publicPaths answer without an API key: probes, version, docs.
var publicPaths = map[string]bool{"/": true, "/healthz": true, "/livez": true, "/readyz": true, "/docs": true, "/openapi.json": true}

// isWrite reports whether a request changes data or collections (read-only keys may not).
func isWrite(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return false
	case http.MethodPost:
		p := r.URL.Path
		for _, suffix := range []string{"/points/delete", "/points/payload", "/points/payload/delete", "/points/payload/clear", "/points/vectors/delete", "/snapshots", "/snapshots/upload"} {
			if strings.HasSuffix(p, suffix) {
				return true
			}
		}
		return false
	}
	return true
}

// instrument wraps the router: start time, panic recovery, metrics, access log, in-flight limit,
// authentication, per-key limits and usage, body limit.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = r.WithContext(context.WithValue(r.Context(), startKey{}, start))
		sw := &statusWriter{ResponseWriter: w}
		var caller *usage.Counters
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				if sw.status == 0 {
					s.writeError(sw, r, fmt.Errorf("internal error while handling %s %s", r.Method, r.URL.Path))
				}
			}
			s.observe(r, sw, start, caller)
		}()
		if publicPaths[r.URL.Path] {
			next.ServeHTTP(sw, r)
			return
		}
		if n := s.inFlight.Add(1); n > int64(s.cfg.MaxInFlight) {
			s.inFlight.Add(-1)
			s.reject(sw, r, "in_flight", http.StatusServiceUnavailable, "Service unavailable: too many requests in flight (%d); retry later", s.cfg.MaxInFlight)
			return
		}
		defer s.inFlight.Add(-1)
		id, err := s.keys.Check(r)
		if err != nil {
			s.reject(sw, r, "unauthorized", http.StatusUnauthorized, "Unauthorized: %v", err)
			return
		}
		if id.Access == auth.ReadOnly && isWrite(r) {
			s.reject(sw, r, "forbidden", http.StatusForbidden, "Forbidden: this API key is read-only")
			return
		}
		if strings.HasPrefix(r.URL.Path, "/debug/pprof") && (id.Access != auth.Full || !s.keys.Enabled() && !s.loopback) {
			s.reject(sw, r, "forbidden", http.StatusForbidden, "Forbidden: profiling needs a full-access API key")
			return
		}
		caller = s.usage.Caller(id.ID)
		if n := caller.InFlight.Add(1); s.cfg.MaxInFlightKey > 0 && n > int64(s.cfg.MaxInFlightKey) {
			caller.InFlight.Add(-1)
			s.reject(sw, r, "per_key", http.StatusTooManyRequests, "Too many requests: this API key has %d requests in flight", s.cfg.MaxInFlightKey)
			return
		}
		defer caller.InFlight.Add(-1)
		r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
		limit := s.cfg.MaxBodyBytes
		if strings.HasSuffix(r.URL.Path, "/snapshots/upload") {
			limit = s.cfg.MaxSnapshotBytes
		}
		r.Body = &countingBody{ReadCloser: http.MaxBytesReader(sw, r.Body, limit), c: caller}
		next.ServeHTTP(sw, r)
	})
}

// countingBody counts request bytes into the caller's usage.
type countingBody struct {
	io.ReadCloser
	c *usage.Counters
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.c.BytesIn.Add(uint64(n))
	return n, err
}

// reject answers with a Qdrant-shaped error, a Retry-After for 429/503, and counts the reason.
func (s *Server) reject(w http.ResponseWriter, r *http.Request, reason string, status int, format string, args ...any) {
	s.metrics.rejected.WithLabelValues(reason).Inc()
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	s.writeError(w, r, &api.Error{Status: status, Msg: fmt.Sprintf(format, args...)})
}

// observe records metrics, usage and the sampled access log line of a finished request.
func (s *Server) observe(r *http.Request, sw *statusWriter, start time.Time, caller *usage.Counters) {
	elapsed := time.Since(start)
	endpoint := r.Pattern
	if endpoint == "" {
		endpoint = "unmatched"
	}
	status := sw.status
	if status == 0 {
		status = http.StatusOK
	}
	col := ""
	if name := r.PathValue("name"); name != "" && s.manager.Exists(name) {
		col = name // only existing collections: unknown names must not create series
	}
	s.metrics.requests.WithLabelValues(endpoint, r.Method, strconv.Itoa(status)).Inc()
	s.metrics.latency.WithLabelValues(endpoint, r.Method, col).Observe(elapsed.Seconds())
	if caller != nil {
		caller.Requests.Add(1)
		caller.BytesOut.Add(uint64(sw.bytes))
		if isWrite(r) {
			caller.Writes.Add(1)
		} else {
			caller.Reads.Add(1)
		}
		if status >= 400 {
			caller.Errors.Add(1)
		}
	}
	if status >= 500 || rand.Float64() < s.cfg.AccessLogSample {
		who := ""
		if id, ok := r.Context().Value(identityKey{}).(auth.Identity); ok {
			who = id.ID
		}
		s.accessLog.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
			slog.Float64("seconds", elapsed.Seconds()), slog.Int64("bytes_out", sw.bytes),
			slog.String("caller", who), slog.String("remote", r.RemoteAddr))
	}
}

// deadline returns the request's context with its deadline: the `timeout` query parameter
// (seconds) or the server default. On a bad parameter it has answered already.
func (s *Server) deadline(w http.ResponseWriter, r *http.Request) (context.Context, context.CancelFunc, bool) {
	timeout := s.cfg.RequestTimeout
	if v := r.URL.Query().Get("timeout"); v != "" {
		secs, err := strconv.Atoi(v)
		if err != nil || secs < 1 {
			s.writeError(w, r, api.BadRequest("timeout must be a positive number of seconds, got %q", v))
			return nil, nil, false
		}
		timeout = time.Duration(secs) * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	return ctx, cancel, true
}

// admit sets the request's deadline and takes a scheduler slot for CPU-bound work. On failure it
// has answered already.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (context.Context, func(), bool) {
	ctx, cancel, ok := s.deadline(w, r)
	if !ok {
		return nil, nil, false
	}
	release, err := s.sched.Acquire(ctx)
	if err != nil {
		cancel()
		s.deadlineOrOverload(w, r, err)
		return nil, nil, false
	}
	return ctx, func() { release(); cancel() }, true
}

func (s *Server) deadlineOrOverload(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, admission.ErrOverloaded):
		s.reject(w, r, "overloaded", http.StatusServiceUnavailable, "Service unavailable: %v; retry later", err)
	case errors.Is(err, context.DeadlineExceeded):
		s.reject(w, r, "timeout", http.StatusServiceUnavailable, "Service unavailable: the request timed out before it finished")
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads the answer.
		s.metrics.rejected.WithLabelValues("canceled").Inc()
		w.WriteHeader(499)
	default:
		s.writeError(w, r, err)
	}
}
