package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeQdrant is a server whose behaviour the tests choose per request.
type fakeQdrant struct {
	t        *testing.T
	dim      int
	handle   func(n int64, w http.ResponseWriter, r *http.Request) // n: 0-based request number (points only)
	count    atomic.Int64
	inflight atomic.Int64
	maxIn    atomic.Int64

	mu       sync.Mutex
	bodies   [][]byte
	methods  []string
	urls     []string
	apiKeys  []string
	arrivals []time.Time
}

func newFakeQdrant(t *testing.T, dim int, handle func(n int64, w http.ResponseWriter, r *http.Request)) (*fakeQdrant, *httptest.Server) {
	f := &fakeQdrant{t: t, dim: dim, handle: handle}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /collections/{name}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("name") != "c" {
			http.Error(w, `{"status":{"error":"Not found: Collection `+"`"+r.PathValue("name")+"`"+` doesn't exist!"}}`, 404)
			return
		}
		w.Write([]byte(`{"result":{"status":"green","config":{"params":{"vectors":{"size":` + itoa(f.dim) + `,"distance":"Euclid"}}}},"status":"ok"}`))
	})
	points := func(w http.ResponseWriter, r *http.Request) {
		in := f.inflight.Add(1)
		defer f.inflight.Add(-1)
		for {
			m := f.maxIn.Load()
			if in <= m || f.maxIn.CompareAndSwap(m, in) {
				break
			}
		}
		n := f.count.Add(1) - 1
		var body bytes.Buffer
		body.ReadFrom(r.Body)
		f.mu.Lock()
		f.bodies = append(f.bodies, body.Bytes())
		f.methods = append(f.methods, r.Method)
		f.urls = append(f.urls, r.URL.String())
		f.apiKeys = append(f.apiKeys, r.Header.Get("api-key"))
		f.arrivals = append(f.arrivals, time.Now())
		f.mu.Unlock()
		if f.handle != nil {
			f.handle(n, w, r)
			return
		}
		w.Write([]byte(`{"result":{"points":[]},"status":"ok","time":0}`))
	}
	mux.HandleFunc("POST /collections/c/points/query", points)
	mux.HandleFunc("PUT /collections/c/points", points)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func testMatrix(rows, cols int) *Matrix {
	m := &Matrix{Rows: rows, Cols: cols, Data: make([]float32, rows*cols)}
	for i := range m.Data {
		m.Data[i] = float32(i%97) / 4
	}
	return m
}

func baseConfig(url string) HTTPConfig {
	return HTTPConfig{URL: url, Collection: "c", Matrix: testMatrix(7, 4), Concurrency: 4, K: 10, Requests: 100}
}

func runHTTPTest(t *testing.T, cfg HTTPConfig) *HTTPResult {
	t.Helper()
	res, err := RunHTTP(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func checkOrdered(t *testing.T, l HTTPLatency) {
	t.Helper()
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency percentiles out of order: %+v", l)
	}
}

// Closed loop: every request is counted once, 503s are an error kind, latency
// percentiles reflect the injected delays, and the bodies are the queries asked for.
func TestHTTPClosedLoopCountsErrorsPercentiles(t *testing.T) {
	t.Parallel()
	f, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		switch {
		case n%10 == 9:
			w.WriteHeader(503)
			w.Write([]byte(`{"status":{"error":"overloaded"}}`))
			return
		case n%20 == 0:
			time.Sleep(40 * time.Millisecond)
		default:
			time.Sleep(2 * time.Millisecond)
		}
		w.Write([]byte(`{"result":{"points":[]},"status":"ok"}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Concurrency = 200, 8
	cfg.HnswEf, cfg.Exact, cfg.APIKey = 64, true, "secret"
	cfg.Filter = json.RawMessage(`{"must": [ {"key":"tenant","match":{"value":7}} ]}`)
	res := runHTTPTest(t, cfg)

	if res.Requests != 200 || res.OK != 180 || f.count.Load() != 200 {
		t.Errorf("requests %d ok %d served %d, want 200 180 200", res.Requests, res.OK, f.count.Load())
	}
	if want := map[string]int64{"503": 20}; !equalMaps(res.Errors, want) {
		t.Errorf("errors %v, want %v", res.Errors, want)
	}
	if res.SuccessRate != 0.9 || res.Mode != "closed" || res.Ops["query"].Requests != 200 {
		t.Errorf("success %v mode %s query requests %d", res.SuccessRate, res.Mode, res.Ops["query"].Requests)
	}
	if _, ok := res.Ops["upsert"]; ok {
		t.Error("upsert stats without writes")
	}
	if got := res.ThroughputRPS * res.ElapsedS; got < 199.9 || got > 200.1 {
		t.Errorf("throughput %v * elapsed %v != requests", res.ThroughputRPS, res.ElapsedS)
	}
	l := res.LatencyMS
	checkOrdered(t, l)
	// 10 of 180 successes took >= 40 ms, the rest >= 2 ms.
	if l.P50 < 2 || l.P50 > 30 || l.P99 < 40 || l.Max < 40 || l.Mean < 2 {
		t.Errorf("latency %+v: want p50 in [2, 30], p99 and max >= 40", l)
	}
	if m := f.maxIn.Load(); m > 8 {
		t.Errorf("%d requests in flight at once with concurrency 8", m)
	}
	for i, b := range f.bodies {
		var q struct {
			Query  []float32
			Limit  int
			Params struct {
				HnswEf int  `json:"hnsw_ef"`
				Exact  bool `json:"exact"`
			}
			Filter map[string]any
		}
		if err := json.Unmarshal(b, &q); err != nil {
			t.Fatalf("body %d %q: %v", i, b, err)
		}
		if len(q.Query) != 4 || q.Limit != 10 || q.Params.HnswEf != 64 || !q.Params.Exact || q.Filter["must"] == nil {
			t.Fatalf("body %d: %s", i, b)
		}
		if f.apiKeys[i] != "secret" || f.methods[i] != "POST" {
			t.Fatalf("request %d: method %s api-key %q", i, f.methods[i], f.apiKeys[i])
		}
	}
	// Every query vector of the 7-row matrix was used, each as encoded.
	seen := map[string]bool{}
	for _, b := range f.bodies {
		var q struct{ Query json.RawMessage }
		json.Unmarshal(b, &q)
		seen[string(q.Query)] = true
	}
	if len(seen) != 7 || !seen["[0,0.25,0.5,0.75]"] {
		t.Errorf("%d distinct query vectors: %v", len(seen), seen)
	}
}

func equalMaps(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// Open loop: 200 req/s for 2 s sends about 400 requests, evenly spread,
// whatever the server's speed.
func TestHTTPOpenLoopRate(t *testing.T) {
	t.Parallel()
	f, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Millisecond)
		w.Write([]byte(`{"result":{"points":[]},"status":"ok"}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Duration, cfg.Rate, cfg.Concurrency = 0, 2*time.Second, 200, 20
	res := runHTTPTest(t, cfg)
	if res.Requests < 360 || res.Requests > 440 {
		t.Errorf("%d requests at 200 req/s for 2 s, want 400 ± 10 %%", res.Requests)
	}
	// A machine busy with other work can stall the client long enough for a few arrivals to find
	// every slot taken (they count as client-overloaded, by design); anything else is a failure.
	if res.OK < res.Requests*97/100 || len(res.Errors) > 1 || len(res.Errors) == 1 && res.Errors["client-overloaded"] == 0 ||
		res.Mode != "open" || res.TargetRPS != 200 {
		t.Errorf("ok %d of %d, errors %v, mode %s, target %v", res.OK, res.Requests, res.Errors, res.Mode, res.TargetRPS)
	}
	if res.ElapsedS < 1.95 || res.ElapsedS > 2.5 {
		t.Errorf("elapsed %.3f s, want about 2", res.ElapsedS)
	}
	checkOrdered(t, res.LatencyMS)
	if res.LatencyMS.P50 < 3 {
		t.Errorf("p50 %.2f ms below the server's 3 ms", res.LatencyMS.P50)
	}
	// Arrivals per half second: about 100 each.
	f.mu.Lock()
	arr := slices.Clone(f.arrivals)
	f.mu.Unlock()
	start := arr[0]
	var buckets [4]int
	for _, a := range arr {
		if b := int(a.Sub(start) / (500 * time.Millisecond)); b < 4 {
			buckets[b]++
		}
	}
	for i, n := range buckets {
		if n < 80 || n > 120 {
			t.Errorf("half-second %d received %d requests, want about 100 (all: %v)", i, n, buckets)
		}
	}
}

// Open loop: a stalled server does not slow the arrivals down, and the
// requests scheduled during the stall carry the time they waited.
func TestHTTPOpenLoopNoCoordinatedOmission(t *testing.T) {
	t.Parallel()
	var stallStart atomic.Int64 // unix ns
	_, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		if n == 40 { // about 200 ms in: the server stops for 300 ms
			stallStart.Store(time.Now().UnixNano())
		}
		if s := stallStart.Load(); s != 0 {
			if d := 300*time.Millisecond - time.Since(time.Unix(0, s)); d > 0 {
				time.Sleep(d)
			}
		}
		w.Write([]byte(`{"result":{"points":[]},"status":"ok"}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Rate, cfg.Concurrency = 200, 200, 100
	res := runHTTPTest(t, cfg)
	if res.OK != 200 {
		t.Fatalf("ok %d of 200: %v", res.OK, res.Errors)
	}
	// ~60 of 200 requests were scheduled during the stall and waited 0..300 ms:
	// a closed loop would have recorded one slow request; here p90 is slow.
	if res.LatencyMS.Max < 280 || res.LatencyMS.P90 < 50 {
		t.Errorf("latency %+v: want max >= 280 ms and p90 >= 50 ms", res.LatencyMS)
	}
	if res.ElapsedS < 0.99 || res.ElapsedS > 1.5 {
		t.Errorf("elapsed %.3f s, want about 1", res.ElapsedS)
	}
}

// Open loop: with the server slower than the arrivals, no more than
// Concurrency requests are outstanding and the rest are client-overloaded.
func TestHTTPOpenLoopClientOverloaded(t *testing.T) {
	t.Parallel()
	f, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		time.Sleep(100 * time.Millisecond)
		w.Write([]byte(`{"result":{"points":[]},"status":"ok"}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Rate, cfg.Concurrency = 100, 200, 5 // 0.5 s of arrivals, room for ~5 per 100 ms
	res := runHTTPTest(t, cfg)
	if res.Requests != 100 {
		t.Errorf("requests %d, want 100 (sent or overloaded)", res.Requests)
	}
	over := res.Errors[ErrKindClientOverloaded]
	if over < 50 || res.OK+over != 100 || len(res.Errors) != 1 {
		t.Errorf("ok %d, errors %v: want >= 50 client-overloaded and the rest ok", res.OK, res.Errors)
	}
	if m := f.maxIn.Load(); m > 5 {
		t.Errorf("%d requests outstanding at the server, limit 5", m)
	}
	if res.Ops["query"].Requests != res.OK {
		t.Errorf("query requests %d, ok %d: overloaded ones must not count as sent", res.Ops["query"].Requests, res.OK)
	}
}

// Write ratio: exactly that fraction of requests are upserts of fresh ids.
func TestHTTPWriteRatio(t *testing.T) {
	t.Parallel()
	f, srv := newFakeQdrant(t, 4, nil)
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.WriteRatio, cfg.IDStart = 100, 0.25, 1000
	res := runHTTPTest(t, cfg)
	if res.Ops["query"].OK != 75 || res.Ops["upsert"] == nil || res.Ops["upsert"].OK != 25 || res.OK != 100 {
		t.Fatalf("ops %+v %+v", res.Ops["query"], res.Ops["upsert"])
	}
	ids := map[uint64]bool{}
	for i, m := range f.methods {
		if m != "PUT" {
			continue
		}
		if f.urls[i] != "/collections/c/points?wait=true" {
			t.Errorf("upsert url %s", f.urls[i])
		}
		var up struct {
			Points []struct {
				ID     uint64
				Vector []float32
			}
		}
		if err := json.Unmarshal(f.bodies[i], &up); err != nil || len(up.Points) != 1 || len(up.Points[0].Vector) != 4 {
			t.Fatalf("upsert body %s: %v", f.bodies[i], err)
		}
		if id := up.Points[0].ID; id < 1000 || id >= 1100 || ids[id] {
			t.Errorf("upsert id %d: outside [1000, 1100) or repeated", id)
		}
		ids[up.Points[0].ID] = true
	}
	if len(ids) != 25 {
		t.Errorf("%d distinct upsert ids, want 25", len(ids))
	}
}

func TestProcessCPUSeconds(t *testing.T) {
	c0 := processCPUSeconds()
	if c0 < 0 {
		t.Skip("no /proc/self/stat")
	}
	// Spin until the count moves by 30 ms of CPU (at 100 ticks/s); on a busy
	// machine that can take longer than 30 ms of wall time.
	start := time.Now()
	for processCPUSeconds() < c0+0.03 {
		if time.Since(start) > 3*time.Second {
			t.Fatalf("CPU seconds stuck at %v after 3 s of spinning", processCPUSeconds())
		}
	}
	if c1 := processCPUSeconds(); c1 > c0+5 {
		t.Errorf("CPU seconds %v then %v", c0, c1)
	}
}

func TestIsWriteFraction(t *testing.T) {
	for _, x := range []float64{0, 0.01, 0.1, 1.0 / 3, 0.5, 0.9, 1} {
		r := &httpRunner{cfg: &HTTPConfig{WriteRatio: x}}
		n := 0
		for i := range int64(1000) {
			if r.isWrite(i) {
				n++
			}
		}
		if want := int(1000 * x); n != want {
			t.Errorf("ratio %v: %d writes of 1000, want %d", x, n, want)
		}
	}
}

// Failures without an HTTP answer are classified by kind.
func TestHTTPErrorKinds(t *testing.T) {
	t.Parallel()
	t.Run("timeout", func(t *testing.T) {
		t.Parallel()
		_, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(2 * time.Second):
			case <-r.Context().Done():
			}
		})
		cfg := baseConfig(srv.URL)
		cfg.Requests, cfg.Timeout = 8, 50*time.Millisecond
		res := runHTTPTest(t, cfg)
		if res.Errors[ErrKindTimeout] != 8 || res.OK != 0 || res.SuccessRate != 0 {
			t.Errorf("errors %v ok %d", res.Errors, res.OK)
		}
		if res.ErrorExamples[ErrKindTimeout] == "" {
			t.Error("no example message for the timeouts")
		}
	})
	t.Run("connection-closed", func(t *testing.T) {
		t.Parallel()
		f, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
			if n%2 == 0 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close()
				return
			}
			w.Write([]byte(`{}`))
		})
		cfg := baseConfig(srv.URL)
		cfg.Requests, cfg.Concurrency = 20, 1
		res := runHTTPTest(t, cfg)
		// A request the server read and then dropped is an error, never sent again.
		if res.Errors[ErrKindConnClosed] != 10 || res.OK != 10 || f.count.Load() != 20 {
			t.Errorf("errors %v ok %d, server saw %d requests", res.Errors, res.OK, f.count.Load())
		}
	})
	t.Run("connection-refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		cfg := baseConfig("http://" + addr)
		cfg.Requests, cfg.SkipPreflight = 5, true
		res := runHTTPTest(t, cfg)
		if res.Errors[ErrKindConnRefused] != 5 || res.Requests != 5 {
			t.Errorf("errors %v requests %d", res.Errors, res.Requests)
		}
	})
}

// Duration bounds a closed-loop run; warmup requests are not counted.
func TestHTTPDurationAndWarmup(t *testing.T) {
	t.Parallel()
	f, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		time.Sleep(time.Millisecond)
		w.Write([]byte(`{}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests, cfg.Duration, cfg.Warmup = 0, 300*time.Millisecond, 100*time.Millisecond
	var log bytes.Buffer
	cfg.Progress = 50 * time.Millisecond
	res, err := RunHTTP(context.Background(), cfg, &syncWriter{w: &log})
	if err != nil {
		t.Fatal(err)
	}
	if res.ElapsedS < 0.3 || res.ElapsedS > 0.6 || res.Requests == 0 || res.WarmupRequests == 0 {
		t.Errorf("elapsed %.3f requests %d warmup %d", res.ElapsedS, res.Requests, res.WarmupRequests)
	}
	if served := f.count.Load(); served != res.Requests+res.WarmupRequests {
		t.Errorf("server saw %d, result %d + warmup %d", served, res.Requests, res.WarmupRequests)
	}
	out := log.String()
	if !strings.Contains(out, "warmup") || strings.Count(out, "req/s") < 4 {
		t.Errorf("progress lines:\n%s", out)
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// Cancelling the context stops the run; abandoned requests are not errors.
func TestHTTPInterrupted(t *testing.T) {
	t.Parallel()
	_, srv := newFakeQdrant(t, 4, func(n int64, w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.Write([]byte(`{}`))
	})
	cfg := baseConfig(srv.URL)
	cfg.Requests = 0
	cfg.Duration = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := RunHTTP(ctx, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(start) > 2*time.Second || !res.Interrupted || len(res.Errors) != 0 || res.OK == 0 {
		t.Errorf("after %v: interrupted %v errors %v ok %d", time.Since(start), res.Interrupted, res.Errors, res.OK)
	}
}

func TestHTTPPreflight(t *testing.T) {
	t.Parallel()
	_, srv := newFakeQdrant(t, 4, nil)
	cfg := baseConfig(srv.URL)
	cfg.Collection = "missing"
	if _, err := RunHTTP(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("missing collection: %v", err)
	}
	cfg = baseConfig(srv.URL)
	cfg.Matrix = testMatrix(3, 5)
	if _, err := RunHTTP(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "4-dimensional") {
		t.Errorf("dimension mismatch: %v", err)
	}
}

func TestHTTPConfigValidate(t *testing.T) {
	ok := baseConfig("http://127.0.0.1:1")
	for name, mut := range map[string]func(*HTTPConfig){
		"no url":           func(c *HTTPConfig) { c.URL = "" },
		"bad url":          func(c *HTTPConfig) { c.URL = "127.0.0.1:6333" },
		"no collection":    func(c *HTTPConfig) { c.Collection = "" },
		"no vectors":       func(c *HTTPConfig) { c.Matrix = nil },
		"no stop":          func(c *HTTPConfig) { c.Requests = 0 },
		"concurrency 0":    func(c *HTTPConfig) { c.Concurrency = 0 },
		"negative rate":    func(c *HTTPConfig) { c.Rate = -1 },
		"NaN rate":         func(c *HTTPConfig) { c.Rate = math.NaN() },
		"infinite rate":    func(c *HTTPConfig) { c.Rate = math.Inf(1) },
		"negative timeout": func(c *HTTPConfig) { c.Timeout = -time.Second },
		"k 0":              func(c *HTTPConfig) { c.K = 0 },
		"write ratio 2":    func(c *HTTPConfig) { c.WriteRatio = 2 },
		"filter array":     func(c *HTTPConfig) { c.Filter = json.RawMessage(`[1]`) },
		"filter garbage":   func(c *HTTPConfig) { c.Filter = json.RawMessage(`{"must":`) },
	} {
		c := ok
		mut(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	c := ok
	c.URL = "http://127.0.0.1:1/"
	if err := c.Validate(); err != nil || c.URL != "http://127.0.0.1:1" || c.Timeout != defaultHTTPTimeout || c.IDStart == 0 {
		t.Errorf("defaults: %v %+v", err, c)
	}
}

// The JSON summary has the documented keys.
func TestHTTPResultJSON(t *testing.T) {
	t.Parallel()
	_, srv := newFakeQdrant(t, 4, nil)
	cfg := baseConfig(srv.URL)
	cfg.Requests = 10
	b, err := json.Marshal(runHTTPTest(t, cfg))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	json.Unmarshal(b, &m)
	for _, k := range []string{"requests", "elapsed_s", "throughput_rps", "success_rate", "latency_ms", "errors"} {
		if _, ok := m[k]; !ok {
			t.Errorf("key %q missing from %s", k, b)
		}
	}
	var lat map[string]float64
	json.Unmarshal(m["latency_ms"], &lat)
	for _, k := range []string{"p50", "p90", "p99", "max"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latency_ms.%s missing from %s", k, b)
		}
	}
	if string(m["errors"]) != "{}" {
		t.Errorf("errors %s, want {}", m["errors"])
	}
	var buf bytes.Buffer
	var res HTTPResult
	json.Unmarshal(b, &res)
	WriteHTTPSummary(&buf, &res)
	for _, want := range []string{"requests      10 (10 ok, 0 failed)", "throughput", "success rate  100.00 %", "p99", "errors        none"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}
