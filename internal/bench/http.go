package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strings"
	"time"
)

// HTTPConfig is what `needle bench http` drives: a Qdrant-compatible server's
// POST /collections/{name}/points/query (and, with WriteRatio, PUT .../points).
//
// Two load models:
//
//   - Closed loop (Rate == 0, the default): Concurrency workers, each sending its
//     next request as soon as its previous one is answered. Latency is measured
//     from the moment a request is sent. This is what seed 000's
//     benchmark_concurrency.py does; it measures capacity, but a slow server
//     also slows the arrivals, so its latencies understate what users waiting in
//     line would see (coordinated omission).
//   - Open loop (Rate > 0): requests are scheduled at fixed intervals of 1/Rate
//     whatever the server does, and latency is measured from the scheduled start,
//     so time spent waiting for a free connection counts. At most Concurrency
//     requests are outstanding (queued for a connection or in flight); a
//     scheduled request that finds Concurrency outstanding is not sent and counts
//     as an error of kind "client-overloaded", so the client never queues
//     without bound.
type HTTPConfig struct {
	URL        string  // base URL, e.g. http://127.0.0.1:6333
	Collection string  // collection name
	Vectors    string  // query vectors (.npy, .fvecs, .bvecs), cycled; ignored when Matrix is set
	Matrix     *Matrix // query vectors given directly (tests)

	Requests    int64         // requests to measure (0: unlimited, Duration must be set)
	Duration    time.Duration // measure for at most this long (0: until Requests are done)
	Concurrency int           // closed loop: workers; open loop: most requests outstanding
	Rate        float64       // open loop arrival rate in requests/s (0: closed loop)
	Warmup      time.Duration // load applied first, same model, and not counted

	K             int             // limit of each query
	HnswEf        int             // params.hnsw_ef (0: not sent)
	Exact         bool            // params.exact = true
	Filter        json.RawMessage // filter object sent with each query (nil: none)
	WriteRatio    float64         // fraction of requests that are single-point upserts (0..1)
	IDStart       uint64          // first id of upserted points (0: derived from the clock)
	APIKey        string          // sent as the api-key header when not empty
	Timeout       time.Duration   // per request (0: 30 s)
	SkipPreflight bool            // do not check the collection with GET /collections/{name} first
	StdClient     bool            // send the load with Go's net/http client instead of the built-in HTTP/1.1 one

	Progress    time.Duration // interval of the progress line on Log (0: none)
	ProgressTTY bool          // Log is a terminal: rewrite one line instead of printing many
}

// HTTPResult is the summary of one `needle bench http` run. The first six
// fields are the documented machine-readable summary; the rest are extras.
type HTTPResult struct {
	Requests      int64            `json:"requests"`       // counted requests: answered, failed, or (open loop) not sent for lack of a slot
	ElapsedS      float64          `json:"elapsed_s"`      // from the first request to the last answer
	ThroughputRPS float64          `json:"throughput_rps"` // Requests / ElapsedS, errors included (as benchmark_concurrency.py counts)
	SuccessRate   float64          `json:"success_rate"`   // fraction (0..1) of Requests answered 2xx
	LatencyMS     HTTPLatency      `json:"latency_ms"`     // over successful requests
	Errors        map[string]int64 `json:"errors"`         // kind ("503", "timeout", "connection-refused", ...) -> count

	OK             int64                   `json:"ok"`
	OKRPS          float64                 `json:"ok_rps"` // successful requests per second
	Mode           string                  `json:"mode"`   // "closed" or "open"
	Concurrency    int                     `json:"concurrency"`
	TargetRPS      float64                 `json:"target_rps,omitempty"`
	Ops            map[string]*HTTPOpStats `json:"ops"` // "query" and, with writes, "upsert"
	WarmupRequests int64                   `json:"warmup_requests"`
	VectorsUsed    int                     `json:"vectors_used"` // distinct vectors cycled through
	URL            string                  `json:"url"`
	Collection     string                  `json:"collection"`
	ErrorExamples  map[string]string       `json:"error_examples,omitempty"` // one message per non-HTTP error kind
	Client         string                  `json:"client"`                   // "built-in" (HTTP/1.1, one connection per worker) or "net/http"
	Interrupted    bool                    `json:"interrupted,omitempty"`    // stopped early by the context (Ctrl-C)
	ClientCPUS     float64                 `json:"client_cpu_s,omitempty"`   // CPU time this process used during the measurement (Linux)
}

// HTTPLatency holds latency percentiles in milliseconds.
type HTTPLatency struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// HTTPOpStats is the part of a run spent on one operation.
type HTTPOpStats struct {
	Requests  int64       `json:"requests"` // sent (client-overloaded ones are not attributed to an op)
	OK        int64       `json:"ok"`
	LatencyMS HTTPLatency `json:"latency_ms"`
}

// Error kinds that are not HTTP status codes.
const (
	ErrKindClientOverloaded = "client-overloaded"
	ErrKindTimeout          = "timeout"
	ErrKindConnRefused      = "connection-refused"
	ErrKindConnReset        = "connection-reset"
	ErrKindConnClosed       = "connection-closed"
	ErrKindConnError        = "connection-error"
	ErrKindOther            = "other"
)

const defaultHTTPTimeout = 30 * time.Second

// Validate checks the configuration and fills defaults.
func (c *HTTPConfig) Validate() error {
	if c.URL == "" {
		return errors.New("--url is required")
	}
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port", c.URL)
	}
	c.URL = strings.TrimRight(c.URL, "/")
	if c.Collection == "" {
		return errors.New("--collection is required")
	}
	if c.Vectors == "" && c.Matrix == nil {
		return errors.New("--vectors is required")
	}
	switch {
	case c.Requests < 0:
		return errors.New("--requests must not be negative")
	case c.Duration < 0 || c.Warmup < 0:
		return errors.New("--duration and --warmup must not be negative")
	case c.Requests == 0 && c.Duration == 0:
		return errors.New("give --requests or --duration")
	case c.Concurrency < 1:
		return errors.New("--concurrency must be at least 1")
	case !(c.Rate >= 0) || math.IsInf(c.Rate, 0):
		return errors.New("--rate must be a finite number ≥ 0")
	case c.K < 1:
		return errors.New("--k must be at least 1")
	case c.HnswEf < 0:
		return errors.New("--hnsw-ef must not be negative")
	case !(c.WriteRatio >= 0 && c.WriteRatio <= 1):
		return errors.New("--write-ratio must be between 0 and 1")
	}
	if len(c.Filter) > 0 {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(c.Filter, &obj); err != nil {
			return fmt.Errorf("--filter: not a JSON object: %v", err)
		}
		var b bytes.Buffer
		if err := json.Compact(&b, c.Filter); err != nil {
			return fmt.Errorf("--filter: %v", err)
		}
		c.Filter = b.Bytes()
	}
	if c.Timeout < 0 {
		return fmt.Errorf("--timeout must not be negative, got %v", c.Timeout)
	}
	if c.Timeout == 0 {
		c.Timeout = defaultHTTPTimeout
	}
	if c.IDStart == 0 {
		// Disjoint from earlier runs' ids: a run of n requests lasts far longer than n ns.
		c.IDStart = uint64(time.Now().UnixMicro()) * 1000
	}
	return nil
}

// RunHTTP validates cfg, loads the vectors, checks the collection, applies the
// warmup and then the measured load, and returns the summary. Progress lines go
// to log. Cancelling ctx stops the run early: requests in flight are abandoned
// and not counted, and the result says Interrupted.
func RunHTTP(ctx context.Context, cfg HTTPConfig, log io.Writer) (*HTTPResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m := cfg.Matrix
	if m == nil {
		var err error
		if m, err = ReadMatrix(cfg.Vectors); err != nil {
			return nil, err
		}
	}
	if m.Rows == 0 || m.Cols == 0 {
		return nil, fmt.Errorf("%s: no vectors", cfg.Vectors)
	}
	r := newHTTPRunner(&cfg, m)
	defer r.close()
	if !cfg.SkipPreflight {
		if err := r.preflight(ctx); err != nil {
			return nil, err
		}
	}
	var warm int64
	if cfg.Warmup > 0 {
		ph := r.run(ctx, "warmup", 0, cfg.Warmup, log)
		warm = ph.issued
	}
	cpu0 := processCPUSeconds()
	ph := r.run(ctx, "measure", cfg.Requests, cfg.Duration, log)
	cpu1 := processCPUSeconds()
	res := ph.summarize(&cfg)
	if cpu0 >= 0 && cpu1 >= 0 {
		res.ClientCPUS = cpu1 - cpu0
	}
	res.WarmupRequests = warm
	res.Client = r.clientName()
	res.VectorsUsed = len(r.vecs)
	res.Interrupted = ctx.Err() != nil
	return res, nil
}
