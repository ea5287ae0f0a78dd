package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/needlevdb/needle/internal/admission"
	"github.com/needlevdb/needle/internal/cache"
	"github.com/needlevdb/needle/internal/collection"
)

// metrics are the server's Prometheus series, registered on a private registry. Updates are
// atomic adds (after a read-locked label lookup); nothing on the request path waits on I/O.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	rejected *prometheus.CounterVec
	scored   prometheus.Histogram
}

func newMetrics(m *collection.Manager, sched *admission.Scheduler, lru *cache.LRU, inFlight func() float64) *metrics {
	reg := prometheus.NewRegistry()
	mt := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_http_requests_total",
			Help: "HTTP requests by endpoint pattern, method and status code.",
		}, []string{"endpoint", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "needle_http_request_duration_seconds",
			Help:    "HTTP request latency by endpoint pattern and collection.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint", "method", "collection"}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_rejected_total",
			Help: "Requests turned away, by reason: overloaded (search queue full), in_flight (too many requests), per_key (429), unauthorized, forbidden, timeout.",
		}, []string{"reason"}),
		scored: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "needle_search_distance_computations",
			Help:    "Vectors scored per search query.",
			Buckets: prometheus.ExponentialBuckets(16, 4, 12),
		}),
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	reg.MustRegister(mt.requests, mt.latency, mt.rejected, mt.scored,
		gauge("needle_search_queue_depth", "Searches waiting for a worker.", func() float64 { return float64(sched.Waiting()) }),
		gauge("needle_search_running", "Searches running on a worker.", func() float64 { return float64(sched.Running()) }),
		gauge("needle_search_workers", "Search worker slots.", func() float64 { return float64(sched.Slots()) }),
		gauge("needle_requests_in_flight", "HTTP requests being handled.", inFlight),
		counter("needle_cache_hits_total", "Result cache hits.", func() float64 { h, _, _, _ := lru.Stats(); return float64(h) }),
		counter("needle_cache_misses_total", "Result cache misses.", func() float64 { _, mi, _, _ := lru.Stats(); return float64(mi) }),
		gauge("needle_cache_bytes", "Bytes held by the result cache.", func() float64 { _, _, _, b := lru.Stats(); return float64(b) }),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&pointsCollector{m: m})
	return mt
}

// pointsCollector reports the number of points of every collection at scrape time.
type pointsCollector struct{ m *collection.Manager }

var (
	pointsDesc = prometheus.NewDesc("needle_collection_points", "Points stored per collection.", []string{"collection"}, nil)
	memoryDesc = prometheus.NewDesc("needle_collection_memory_bytes",
		"Memory per collection and vector: kind vectors_resident (float vectors in memory: mutable segment plus mapped pages resident), vectors_total (their full size), index (HNSW graphs incl. int8 codes), codes (product/binary codes).",
		[]string{"collection", "vector", "kind"}, nil)
)

func (p *pointsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pointsDesc; ch <- memoryDesc }

func (p *pointsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range p.m.List() {
		c, err := p.m.Get(name)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(pointsDesc, prometheus.GaugeValue, float64(c.Count(nil)), name)
		for vec, vm := range c.Memory().Vectors {
			for kind, v := range map[string]int64{"vectors_resident": vm.ResidentVectorBytes, "vectors_total": vm.VectorBytes,
				"index": vm.IndexBytes, "codes": vm.CodeBytes} {
				ch <- prometheus.MustNewConstMetric(memoryDesc, prometheus.GaugeValue, float64(v), name, vec, kind)
			}
		}
	}
}
