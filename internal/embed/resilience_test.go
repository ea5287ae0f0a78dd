package embed

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestRetryOn5xxThenSuccess(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.setHook(func(n int, _ *fakeRequest) *fakeReply {
		if n <= 2 {
			return &fakeReply{status: 500 + n} // 501, 502
		}
		return nil
	})
	e, _ := newTestEmbedder(t, nil, testProvider("m", 4, f))
	v, err := e.EmbedOne(context.Background(), "m", "x")
	if err != nil || v[0] != marker("x") {
		t.Fatalf("got %v", err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 3", n)
	}
	if n := testutil.ToFloat64(e.metrics.errors.WithLabelValues("m", "up0", "server_error")); n != 2 {
		t.Fatalf("server_error count %v", n)
	}
}

func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.setHook(func(int, *fakeRequest) *fakeReply { return &fakeReply{status: 503} })
	p := testProvider("m", 4, f)
	p.Retries = 2
	p.BreakerFailures = 100
	e, _ := newTestEmbedder(t, nil, p)
	_, err := e.EmbedOne(context.Background(), "m", "x")
	if !errors.Is(err, ErrUnavailable) || HTTPStatus(err) != 503 || !strings.Contains(err.Error(), `"up0"`) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("got %v", err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("%d calls, want 1 + 2 retries", n)
	}
}

// A 429 with Retry-After (seconds) is retried after that long, not sooner.
func TestRateLimitHonoursRetryAfter(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	var first atomic.Int64
	f.setHook(func(n int, _ *fakeRequest) *fakeReply {
		if n == 1 {
			first.Store(time.Now().UnixNano())
			return &fakeReply{status: 429, header: map[string]string{"Retry-After": "1"}}
		}
		if gap := time.Since(time.Unix(0, first.Load())); gap < 990*time.Millisecond {
			return &fakeReply{status: 400, body: "retried too early: " + gap.String()}
		}
		return nil
	})
	e, _ := newTestEmbedder(t, nil, testProvider("m", 4, f))
	if _, err := e.EmbedOne(context.Background(), "m", "x"); err != nil {
		t.Fatal(err)
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("%d calls", n)
	}
}

// A Retry-After beyond the caller's deadline is a fast 503 with a hint, not a wait.
func TestRetryAfterBeyondDeadline(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.setHook(func(int, *fakeRequest) *fakeReply {
		return &fakeReply{status: 429, header: map[string]string{"Retry-After": "30"}}
	})
	e, _ := newTestEmbedder(t, nil, testProvider("m", 4, f))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := e.EmbedOne(ctx, "m", "x")
	if !errors.Is(err, ErrUnavailable) || RetryAfter(err) < 29*time.Second {
		t.Fatalf("got %v (retry after %v)", err, RetryAfter(err))
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d calls", n)
	}
}

func TestNoRetryOnClientErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status int
		kind   error
		code   int
	}{{400, ErrBadInput, 400}, {422, ErrBadInput, 400}, {401, ErrBadResponse, 502}, {404, ErrBadResponse, 502}} {
		f := newFake(t, 4)
		f.setHook(func(int, *fakeRequest) *fakeReply { return &fakeReply{status: c.status} })
		p := testProvider("m", 4, f)
		p.Encoding = "float" // the one-off float probe of an unproven base64 upstream is TestBase64FallBacks's
		e, _ := newTestEmbedder(t, nil, p)
		_, err := e.EmbedOne(context.Background(), "m", "x")
		if !errors.Is(err, c.kind) || HTTPStatus(err) != c.code {
			t.Errorf("HTTP %d: got %v (status %d)", c.status, err, HTTPStatus(err))
		}
		if n := f.calls.Load(); n != 1 {
			t.Errorf("HTTP %d: %d calls, want 1", c.status, n)
		}
	}
}

// An upstream slower than Timeout is abandoned and retried; a caller's shorter deadline ends the
// whole thing early.
func TestTimeouts(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 10 * time.Second // the fake stops when the client gives up
	p := testProvider("m", 4, f)
	p.Timeout = 40 * time.Millisecond
	p.Retries = 1
	p.BreakerFailures = 100
	e, _ := newTestEmbedder(t, nil, p)
	start := time.Now()
	_, err := e.EmbedOne(context.Background(), "m", "x")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 400*time.Millisecond {
		t.Fatalf("took %v with a 40ms timeout and one retry", d)
	}
	if n := f.calls.Load(); n != 2 {
		t.Fatalf("%d calls, want 2", n)
	}
	if n := testutil.ToFloat64(e.metrics.errors.WithLabelValues("m", "up0", "timeout")); n != 2 {
		t.Fatalf("timeout count %v", n)
	}

	p.Timeout = 20 * time.Second
	e2, _ := newTestEmbedder(t, nil, p)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = e2.EmbedOne(ctx, "m", "y")
	if !errors.Is(err, context.DeadlineExceeded) || HTTPStatus(err) != 503 {
		t.Fatalf("caller deadline: %v", err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("caller deadline of 50ms returned after %v", d)
	}
}

func TestInvalidResponses(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		reply fakeReply
		enc   string
		kind  error
		msg   string
	}{
		{"dims", fakeReply{dims: 5}, "float", ErrDimensions, "5 dimensions, expected 4"},
		{"dims base64", fakeReply{dims: 3}, "base64", ErrDimensions, "expected 4 dimensions"},
		{"nan", fakeReply{nan: true}, "float", ErrBadResponse, "not finite"},
		{"nan base64", fakeReply{nan: true}, "base64", ErrBadResponse, "not finite"},
		{"count", fakeReply{count: 1}, "float", ErrBadResponse, "1 embeddings for 2 texts"},
		{"garbage", fakeReply{body: "<html>gateway</html>"}, "float", ErrBadResponse, "not valid JSON"},
		{"error body", fakeReply{body: `{"error":{"message":"model overloaded"}}`}, "float", ErrBadResponse, "model overloaded"},
	} {
		f := newFake(t, 4)
		f.setHook(func(int, *fakeRequest) *fakeReply { r := c.reply; return &r })
		p := testProvider("m", 4, f)
		p.Encoding = c.enc
		e, _ := newTestEmbedder(t, nil, p)
		v, err := e.Embed(context.Background(), "m", []string{"a", "b"})
		if !errors.Is(err, c.kind) || HTTPStatus(err) != http.StatusBadGateway || !strings.Contains(err.Error(), c.msg) || v != nil {
			t.Errorf("%s: got %v (status %d), want %v with %q", c.name, err, HTTPStatus(err), c.kind, c.msg)
		}
		// Not retried on the same upstream; a base64 upstream that has never answered is asked
		// once more in float, in case base64 was the trouble.
		if n, want := f.calls.Load(), map[string]int64{"float": 1, "base64": 2}[c.enc]; n != want {
			t.Errorf("%s: %d calls, want %d", c.name, n, want)
		}
	}
}

// Consecutive failures open the breaker (calls fail fast without reaching the upstream); after
// the cool-down one probe decides: failure reopens it, success closes it.
func TestBreakerOpensAndRecovers(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	var healthy atomic.Bool
	f.setHook(func(int, *fakeRequest) *fakeReply {
		if healthy.Load() {
			return nil
		}
		return &fakeReply{status: 500}
	})
	p := testProvider("m", 4, f)
	p.Encoding = "float" // one request per batch (no base64 probe)
	p.Retries = -1
	p.BreakerFailures = 3
	p.BreakerCooldown = 150 * time.Millisecond
	e, logs := newTestEmbedder(t, nil, p)
	ctx := context.Background()
	state := func() BreakerState { return e.providers["m"].ups[0].breaker.current() }

	for i := range 3 {
		if _, err := e.EmbedOne(ctx, "m", "x"); !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrBreakerOpen) {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	if s := state(); s != BreakerOpen {
		t.Fatalf("state %v after 3 failures", s)
	}
	_, err := e.EmbedOne(ctx, "m", "x")
	if !errors.Is(err, ErrBreakerOpen) || HTTPStatus(err) != 503 || RetryAfter(err) <= 0 {
		t.Fatalf("open breaker: %v", err)
	}
	if n := f.calls.Load(); n != 3 {
		t.Fatalf("%d calls; an open breaker must not call", n)
	}

	time.Sleep(160 * time.Millisecond) // half-open: the probe fails and reopens it
	if s := state(); s != BreakerHalfOpen {
		t.Fatalf("state %v after cool-down", s)
	}
	if _, err := e.EmbedOne(ctx, "m", "x"); err == nil || errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("probe: %v", err)
	}
	if s := state(); s != BreakerOpen {
		t.Fatalf("state %v after a failed probe", s)
	}
	healthy.Store(true)
	if _, err := e.EmbedOne(ctx, "m", "x"); !errors.Is(err, ErrBreakerOpen) {
		t.Fatalf("reopened breaker: %v", err)
	}
	time.Sleep(160 * time.Millisecond)
	if _, err := e.EmbedOne(ctx, "m", "x"); err != nil {
		t.Fatalf("successful probe: %v", err)
	}
	if s := state(); s != BreakerClosed {
		t.Fatalf("state %v after a good probe", s)
	}
	want := `# HELP needle_embed_upstream_breaker_state Circuit breaker of an embedding upstream: 0 closed, 1 half-open, 2 open.
# TYPE needle_embed_upstream_breaker_state gauge
needle_embed_upstream_breaker_state{provider="m",upstream="up0"} 0
`
	if err := testutil.CollectAndCompare(e.metrics.state, strings.NewReader(want), "needle_embed_upstream_breaker_state"); err != nil {
		t.Fatal(err)
	}
	if l := logs.String(); !strings.Contains(l, "to=open") || !strings.Contains(l, "to=closed") {
		t.Fatalf("breaker transitions not logged:\n%s", l)
	}
}

// Two healthy upstreams share requests by weight; when one fails, requests fail over to the
// other, and once its breaker opens it is skipped without being called.
func TestWeightedBalancingAndFailover(t *testing.T) {
	t.Parallel()
	a, b := newFake(t, 4), newFake(t, 4)
	p := testProvider("m", 4, a, b)
	p.Upstreams[0].Weight = 3
	p.Upstreams[1].Weight = 1
	p.Retries = -1 // failover to an untried upstream needs no retry
	p.BreakerCooldown = time.Hour
	e, _ := newTestEmbedder(t, nil, p)
	ctx := context.Background()
	for i := range 40 {
		if _, err := e.EmbedOne(ctx, "m", "text "+string(rune('A'+i))); err != nil {
			t.Fatal(err)
		}
	}
	if na, nb := a.calls.Load(), b.calls.Load(); na != 30 || nb != 10 {
		t.Fatalf("weights 3:1 gave %d:%d calls", na, nb)
	}

	a.setHook(func(int, *fakeRequest) *fakeReply { return &fakeReply{status: 502} })
	a0, b0 := a.calls.Load(), b.calls.Load()
	for i := range 20 {
		if _, err := e.EmbedOne(ctx, "m", "failover "+string(rune('A'+i))); err != nil {
			t.Fatalf("call %d with one upstream down: %v", i, err)
		}
	}
	if fa := a.calls.Load() - a0; fa != 3 { // BreakerFailures
		t.Fatalf("failing upstream got %d calls; its breaker should open after 3", fa)
	}
	if fb := b.calls.Load() - b0; fb != 20 {
		t.Fatalf("healthy upstream got %d calls, want all 20", fb)
	}

	// Both down: the error names the last failure, and the call is still a clean 503.
	b.setHook(func(int, *fakeRequest) *fakeReply { return &fakeReply{status: 500} })
	if _, err := e.EmbedOne(ctx, "m", "nowhere"); !errors.Is(err, ErrUnavailable) || HTTPStatus(err) != 503 {
		t.Fatalf("both down: %v", err)
	}
}

// Wrong dimensions from one upstream fail over to another that answers correctly.
func TestFailoverOnWrongDimensions(t *testing.T) {
	t.Parallel()
	bad, good := newFake(t, 4), newFake(t, 4)
	bad.setHook(func(int, *fakeRequest) *fakeReply { return &fakeReply{dims: 8} })
	e, _ := newTestEmbedder(t, nil, testProvider("m", 4, bad, good))
	for range 4 {
		if v, err := e.EmbedOne(context.Background(), "m", "x"+time.Now().String()); err != nil || len(v) != 4 {
			t.Fatalf("got %v", err)
		}
	}
}

// The key is sent to the upstream and appears in no log line or error message, even when the
// upstream echoes it back.
func TestKeyNeverLogged(t *testing.T) {
	t.Parallel()
	const key = "sk-live-SECRET-0123456789"
	f := newFake(t, 4)
	f.setHook(func(int, *fakeRequest) *fakeReply {
		return &fakeReply{status: 401, body: `{"error":{"message":"Incorrect API key provided: ` + key + `"}}`}
	})
	p := testProvider("m", 4, f)
	p.APIKeyEnv = "EMBED_KEY"
	p.BreakerFailures = 1
	e, logs := newTestEmbedder(t, map[string]string{"EMBED_KEY": key}, p)
	var msgs []string
	for range 3 {
		_, err := e.EmbedOne(context.Background(), "m", "x")
		if err == nil {
			t.Fatal("no error")
		}
		msgs = append(msgs, err.Error())
	}
	if !strings.Contains(msgs[0], "Incorrect API key provided: [redacted]") {
		t.Fatalf("error %q", msgs[0])
	}
	f.mu.Lock()
	sent := f.auth[0]
	f.mu.Unlock()
	if sent != "Bearer "+key {
		t.Fatalf("upstream got Authorization %q", sent)
	}
	all := logs.String() + strings.Join(msgs, "\n")
	if strings.Contains(all, key) || strings.Contains(all, "SECRET") {
		t.Fatalf("key leaked:\n%s", all)
	}
	if !strings.Contains(logs.String(), "circuit breaker") {
		t.Fatalf("expected a breaker log line, got:\n%s", logs.String())
	}
}

func TestMissingKeyVariable(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	p := testProvider("m", 4, f)
	p.APIKeyEnv = "NOT_SET_ANYWHERE"
	_, err := New([]Provider{p}, Options{LookupEnv: func(string) (string, bool) { return "", false }})
	if err == nil || !strings.Contains(err.Error(), "NOT_SET_ANYWHERE") {
		t.Fatalf("got %v", err)
	}
}
