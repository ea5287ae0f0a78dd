package server

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/needlevdb/needle/internal/collection"
)

// metrics are the server's Prometheus series, registered on a private registry.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(m *collection.Manager) *metrics {
	reg := prometheus.NewRegistry()
	mt := &metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "needle_http_requests_total",
			Help: "HTTP requests by endpoint pattern, method and status code.",
		}, []string{"endpoint", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "needle_http_request_duration_seconds",
			Help:    "HTTP request latency by endpoint pattern.",
			Buckets: []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"endpoint", "method"}),
	}
	reg.MustRegister(mt.requests, mt.latency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		&pointsCollector{m: m})
	return mt
}

// pointsCollector reports the number of points of every collection at scrape time.
type pointsCollector struct{ m *collection.Manager }

var pointsDesc = prometheus.NewDesc("needle_collection_points", "Points stored per collection.", []string{"collection"}, nil)

func (p *pointsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- pointsDesc }

func (p *pointsCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range p.m.List() {
		c, err := p.m.Get(name)
		if err != nil {
			continue
		}
		ch <- prometheus.MustNewConstMetric(pointsDesc, prometheus.GaugeValue, float64(c.Count(nil)), name)
	}
}
