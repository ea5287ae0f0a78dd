package embed

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Options are the Embedder's dependencies.
type Options struct {
	// Logger receives breaker transitions (nil: slog.Default()). Keys are never logged.
	Logger *slog.Logger
	// LookupEnv reads the variables named by APIKeyEnv (nil: os.LookupEnv).
	LookupEnv func(name string) (string, bool)
	// Slots bounds the parallel decoding of large responses (nil: no bound); see Slots.
	Slots Slots
}

// Slots lends CPU slots to the decoding of large responses: the server passes its admission
// scheduler (*admission.Scheduler implements Slots). A response is decoded on the goroutine that
// received it, helped by up to three more goroutines, each of which runs on a slot that was free
// at that moment; none is waited for, so while searches keep every slot busy each response is
// decoded on its own goroutine only.
type Slots interface {
	// TryAcquire takes a slot if one is free now; release gives it back.
	TryAcquire() (release func(), ok bool)
}

// Embedder turns texts into dense vectors through the configured providers. It is safe for
// concurrent use; see the package documentation for the concurrency contract.
type Embedder struct {
	providers map[string]*provider
	names     []string
	metrics   *metrics
}

// New validates the providers, reads their keys from the environment and builds their
// connection pools. It fails if a provider is invalid or a named key variable is unset or empty.
// No request is sent until the first Embed.
func New(providers []Provider, opts Options) (*Embedder, error) {
	if err := ValidateProviders(providers); err != nil {
		return nil, err
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	e := &Embedder{providers: map[string]*provider{}, metrics: newMetrics()}
	for _, raw := range providers {
		cfg := raw.withDefaults()
		p, err := newProvider(cfg, opts, e.metrics)
		if err != nil {
			return nil, err
		}
		e.providers[cfg.Name] = p
		e.names = append(e.names, cfg.Name)
		e.metrics.state.providers = append(e.metrics.state.providers, p)
	}
	slices.Sort(e.names)
	return e, nil
}

func newProvider(cfg Provider, opts Options, m *metrics) (*provider, error) {
	base, stop := context.WithCancel(context.Background())
	p := &provider{
		cfg:     cfg,
		log:     opts.Logger.With("model", cfg.Name),
		m:       m.forProvider(cfg.Name),
		base:    base,
		stop:    stop,
		cache:   newLRU(cfg.CacheEntries),
		pending: map[string]*pending{},
	}
	p.lingerTimer = time.AfterFunc(time.Hour, p.flush)
	p.lingerTimer.Stop()
	// A response holds per text at most dims numbers of ~25 bytes (or 4 bytes in base64) plus
	// the element's own members.
	bodyMax := cfg.Dimensions*25 + 4096
	for _, uc := range cfg.Upstreams {
		key := ""
		if uc.APIKeyEnv != "" {
			v, ok := opts.LookupEnv(uc.APIKeyEnv)
			if !ok || strings.TrimSpace(v) == "" {
				stop()
				return nil, fmt.Errorf("embedding provider %q: upstream %q: environment variable %s (api_key_env) is not set", cfg.Name, uc.label(), uc.APIKeyEnv)
			}
			key = strings.TrimSpace(v)
		}
		u := &upstream{
			name:    uc.label(),
			model:   uc.Model,
			url:     uc.endpoint(),
			key:     key,
			weight:  uc.Weight,
			client:  &http.Client{Transport: newTransport(cfg.MaxConcurrency, cfg.Timeout)},
			bodyMax: bodyMax,
			slots:   opts.Slots,
			log:     p.log,
		}
		if cfg.Encoding == "base64" {
			u.encoding.Store(encBase64Unproven)
		}
		name := u.name
		u.breaker = newBreaker(cfg.BreakerFailures, cfg.BreakerCooldown, time.Now, func(from, to BreakerState) {
			lvl := slog.LevelWarn
			if to == BreakerClosed {
				lvl = slog.LevelInfo
			}
			p.log.Log(context.Background(), lvl, "embedding upstream circuit breaker", "upstream", name, "from", from.String(), "to", to.String())
		})
		m.forUpstream(cfg.Name, u)
		p.ups = append(p.ups, u)
	}
	return p, nil
}

// Embed returns one vector per text, in order, from the provider named model (the "model" of a
// Qdrant Document). It is all-or-nothing: either every vector or an error, never a partial
// result, so a write built from them is never half-applied. The vectors are the caller's to
// modify. Errors are *Error values (map them with HTTPStatus) or wrap ctx's error. No texts:
// an empty result.
func (e *Embedder) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	p, err := e.provider(model)
	if err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}
	return p.embed(ctx, texts)
}

// EmbedOne embeds a single text, as for a query.
func (e *Embedder) EmbedOne(ctx context.Context, model, text string) ([]float32, error) {
	vs, err := e.Embed(ctx, model, []string{text})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// Dimensions returns the vector length of model, and whether model is configured. A REST
// handler can check it against a collection's vector size before embedding anything.
func (e *Embedder) Dimensions(model string) (int, bool) {
	if e == nil {
		return 0, false
	}
	p, ok := e.providers[model]
	if !ok {
		return 0, false
	}
	return p.cfg.Dimensions, true
}

// Models returns the configured provider names, sorted.
func (e *Embedder) Models() []string {
	if e == nil {
		return nil
	}
	return slices.Clone(e.names)
}

// Collectors returns the Prometheus collectors of every provider and upstream, for the server
// to register: request latency, batch sizes and errors by kind per upstream, cache hits and
// misses, deduplicated texts and queue rejections per provider, and gauges of breaker state,
// queue length, requests in flight and cache entries.
func (e *Embedder) Collectors() []prometheus.Collector {
	if e == nil {
		return nil
	}
	return e.metrics.collectors()
}

// Close fails queued texts with ErrClosed, cancels requests in flight, waits for them and closes
// idle connections. Later calls fail with ErrClosed. Call it after the HTTP server has drained.
func (e *Embedder) Close() {
	if e == nil {
		return
	}
	for _, p := range e.providers {
		p.close()
	}
}

func (e *Embedder) provider(model string) (*provider, error) {
	if e != nil {
		if p, ok := e.providers[model]; ok {
			return p, nil
		}
	}
	known := "none is configured"
	if e != nil && len(e.names) > 0 {
		known = "configured: " + strings.Join(e.names, ", ")
	}
	return nil, newError(ErrUnknownModel, model, "unknown embedding model %q (%s)", model, known)
}
