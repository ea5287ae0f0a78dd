package embed

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// waitFor polls cond until it holds (at most 5s): sequencing by state, not by sleeping, keeps the
// tests stable on a loaded machine.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// queueState returns the provider's requests in flight and queued texts.
func queueState(e *Embedder, model string) (running, queued int) {
	p := e.providers[model]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.running, p.queued
}

func checkVectors(t *testing.T, f *fakeUpstream, texts []string, got [][]float32) {
	t.Helper()
	if len(got) != len(texts) {
		t.Fatalf("got %d vectors for %d texts", len(got), len(texts))
	}
	for i, text := range texts {
		if !slices.Equal(got[i], f.want(text)) {
			t.Fatalf("vector %d (%q): got marker %v..., want %v...", i, text, got[i][:min(2, len(got[i]))], f.want(text)[:2])
		}
	}
}

func TestEmbedReturnsVectorsInOrder(t *testing.T) {
	t.Parallel()
	f := newFake(t, 16)
	p := testProvider("m", 16, f)
	p.APIKeyEnv = "TEST_KEY"
	e, _ := newTestEmbedder(t, map[string]string{"TEST_KEY": "sk-abc123"}, p)

	texts := []string{"alpha", "beta", "gamma", "beta"}
	got, err := e.Embed(context.Background(), "m", texts)
	if err != nil {
		t.Fatal(err)
	}
	checkVectors(t, f, texts, got)
	if b := f.batchSizes(); !slices.Equal(b, []int{3}) {
		t.Fatalf("upstream batches %v, want one of 3 distinct texts", b)
	}
	f.mu.Lock()
	auth, model := f.auth[0], f.models[0]
	f.mu.Unlock()
	if auth != "Bearer sk-abc123" || model != "upstream-model" {
		t.Fatalf("request had Authorization %q model %q", auth, model)
	}
	// Results are the caller's: changing them changes nothing cached or shared.
	got[1][0], got[3][1] = -1, -1
	again, err := e.Embed(context.Background(), "m", texts)
	if err != nil {
		t.Fatal(err)
	}
	checkVectors(t, f, texts, again)
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("%d upstream calls, want 1 (second call from cache)", n)
	}
	if d, ok := e.Dimensions("m"); !ok || d != 16 {
		t.Fatalf("Dimensions = %d, %v", d, ok)
	}
	if v, err := e.Embed(context.Background(), "m", nil); err != nil || len(v) != 0 {
		t.Fatalf("no texts: %v, %v", v, err)
	}
}

func TestEncodings(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{"", "base64", "float"} {
		f := newFake(t, 8)
		var asked []string
		f.setHook(func(_ int, in *fakeRequest) *fakeReply { asked = append(asked, in.EncodingFormat); return nil })
		p := testProvider("m", 8, f)
		p.Encoding = enc
		e, _ := newTestEmbedder(t, nil, p)
		texts := []string{"one", "two"}
		got, err := e.Embed(context.Background(), "m", texts)
		if err != nil {
			t.Fatal(err)
		}
		checkVectors(t, f, texts, got)
		want := map[string]string{"": "base64", "base64": "base64", "float": ""}[enc]
		if len(asked) != 1 || asked[0] != want {
			t.Errorf("encoding %q: requests asked for %q, want [%q]", enc, asked, want)
		}
	}
}

// The Embedder decodes a large response in parallel only on the free slots of Options.Slots.
func TestEmbedDecodesOnFreeSlots(t *testing.T) {
	t.Parallel()
	const dims = 768
	f := newFake(t, dims)
	slots := &countingSlots{}
	e, err := New([]Provider{testProvider("m", dims, f)}, Options{Slots: slots})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	texts := make([]string, 64)
	for i := range texts {
		texts[i] = "text " + strconv.Itoa(i)
	}
	got, err := e.Embed(context.Background(), "m", texts)
	if err != nil {
		t.Fatal(err)
	}
	checkVectors(t, f, texts, got)
	slots.mu.Lock()
	defer slots.mu.Unlock()
	if runtime.GOMAXPROCS(0) > 1 && slots.tries == 0 || slots.taken != 0 {
		t.Errorf("%d tries, %d slots taken; want some tries and none taken", slots.tries, slots.taken)
	}
}

// A server that ignores encoding_format answers base64 requests with arrays of numbers (Ollama
// does); one that refuses the field, in whatever words or status, gets float requests from then
// on without failing a batch; a refusal of the texts themselves does not change the encoding; and
// an upstream that has answered base64 once is never switched.
func TestBase64FallBacks(t *testing.T) {
	t.Parallel()
	t.Run("ignored", func(t *testing.T) {
		f := newFake(t, 8)
		f.setHook(func(_ int, in *fakeRequest) *fakeReply { in.EncodingFormat = ""; return nil })
		e, _ := newTestEmbedder(t, nil, testProvider("m", 8, f))
		texts := []string{"one", "two"}
		got, err := e.Embed(context.Background(), "m", texts)
		if err != nil {
			t.Fatal(err)
		}
		checkVectors(t, f, texts, got)
	})
	for _, refusal := range []fakeReply{
		{status: 422, body: `{"error":{"message":"unsupported value for encoding_format: base64"}}`},
		{status: 400, body: `{"detail":"unknown format"}`},
		{status: 500, body: `Internal Server Error`},
	} {
		t.Run(fmt.Sprintf("refused %d", refusal.status), func(t *testing.T) {
			f := newFake(t, 8)
			var mu sync.Mutex
			var asked []string
			f.setHook(func(_ int, in *fakeRequest) *fakeReply {
				mu.Lock()
				asked = append(asked, in.EncodingFormat)
				mu.Unlock()
				if in.EncodingFormat != "" {
					r := refusal
					return &r
				}
				return nil
			})
			e, logs := newTestEmbedder(t, nil, testProvider("m", 8, f))
			for _, texts := range [][]string{{"one", "two"}, {"three"}} {
				got, err := e.Embed(context.Background(), "m", texts)
				if err != nil {
					t.Fatal(err)
				}
				checkVectors(t, f, texts, got)
			}
			if want := []string{"base64", "", ""}; !slices.Equal(asked, want) {
				t.Errorf("requests asked for %q, want %q", asked, want)
			}
			if !strings.Contains(logs.String(), "asking for float from now on") {
				t.Errorf("no warning logged: %s", logs.String())
			}
		})
	}
	t.Run("bad text", func(t *testing.T) {
		f := newFake(t, 8)
		var asked []string
		f.setHook(func(_ int, in *fakeRequest) *fakeReply {
			asked = append(asked, in.EncodingFormat)
			if slices.Contains(in.Input, "bad") {
				return &fakeReply{status: 400, body: `{"error":{"message":"input too long"}}`}
			}
			return nil
		})
		e, _ := newTestEmbedder(t, nil, testProvider("m", 8, f))
		if _, err := e.Embed(context.Background(), "m", []string{"bad"}); !errors.Is(err, ErrBadInput) {
			t.Fatalf("got %v, want the upstream's refusal", err)
		}
		got, err := e.Embed(context.Background(), "m", []string{"good"})
		if err != nil {
			t.Fatal(err)
		}
		checkVectors(t, f, []string{"good"}, got)
		// The refused text is tried in float too (it might have been the encoding), but float
		// fails as well, so the next request is base64 again.
		if want := []string{"base64", "", "base64"}; !slices.Equal(asked, want) {
			t.Errorf("requests asked for %q, want %q", asked, want)
		}
	})
	t.Run("proven", func(t *testing.T) {
		f := newFake(t, 8)
		var asked []string
		f.setHook(func(n int, in *fakeRequest) *fakeReply {
			asked = append(asked, in.EncodingFormat)
			if n > 1 {
				return &fakeReply{status: 500}
			}
			return nil
		})
		e, _ := newTestEmbedder(t, nil, testProvider("m", 8, f))
		if _, err := e.Embed(context.Background(), "m", []string{"one"}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Embed(context.Background(), "m", []string{"two"}); err == nil {
			t.Fatal("a 500 answered")
		}
		for _, a := range asked {
			if a != "base64" {
				t.Errorf("requests asked for %q: a proven upstream was asked for float", asked)
				break
			}
		}
	})
}

func TestBadInputAndUnknownModel(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	p := testProvider("m", 4, f)
	p.MaxTextBytes = 10
	p.MaxQueue = 8
	e, _ := newTestEmbedder(t, nil, p)
	ctx := context.Background()
	cases := []struct {
		model string
		texts []string
		kind  error
		code  int
		msg   string
	}{
		{"nope", []string{"x"}, ErrUnknownModel, 400, `unknown embedding model "nope" (configured: m)`},
		{"m", []string{"ok", ""}, ErrBadInput, 400, "text 1 is empty"},
		{"m", []string{"ok", "12345678901"}, ErrBadInput, 400, "text 1 is 11 bytes, over the limit of 10"},
		{"m", []string{"\xff"}, ErrBadInput, 400, "not valid UTF-8"},
		{"m", strings.Split("a b c d e f g h i", " "), ErrBadInput, 400, "too many texts"},
	}
	for _, c := range cases {
		v, err := e.Embed(ctx, c.model, c.texts)
		if !errors.Is(err, c.kind) || HTTPStatus(err) != c.code || !strings.Contains(err.Error(), c.msg) || v != nil {
			t.Errorf("%q %q: got %v (status %d), want %v containing %q", c.model, c.texts, err, HTTPStatus(err), c.kind, c.msg)
		}
	}
	if n := f.calls.Load(); n != 0 {
		t.Fatalf("%d upstream calls for invalid input", n)
	}
	var nilEmbedder *Embedder
	if _, err := nilEmbedder.Embed(ctx, "m", []string{"x"}); !errors.Is(err, ErrUnknownModel) {
		t.Fatalf("nil Embedder: %v", err)
	}
}

// Many concurrent single-text calls become a few upstream batches: a lone call goes out at once,
// and texts arriving while every slot is busy share the next request.
func TestCoalescing(t *testing.T) {
	t.Parallel()
	f := newFake(t, 8)
	f.latency = 30 * time.Millisecond
	f.maxBatch = 64
	p := testProvider("m", 8, f)
	p.MaxConcurrency = 2
	e, _ := newTestEmbedder(t, nil, p)

	const callers = 200
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprintf("query %d", i)
			v, err := e.EmbedOne(context.Background(), "m", text)
			if err == nil && !slices.Equal(v, f.want(text)) {
				err = fmt.Errorf("wrong vector for %q", text)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	sizes := f.batchSizes()
	total := 0
	for _, s := range sizes {
		total += s
		if s > 64 {
			t.Fatalf("batch of %d > max_batch", s)
		}
	}
	if total != callers || len(sizes) > 10 {
		t.Fatalf("%d texts in %d upstream calls %v; want %d texts in at most 10", total, len(sizes), sizes, callers)
	}

	// A lone call is not held back: it goes out alone, at once (BenchmarkTextQueries measures
	// the added latency; this machine is too shared for a tight bound here).
	start := time.Now()
	if _, err := e.EmbedOne(context.Background(), "m", "lonely"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > f.latency+time.Second {
		t.Fatalf("a lone call took %v with an upstream latency of %v", d, f.latency)
	}
	if b := f.batchSizes(); b[len(b)-1] != 1 {
		t.Fatalf("lone call sent in a batch of %d", b[len(b)-1])
	}
}

func TestMaxBatchSplitsLargeCalls(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.maxBatch = 64
	p := testProvider("m", 4, f)
	p.MaxConcurrency = 1
	e, _ := newTestEmbedder(t, nil, p)
	texts := make([]string, 150)
	for i := range texts {
		texts[i] = fmt.Sprint("t", i)
	}
	got, err := e.Embed(context.Background(), "m", texts)
	if err != nil {
		t.Fatal(err)
	}
	checkVectors(t, f, texts, got)
	if b := f.batchSizes(); !slices.Equal(b, []int{64, 64, 22}) {
		t.Fatalf("batches %v", b)
	}
}

func TestCacheHitsAndDeduplication(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 50 * time.Millisecond
	p := testProvider("m", 4, f)
	e, _ := newTestEmbedder(t, nil, p)

	// 20 concurrent callers of one text: one upstream call of one text.
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := e.EmbedOne(context.Background(), "m", "same"); err != nil || !slices.Equal(v, f.want("same")) {
				t.Error("dedup:", err)
			}
		}()
	}
	wg.Wait()
	if c, n := f.calls.Load(), f.servedCount("same"); c != 1 || n != 1 {
		t.Fatalf("%d upstream calls embedding the text %d times, want 1 and 1", c, n)
	}
	// Later calls hit the cache.
	for range 3 {
		if _, err := e.EmbedOne(context.Background(), "m", "same"); err != nil {
			t.Fatal(err)
		}
	}
	if c := f.calls.Load(); c != 1 {
		t.Fatalf("%d upstream calls after cache hits", c)
	}
	m := e.metrics
	if h := testutil.ToFloat64(m.hits.WithLabelValues("m")); h != 3 {
		t.Fatalf("cache hits %v, want 3", h)
	}
	if d := testutil.ToFloat64(m.dedup.WithLabelValues("m")); d != 19 {
		t.Fatalf("deduplicated %v, want 19", d)
	}
}

func TestCacheIsBounded(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	p := testProvider("m", 4, f)
	p.CacheEntries = 2
	e, _ := newTestEmbedder(t, nil, p)
	for _, text := range []string{"a", "b", "c", "a"} {
		if _, err := e.EmbedOne(context.Background(), "m", text); err != nil {
			t.Fatal(err)
		}
	}
	if n := f.servedCount("a"); n != 2 {
		t.Fatalf(`"a" embedded %d times; want 2 (evicted by "c")`, n)
	}
	p.CacheEntries = -1
	f2 := newFake(t, 4)
	p.Upstreams[0].BaseURL = f2.srv.URL
	e2, _ := newTestEmbedder(t, nil, p)
	for range 2 {
		if _, err := e2.EmbedOne(context.Background(), "m", "a"); err != nil {
			t.Fatal(err)
		}
	}
	if n := f2.servedCount("a"); n != 2 {
		t.Fatalf("cache disabled: embedded %d times, want 2", n)
	}
}

// A call whose texts span several batches gets nothing if any batch fails.
func TestAllOrNothing(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.setHook(func(_ int, in *fakeRequest) *fakeReply {
		if slices.Contains(in.Input, "doomed") {
			return &fakeReply{status: 500}
		}
		return nil
	})
	p := testProvider("m", 4, f)
	p.MaxBatch = 2
	p.Retries = -1
	e, _ := newTestEmbedder(t, nil, p)
	got, err := e.Embed(context.Background(), "m", []string{"a", "b", "c", "doomed", "e"})
	if !errors.Is(err, ErrUnavailable) || got != nil || HTTPStatus(err) != 503 {
		t.Fatalf("got %v, %v", got, err)
	}
}

// One caller's text that the upstream refuses fails that caller only, not the callers it was
// batched with.
func TestRefusedInputIsIsolated(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 20 * time.Millisecond
	f.setHook(func(_ int, in *fakeRequest) *fakeReply {
		if slices.Contains(in.Input, "poison") {
			return &fakeReply{status: 413, body: `{"error":"Input validation error: inputs must have less than 512 tokens"}`}
		}
		return nil
	})
	p := testProvider("m", 4, f)
	p.MaxConcurrency = 1
	e, _ := newTestEmbedder(t, nil, p)

	// Occupy the only slot so the next callers are batched together.
	go e.EmbedOne(context.Background(), "m", "first")
	waitFor(t, "first request", func() bool { r, _ := queueState(e, "m"); return r == 1 })
	var wg sync.WaitGroup
	results := make([]error, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			text := fmt.Sprint("fine ", i)
			if i == 3 {
				text = "poison"
			}
			_, results[i] = e.EmbedOne(context.Background(), "m", text)
		}()
	}
	wg.Wait()
	for i, err := range results {
		if i == 3 {
			if !errors.Is(err, ErrBadInput) || HTTPStatus(err) != 400 || !strings.Contains(err.Error(), "less than 512 tokens") {
				t.Fatalf("poison: %v", err)
			}
		} else if err != nil {
			t.Fatalf("caller %d failed with the poisoned batch: %v", i, err)
		}
	}
}

func TestQueueFull(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 300 * time.Millisecond
	p := testProvider("m", 4, f)
	p.MaxConcurrency, p.MaxQueue = 1, 3
	e, _ := newTestEmbedder(t, nil, p)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go e.EmbedOne(ctx, "m", "busy")
	waitFor(t, "busy in flight", func() bool { r, _ := queueState(e, "m"); return r == 1 })
	go e.Embed(ctx, "m", []string{"q1", "q2", "q3"})
	waitFor(t, "a full queue", func() bool { _, q := queueState(e, "m"); return q == 3 })
	_, err := e.EmbedOne(ctx, "m", "one more")
	if !errors.Is(err, ErrQueueFull) || !errors.Is(err, ErrUnavailable) || HTTPStatus(err) != 503 || RetryAfter(err) <= 0 {
		t.Fatalf("got %v (status %d)", err, HTTPStatus(err))
	}
	// A text already queued is not new work: it joins.
	done := make(chan error, 1)
	go func() { _, err := e.EmbedOne(ctx, "m", "q2"); done <- err }()
	if err := <-done; err != nil {
		t.Fatalf("joining a queued text: %v", err)
	}
}

// A caller that gives up returns at once; its queued text is never sent.
func TestCallerContextEndsWait(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 400 * time.Millisecond
	p := testProvider("m", 4, f)
	p.MaxConcurrency = 1
	e, _ := newTestEmbedder(t, nil, p)
	go e.EmbedOne(context.Background(), "m", "slot holder")
	waitFor(t, "slot holder in flight", func() bool { r, _ := queueState(e, "m"); return r == 1 })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.EmbedOne(ctx, "m", "impatient")
	if !errors.Is(err, context.DeadlineExceeded) || HTTPStatus(err) != 503 {
		t.Fatalf("got %v", err)
	}
	if d := time.Since(start); d > 300*time.Millisecond {
		t.Fatalf("gave up after %v; the text would have been ready after 800ms", d)
	}
	if _, q := queueState(e, "m"); q != 0 {
		t.Fatalf("%d texts still queued after their caller left", q)
	}
	waitFor(t, "slot holder done", func() bool { r, _ := queueState(e, "m"); return r == 0 })
	if n := f.servedCount("impatient"); n != 0 {
		t.Fatalf("abandoned text was embedded %d times", n)
	}
	if v, err := e.EmbedOne(context.Background(), "m", "impatient"); err != nil || !slices.Equal(v, f.want("impatient")) {
		t.Fatalf("after abandonment: %v", err)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 200 * time.Millisecond
	p := testProvider("m", 4, f)
	p.MaxConcurrency = 1
	e, _ := newTestEmbedder(t, nil, p)
	errs := make(chan error, 2)
	go func() { _, err := e.EmbedOne(context.Background(), "m", "in flight"); errs <- err }()
	waitFor(t, "a request in flight", func() bool { r, _ := queueState(e, "m"); return r == 1 })
	go func() { _, err := e.EmbedOne(context.Background(), "m", "queued"); errs <- err }()
	waitFor(t, "a queued text", func() bool { _, q := queueState(e, "m"); return q == 1 })
	e.Close()
	for range 2 {
		if err := <-errs; !errors.Is(err, ErrUnavailable) {
			t.Fatalf("after Close: %v", err)
		}
	}
	if _, err := e.EmbedOne(context.Background(), "m", "late"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Embed after Close: %v", err)
	}
}

func TestCollectors(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	e, _ := newTestEmbedder(t, nil, testProvider("m", 4, f))
	if _, err := e.EmbedOne(context.Background(), "m", "x"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(e.Collectors()...)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range mfs {
		names = append(names, mf.GetName())
	}
	for _, want := range []string{
		"needle_embed_upstream_request_duration_seconds", "needle_embed_upstream_batch_texts",
		"needle_embed_upstream_errors_total", "needle_embed_cache_hits_total", "needle_embed_cache_misses_total",
		"needle_embed_upstream_breaker_state", "needle_embed_queue_texts", "needle_embed_requests_in_flight",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("metric %s missing from %v", want, names)
		}
	}
	if n := testutil.CollectAndCount(e.metrics.latency); n != 1 {
		t.Errorf("%d latency series", n)
	}
}

// A free slot is held for Linger only while the provider is saturated (batches at least half
// full and a request in flight); otherwise, and once MaxBatch texts wait, texts leave at once.
func TestLingerOnlyWhenSaturated(t *testing.T) {
	t.Parallel()
	f := newFake(t, 4)
	f.latency = 2 * time.Second // the slot holder stays in flight for the whole test
	p := testProvider("m", 4, f)
	p.MaxBatch, p.MaxConcurrency, p.Linger = 4, 2, 300*time.Millisecond
	e, _ := newTestEmbedder(t, nil, p)
	pr := e.providers["m"]
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	// Idle provider, even with a history of full batches: the text leaves at once.
	pr.mu.Lock()
	pr.fill = 1
	pr.mu.Unlock()
	go e.EmbedOne(ctx, "m", "first")
	waitFor(t, "first sent", func() bool { return f.calls.Load() == 1 })

	// Saturated (a request in flight, full batches lately): a lone text waits for company...
	pr.mu.Lock()
	pr.fill = 1
	pr.mu.Unlock()
	go e.EmbedOne(ctx, "m", "second")
	waitFor(t, "second queued", func() bool { _, q := queueState(e, "m"); return q == 1 })
	time.Sleep(50 * time.Millisecond)
	if n := f.calls.Load(); n != 1 {
		t.Fatalf("a lingering slot sent after 50ms of a 300ms linger (%d calls)", n)
	}
	// ...until MaxBatch texts are waiting, which go at once.
	go e.Embed(ctx, "m", []string{"a", "b", "c"})
	waitFor(t, "a full batch sent", func() bool { return f.calls.Load() == 2 })
	if b := f.batchSizes(); b[1] != 4 {
		t.Fatalf("batch of %d, want 4", b[1])
	}

	// With Linger disabled, a saturated provider sends at once too.
	p.Linger = -1
	f2 := newFake(t, 4)
	f2.latency = 2 * time.Second
	p.Upstreams[0].BaseURL = f2.srv.URL
	e2, _ := newTestEmbedder(t, nil, p)
	go e2.EmbedOne(ctx, "m", "first")
	waitFor(t, "first sent", func() bool { return f2.calls.Load() == 1 })
	e2.providers["m"].mu.Lock()
	e2.providers["m"].fill = 1
	e2.providers["m"].mu.Unlock()
	go e2.EmbedOne(ctx, "m", "second")
	waitFor(t, "second sent at once", func() bool { return f2.calls.Load() == 2 })
}
