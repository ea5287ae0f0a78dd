package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/needlevdb/needle/internal/admission"
	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/auth"
	"github.com/needlevdb/needle/internal/cache"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/config"
	"github.com/needlevdb/needle/internal/embed"
	"github.com/needlevdb/needle/internal/usage"
)

// Server is one Needle node: the collections of a data directory behind the REST API.
type Server struct {
	cfg       config.Config
	logger    *slog.Logger
	accessLog *slog.Logger
	accessOut *asyncWriter
	manager   *collection.Manager
	metrics   *metrics
	sched     *admission.Scheduler
	coalescer *coalescer
	embedder  api.Embedder
	providers *embed.Embedder
	cache     *cache.LRU
	keys      *auth.Keys
	usage     *usage.Tracker
	inFlight  atomic.Int64
	loopback  bool
	http      *http.Server
	version   string
	ready     chan struct{}
	listener  net.Listener
}

// New opens the data directory and prepares the HTTP server; it does not listen yet.
func New(cfg config.Config, version string, logger *slog.Logger) (*Server, error) {
	opts := collection.DefaultOptions()
	opts.SealBytes, opts.SealAfter, opts.VerifyOnOpen = cfg.SealBytes, cfg.SealAfter, cfg.VerifySegments
	opts.Interval = min(opts.Interval, max(cfg.SealAfter/2, 10*time.Millisecond))
	m, err := collection.OpenManager(cfg.DataDir, opts, logger)
	if err != nil {
		return nil, err
	}
	// Loading decodes id maps and indexes through temporary buffers; hand that memory back now
	// rather than at the next GC cycles, so resident memory reflects what serving needs.
	debug.FreeOSMemory()
	host, _, _ := net.SplitHostPort(cfg.Listen)
	ip := net.ParseIP(host)
	s := &Server{
		cfg: cfg, logger: logger, manager: m, version: version, ready: make(chan struct{}),
		sched:    admission.New(cfg.SearchWorkers, cfg.SearchQueue),
		cache:    cache.New(cfg.CacheBytes),
		keys:     auth.New(cfg.APIKeys, cfg.ReadOnlyAPIKeys),
		usage:    usage.Open(filepath.Join(cfg.DataDir, "usage.json"), cfg.UsageFlush, logger),
		loopback: host == "localhost" || ip != nil && ip.IsLoopback(),
	}
	s.coalescer = newCoalescer(s.sched, max(cfg.SearchQueue, 1))
	var providers *embed.Embedder
	if len(cfg.Embedding) > 0 {
		if providers, err = embed.New(cfg.Embedding, embed.Options{Logger: logger, Slots: s.sched}); err != nil {
			m.Close()
			return nil, fmt.Errorf("embedding providers: %w", err)
		}
	}
	s.embedder = embedder{providers: providers}
	s.accessOut = newAsyncWriter(os.Stderr, 4096)
	s.accessLog = slog.New(slog.NewJSONHandler(s.accessOut, nil)).With("log", "access")
	s.metrics = newMetrics(m, s.sched, s.cache, func() float64 { return float64(s.inFlight.Load()) })
	if providers != nil {
		s.metrics.registry.MustRegister(providers.Collectors()...)
		s.providers = providers
	}
	s.http = &http.Server{
		Handler:           s.instrument(s.routes()),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Listen binds the configured address. Addr is valid afterwards.
func (s *Server) Listen() error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", s.cfg.Listen, err)
	}
	s.listener = ln
	return nil
}

// Addr returns the bound address (after Listen).
func (s *Server) Addr() string { return s.listener.Addr().String() }

// Serve answers requests until Shutdown; it returns nil after a clean shutdown.
func (s *Server) Serve() error {
	close(s.ready)
	err := s.http.Serve(s.listener)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, lets in-flight requests finish (up to the configured
// timeout or ctx), then applies queued writes, closes every collection and saves usage counters.
func (s *Server) Shutdown(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.ShutdownTimeout)
	defer cancel()
	herr := s.http.Shutdown(ctx)
	if herr != nil {
		s.logger.Warn("in-flight requests did not finish in time", "err", herr)
	}
	if err := s.Close(); err != nil {
		return err
	}
	return herr
}

// Handler returns the full HTTP handler (for tests that use httptest).
func (s *Server) Handler() http.Handler { return s.http.Handler }

// Close closes the collections, saves usage counters and flushes the access log, without serving
// (for tests and failed starts).
func (s *Server) Close() error {
	err := s.manager.Close()
	s.usage.Close()
	if s.providers != nil {
		s.providers.Close()
	}
	s.accessOut.Close()
	if err != nil {
		return fmt.Errorf("close collections: %w", err)
	}
	return nil
}
