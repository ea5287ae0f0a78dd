package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Operations a request performs.
const (
	opQuery = iota
	opUpsert
	numOps
)

var opNames = [numOps]string{"query", "upsert"}

// httpRunner holds what every phase (warmup, measurement) of a run shares: the
// client with its keep-alive pool, the encoded bodies, and the op counter.
type httpRunner struct {
	cfg       *HTTPConfig
	client    *http.Client
	queryURL  string
	upsertURL string
	bodies    [][]byte // encoded query bodies, cycled
	vecs      [][]byte // the vector part of each body, for upserts
	dim       int
	nextOp    int64 // first op index of the next phase: ids of upserts stay fresh across phases
	// raw: workers send with their own rawConn (plain http:// and not StdClient) to these paths.
	raw        bool
	queryPath  string
	upsertPath string
	conns      []*rawConn // one per worker slot, kept across phases
}

// close ends the runner's connections.
func (r *httpRunner) close() {
	r.client.CloseIdleConnections()
	for _, c := range r.conns {
		c.close()
	}
}

func newHTTPRunner(cfg *HTTPConfig, m *Matrix) *httpRunner {
	prefix, suffix := queryAffixes(cfg)
	limit := 0
	if cfg.Duration == 0 && cfg.Warmup == 0 {
		limit = int(min(cfg.Requests, int64(m.Rows)))
	}
	bodies := encodeQueryBodies(m, prefix, suffix, limit)
	vecs := make([][]byte, len(bodies))
	for i, b := range bodies {
		vecs[i] = b[len(prefix) : len(b)-len(suffix)]
	}
	c := cfg.Concurrency
	tr := &http.Transport{
		Proxy:               nil, // the target is named explicitly; never go through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        c,
		MaxIdleConnsPerHost: c,
		MaxConnsPerHost:     c,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	base := cfg.URL + "/collections/" + url.PathEscape(cfg.Collection) + "/points"
	r := &httpRunner{
		cfg:       cfg,
		client:    &http.Client{Transport: tr, Timeout: cfg.Timeout},
		queryURL:  base + "/query",
		upsertURL: base + "?wait=true",
		bodies:    bodies,
		vecs:      vecs,
		dim:       m.Cols,
	}
	if !cfg.StdClient {
		if _, ok := newRawConn(cfg.URL, cfg.Timeout); ok {
			q, _ := url.Parse(r.queryURL)
			u, _ := url.Parse(r.upsertURL)
			r.raw, r.queryPath, r.upsertPath = true, q.RequestURI(), u.RequestURI()
		}
	}
	return r
}

// clientName is the HTTPResult.Client of this run.
func (r *httpRunner) clientName() string {
	if r.raw {
		return "built-in"
	}
	return "net/http"
}

// isWrite reports whether op i is an upsert. Exactly floor(n*WriteRatio) of
// the first n ops are, spread evenly.
func (r *httpRunner) isWrite(i int64) bool {
	x := r.cfg.WriteRatio
	return x > 0 && int64(float64(i+1)*x) > int64(float64(i)*x)
}

// httpWorker is one worker's tally. Only its goroutine writes it; the progress
// line reads the two atomics. Latencies go to worker-local slices, so
// recording one costs an append and no lock.
type httpWorker struct {
	_        [64]byte // keep the atomics of neighbouring workers off one cache line
	done     atomic.Int64
	failed   atomic.Int64
	_        [64]byte
	sent     [numOps]int64
	ok       [numOps]int64
	lat      [numOps][]time.Duration
	errs     map[string]int64
	examples map[string]string
	conn     *rawConn // the worker's connection when the runner is raw
}

func newHTTPWorker(expect int64) *httpWorker {
	w := &httpWorker{errs: map[string]int64{}, examples: map[string]string{}}
	w.lat[opQuery] = make([]time.Duration, 0, min(expect, 1<<20))
	return w
}

func (w *httpWorker) fail(kind string, err error) {
	w.errs[kind]++
	if err != nil && w.examples[kind] == "" {
		w.examples[kind] = err.Error()
	}
	w.failed.Add(1)
	w.done.Add(1)
}

// httpPhase is one stretch of load: its workers' tallies and its timing.
type httpPhase struct {
	mode    string
	workers []*httpWorker // the last one is the open-loop scheduler's (client-overloaded only)
	elapsed time.Duration
	issued  int64 // op indices used
}

func (p *httpPhase) totals() (done, failed int64) {
	for _, w := range p.workers {
		done += w.done.Load()
		failed += w.failed.Load()
	}
	return done, failed
}

// run applies load until limit requests (0: no limit) or d (0: no limit) or
// ctx ends, whichever comes first, and waits for the answers in flight.
func (r *httpRunner) run(ctx context.Context, name string, limit int64, d time.Duration, log io.Writer) *httpPhase {
	c := r.cfg.Concurrency
	p := &httpPhase{mode: "closed"}
	if r.cfg.Rate > 0 {
		p.mode = "open"
	}
	expect := int64(1 << 12)
	if limit > 0 {
		expect = limit/int64(c) + 1
	}
	for i := range c + 1 {
		w := newHTTPWorker(expect)
		if r.raw { // worker i of every phase uses connection i: the warmup's stay open for the measurement
			if i == len(r.conns) {
				conn, _ := newRawConn(r.cfg.URL, r.cfg.Timeout)
				r.conns = append(r.conns, conn)
			}
			w.conn = r.conns[i]
		}
		p.workers = append(p.workers, w)
	}
	start := time.Now()
	var deadline time.Time
	if d > 0 {
		deadline = start.Add(d)
	}
	stopProgress := r.progress(p, name, start, log)
	if p.mode == "open" {
		r.openLoop(ctx, p, start, limit, deadline)
	} else {
		r.closedLoop(ctx, p, limit, deadline)
	}
	p.elapsed = time.Since(start)
	stopProgress()
	r.nextOp += p.issued
	return p
}

func (r *httpRunner) closedLoop(ctx context.Context, p *httpPhase, limit int64, deadline time.Time) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for _, w := range p.workers[:r.cfg.Concurrency] {
		wg.Go(func() {
			for ctx.Err() == nil {
				if !deadline.IsZero() && !time.Now().Before(deadline) {
					return
				}
				n := next.Add(1) - 1
				if limit > 0 && n >= limit {
					return
				}
				r.do(ctx, w, r.nextOp+n, time.Now())
			}
		})
	}
	wg.Wait()
	p.issued = next.Load()
}

type scheduled struct {
	op int64
	at time.Time
}

// openLoop schedules request i at start + i/Rate. A request is handed to an
// idle worker through a channel; the count of outstanding requests (queued
// plus in flight) never exceeds Concurrency, because a request that would
// exceed it is counted as client-overloaded instead of sent.
func (r *httpRunner) openLoop(ctx context.Context, p *httpPhase, start time.Time, limit int64, deadline time.Time) {
	c := r.cfg.Concurrency
	queue := make(chan scheduled, c)
	var outstanding atomic.Int64
	var wg sync.WaitGroup
	for _, w := range p.workers[:c] {
		wg.Go(func() {
			for s := range queue {
				if ctx.Err() == nil {
					r.do(ctx, w, s.op, s.at)
				}
				outstanding.Add(-1)
			}
		})
	}
	sched := p.workers[c]
	interval := float64(time.Second) / r.cfg.Rate
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var i int64
loop:
	for ; limit == 0 || i < limit; i++ {
		at := start.Add(time.Duration(float64(i) * interval))
		if !deadline.IsZero() && !at.Before(deadline) {
			break
		}
		if wait := time.Until(at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		} else if ctx.Err() != nil {
			break
		}
		if outstanding.Load() >= int64(c) {
			sched.fail(ErrKindClientOverloaded, nil)
			continue
		}
		outstanding.Add(1)
		queue <- scheduled{op: r.nextOp + i, at: at} // never blocks: at most c outstanding
	}
	close(queue)
	wg.Wait()
	p.issued = i
}

// do sends op number op and records its outcome in w, latency measured from
// start. A request abandoned because ctx ended is not recorded.
func (r *httpRunner) do(ctx context.Context, w *httpWorker, op int64, start time.Time) {
	kind, method, target, path := opQuery, http.MethodPost, r.queryURL, r.queryPath
	j := int(op % int64(len(r.bodies)))
	body := r.bodies[j]
	if r.isWrite(op) {
		kind, method, target, path = opUpsert, http.MethodPut, r.upsertURL, r.upsertPath
		body = upsertBody(r.cfg.IDStart+uint64(op), r.vecs[j])
	}
	if w.conn != nil {
		w.sent[kind]++
		status, err := w.conn.do(ctx, method, path, r.cfg.APIKey, body)
		w.record(ctx, kind, status, err, time.Since(start))
		return
	}
	req, err := http.NewRequestWithContext(ctx, method, target, bytes.NewReader(body))
	if err != nil {
		w.fail(ErrKindOther, err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	if r.cfg.APIKey != "" {
		req.Header.Set("api-key", r.cfg.APIKey)
	}
	w.sent[kind]++
	resp, err := r.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			w.sent[kind]--
			return
		}
		k := errorKind(err)
		w.fail(k, err)
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	w.record(ctx, kind, resp.StatusCode, err, time.Since(start))
}

// record tallies one answered (or failed) request of kind.
func (w *httpWorker) record(ctx context.Context, kind, status int, err error, lat time.Duration) {
	switch {
	case err != nil && ctx.Err() != nil:
		w.sent[kind]--
	case err != nil:
		w.fail(errorKind(err), err)
	case status < 200 || status > 299:
		w.fail(strconv.Itoa(status), nil)
	default:
		w.ok[kind]++
		w.lat[kind] = append(w.lat[kind], lat)
		w.done.Add(1)
	}
}
