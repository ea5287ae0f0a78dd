package embed

import (
	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the Embedder's Prometheus series. Request-path updates are atomic adds on series
// resolved at construction (no label lookups, no locks but the provider's own); gauges are read
// at scrape time.
type metrics struct {
	latency  *prometheus.HistogramVec
	batch    *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	hits     *prometheus.CounterVec
	misses   *prometheus.CounterVec
	dedup    *prometheus.CounterVec
	rejected *prometheus.CounterVec
	state    *stateCollector
}

// providerMetrics are one provider's resolved series.
type providerMetrics struct {
	hits, misses, dedup, rejected prometheus.Counter
}

func newMetrics() *metrics {
	return &metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "needle_embed_upstream_request_duration_seconds",
			Help:    "Latency of embedding requests to an upstream, per attempt, by provider (model) and upstream.",
			Buckets: []float64{.0025, .005, .01, .015, .02, .025, .03, .04, .05, .075, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"provider", "upstream"}),
		batch: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "needle_embed_upstream_batch_texts",
			Help:    "Texts per embedding request sent to an upstream.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024},
		}, []string{"provider", "upstream"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_embed_upstream_errors_total",
			Help: "Failed embedding requests to an upstream by kind: rate_limited, server_error, network, timeout, canceled, refused (401/403/404...), input_rejected (400/413/422), bad_response, dimensions.",
		}, []string{"provider", "upstream", "kind"}),
		hits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_embed_cache_hits_total",
			Help: "Texts answered from the embedding cache.",
		}, []string{"provider"}),
		misses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_embed_cache_misses_total",
			Help: "Distinct texts not in the embedding cache.",
		}, []string{"provider"}),
		dedup: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_embed_deduplicated_total",
			Help: "Texts that shared the embedding of an identical text requested at the same time.",
		}, []string{"provider"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_embed_rejected_total",
			Help: "Embed calls refused because the provider's queue was full.",
		}, []string{"provider"}),
		state: &stateCollector{},
	}
}

func (m *metrics) forProvider(name string) *providerMetrics {
	return &providerMetrics{
		hits:     m.hits.WithLabelValues(name),
		misses:   m.misses.WithLabelValues(name),
		dedup:    m.dedup.WithLabelValues(name),
		rejected: m.rejected.WithLabelValues(name),
	}
}

func (m *metrics) forUpstream(provider string, u *upstream) {
	u.latency = m.latency.WithLabelValues(provider, u.name)
	u.batch = m.batch.WithLabelValues(provider, u.name)
	u.errs = m.errors.MustCurryWith(prometheus.Labels{"provider": provider, "upstream": u.name})
	for _, k := range metricKind[1:] { // export zeros, so rates exist before the first error
		u.errs.WithLabelValues(k)
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.latency, m.batch, m.errors, m.hits, m.misses, m.dedup, m.rejected, m.state}
}

var (
	breakerDesc = prometheus.NewDesc("needle_embed_upstream_breaker_state",
		"Circuit breaker of an embedding upstream: 0 closed, 1 half-open, 2 open.", []string{"provider", "upstream"}, nil)
	queueDesc = prometheus.NewDesc("needle_embed_queue_texts",
		"Distinct texts waiting for an embedding request slot.", []string{"provider"}, nil)
	runningDesc = prometheus.NewDesc("needle_embed_requests_in_flight",
		"Embedding requests in flight to the provider's upstreams.", []string{"provider"}, nil)
	cacheDesc = prometheus.NewDesc("needle_embed_cache_entries",
		"Embeddings held by the cache.", []string{"provider"}, nil)
)

// stateCollector reports gauges read from the providers at scrape time.
type stateCollector struct{ providers []*provider }

// Describe implements prometheus.Collector.
func (c *stateCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- breakerDesc
	ch <- queueDesc
	ch <- runningDesc
	ch <- cacheDesc
}

// Collect implements prometheus.Collector.
func (c *stateCollector) Collect(ch chan<- prometheus.Metric) {
	for _, p := range c.providers {
		for _, u := range p.ups {
			ch <- prometheus.MustNewConstMetric(breakerDesc, prometheus.GaugeValue, float64(u.breaker.current()), p.cfg.Name, u.name)
		}
		p.mu.Lock()
		queued, running, entries := p.queued, p.running, p.cache.len()
		p.mu.Unlock()
		ch <- prometheus.MustNewConstMetric(queueDesc, prometheus.GaugeValue, float64(queued), p.cfg.Name)
		ch <- prometheus.MustNewConstMetric(runningDesc, prometheus.GaugeValue, float64(running), p.cfg.Name)
		ch <- prometheus.MustNewConstMetric(cacheDesc, prometheus.GaugeValue, float64(entries), p.cfg.Name)
	}
}
