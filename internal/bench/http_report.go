package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errorKind names the kind of a failed request that got no HTTP answer.
func errorKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return ErrKindTimeout
	case errors.Is(err, syscall.ECONNREFUSED):
		return ErrKindConnRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return ErrKindConnReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrKindConnClosed
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return ErrKindConnError
	}
	return ErrKindOther
}

// progress prints "name  elapsed  requests  current req/s  errors" to log every
// cfg.Progress until the returned function is called, which prints the last line.
func (r *httpRunner) progress(p *httpPhase, name string, start time.Time, log io.Writer) (stop func()) {
	every := r.cfg.Progress
	if every <= 0 || log == nil {
		return func() {}
	}
	end, finished := make(chan struct{}), make(chan struct{})
	var lastDone int64
	last := start
	line := func(now time.Time, final bool) {
		done, failed := p.totals()
		rps, what := 0.0, "req/s"
		if dt := now.Sub(last).Seconds(); dt > 0 {
			rps = float64(done-lastDone) / dt
		}
		if final { // the last stretch may be a few ms: show the phase's mean rate instead
			rps, what = float64(done)/max(now.Sub(start).Seconds(), 1e-9), "req/s mean"
		}
		lastDone, last = done, now
		s := fmt.Sprintf("%-7s %6.1fs  %9d requests  %8.1f %s  %6d errors", name, now.Sub(start).Seconds(), done, rps, what, failed)
		if r.cfg.ProgressTTY {
			fmt.Fprintf(log, "\r%s\033[K", s)
		} else {
			fmt.Fprintln(log, s)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case now := <-t.C:
				line(now, false)
			case <-end:
				line(time.Now(), true)
				if r.cfg.ProgressTTY {
					fmt.Fprintln(log)
				}
				return
			}
		}
	}()
	return func() { close(end); <-finished }
}

// summarize merges the workers' tallies.
func (p *httpPhase) summarize(cfg *HTTPConfig) *HTTPResult {
	res := &HTTPResult{
		ElapsedS:    p.elapsed.Seconds(),
		Errors:      map[string]int64{},
		Mode:        p.mode,
		Concurrency: cfg.Concurrency,
		Ops:         map[string]*HTTPOpStats{},
		URL:         cfg.URL,
		Collection:  cfg.Collection,
	}
	if p.mode == "open" {
		res.TargetRPS = cfg.Rate
	}
	var all []time.Duration
	for op := range numOps {
		var lat []time.Duration
		st := &HTTPOpStats{}
		for _, w := range p.workers {
			st.Requests += w.sent[op]
			st.OK += w.ok[op]
			lat = append(lat, w.lat[op]...)
		}
		st.LatencyMS = latencyMS(lat)
		if op == opQuery || st.Requests > 0 {
			res.Ops[opNames[op]] = st
		}
		res.OK += st.OK
		all = append(all, lat...)
	}
	for _, w := range p.workers {
		res.Requests += w.done.Load()
		for k, n := range w.errs {
			res.Errors[k] += n
		}
		for k, e := range w.examples {
			if res.ErrorExamples == nil {
				res.ErrorExamples = map[string]string{}
			}
			if _, ok := res.ErrorExamples[k]; !ok {
				res.ErrorExamples[k] = e
			}
		}
	}
	res.LatencyMS = latencyMS(all)
	if res.ElapsedS > 0 {
		res.ThroughputRPS = float64(res.Requests) / res.ElapsedS
		res.OKRPS = float64(res.OK) / res.ElapsedS
	}
	if res.Requests > 0 {
		res.SuccessRate = float64(res.OK) / float64(res.Requests)
	}
	return res
}

func latencyMS(lat []time.Duration) HTTPLatency {
	if len(lat) == 0 {
		return HTTPLatency{}
	}
	q := Percentiles(lat, 50, 90, 99, 100)
	var sum time.Duration
	for _, d := range lat {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	return HTTPLatency{P50: ms(q[0]), P90: ms(q[1]), P99: ms(q[2]), Max: ms(q[3]), Mean: ms(sum / time.Duration(len(lat)))}
}

// WriteHTTPSummary writes res for people, in the order of seed 000's
// benchmark_concurrency.py report (total requests, concurrency, elapsed,
// throughput, success rate, latency), with percentiles and errors by kind.
func WriteHTTPSummary(w io.Writer, res *HTTPResult) {
	fmt.Fprintf(w, "needle bench http: %s, collection %q\n", res.URL, res.Collection)
	if res.Mode == "open" {
		fmt.Fprintf(w, "  load          open loop, %.6g req/s scheduled, at most %d outstanding\n", res.TargetRPS, res.Concurrency)
	} else {
		fmt.Fprintf(w, "  load          closed loop, concurrency %d\n", res.Concurrency)
	}
	warm := ""
	if res.WarmupRequests > 0 {
		warm = fmt.Sprintf("; %d warmup requests not counted", res.WarmupRequests)
	}
	fmt.Fprintf(w, "  requests      %d (%d ok, %d failed)%s\n", res.Requests, res.OK, res.Requests-res.OK, warm)
	fmt.Fprintf(w, "  elapsed       %.2f s\n", res.ElapsedS)
	fmt.Fprintf(w, "  throughput    %.1f req/s (ok: %.1f req/s)\n", res.ThroughputRPS, res.OKRPS)
	fmt.Fprintf(w, "  success rate  %.2f %%\n", 100*res.SuccessRate)
	fmt.Fprintf(w, "  latency (ms)  %s   (successful requests)\n", fmtLatency(res.LatencyMS))
	if up := res.Ops["upsert"]; up != nil {
		q := res.Ops["query"]
		fmt.Fprintf(w, "    queries     %d sent, %d ok: %s\n", q.Requests, q.OK, fmtLatency(q.LatencyMS))
		fmt.Fprintf(w, "    upserts     %d sent, %d ok: %s\n", up.Requests, up.OK, fmtLatency(up.LatencyMS))
	}
	if len(res.Errors) == 0 {
		fmt.Fprintln(w, "  errors        none")
	} else {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(res.Errors)) {
			parts = append(parts, fmt.Sprintf("%s: %d", k, res.Errors[k]))
		}
		fmt.Fprintf(w, "  errors        %s\n", strings.Join(parts, ", "))
		for _, k := range slices.Sorted(maps.Keys(res.ErrorExamples)) {
			fmt.Fprintf(w, "    e.g. %s: %s\n", k, res.ErrorExamples[k])
		}
	}
	if res.ClientCPUS > 0 && res.ElapsedS > 0 {
		fmt.Fprintf(w, "  client CPU    %.1f s (%.0f %% of one core), %.0f µs per request\n",
			res.ClientCPUS, 100*res.ClientCPUS/res.ElapsedS, 1e6*res.ClientCPUS/float64(max(res.Requests, 1)))
	}
	if res.Interrupted {
		fmt.Fprintln(w, "  interrupted before the end: requests in flight were not counted")
	}
}

func fmtLatency(l HTTPLatency) string {
	return fmt.Sprintf("p50 %.2f  p90 %.2f  p99 %.2f  max %.2f  mean %.2f", l.P50, l.P90, l.P99, l.Max, l.Mean)
}

// preflight checks with GET /collections/{name} that the server answers, the
// collection exists and, when the answer says, that its vectors have the
// dimension of ours; so a wrong flag fails at once instead of after N errors.
func (r *httpRunner) preflight(ctx context.Context) error {
	u := r.cfg.URL + "/collections/" + url.PathEscape(r.cfg.Collection)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	if r.cfg.APIKey != "" {
		req.Header.Set("api-key", r.cfg.APIKey)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return fmt.Errorf("preflight: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("preflight: GET %s: %s: %s", u, resp.Status, strings.TrimSpace(string(body)))
	}
	var info struct {
		Result struct {
			Config struct {
				Params struct {
					Vectors json.RawMessage `json:"vectors"`
				} `json:"params"`
			} `json:"config"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &info) != nil {
		return nil // not Qdrant's shape: nothing to check
	}
	var single struct {
		Size int `json:"size"`
	}
	if json.Unmarshal(info.Result.Config.Params.Vectors, &single) == nil && single.Size > 0 {
		if single.Size != r.dim {
			return fmt.Errorf("preflight: collection %q has %d-dimensional vectors, the vectors file %d", r.cfg.Collection, single.Size, r.dim)
		}
	}
	return nil
}

// processCPUSeconds returns the user plus system CPU time of this process from
// /proc/self/stat (fields 14 and 15, in clock ticks of 1/100 s, the value of
// USER_HZ on every Linux architecture Go supports), or -1 without /proc.
func processCPUSeconds() float64 {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return -1
	}
	// The command name (field 2) is in parentheses and may hold spaces: count after it.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return -1
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3
	if len(f) < 13 {
		return -1
	}
	ut, err1 := strconv.ParseInt(string(f[11]), 10, 64)
	st, err2 := strconv.ParseInt(string(f[12]), 10, 64)
	if err1 != nil || err2 != nil {
		return -1
	}
	return float64(ut+st) / 100
}
