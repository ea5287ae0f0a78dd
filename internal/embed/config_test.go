package embed

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestProviderFromYAML(t *testing.T) {
	t.Parallel()
	src := `
- name: bge-small
  dimensions: 384
  api_key_env: EMBED_KEY
  max_batch: 32
  timeout: 5s
  retries: -1
  upstreams:
    - base_url: http://tei-a:8080
      weight: 3
    - name: backup
      base_url: https://gateway.example/v1
      model: BAAI/bge-small-en-v1.5
`
	var ps []Provider
	dec := yaml.NewDecoder(strings.NewReader(src))
	dec.KnownFields(true)
	if err := dec.Decode(&ps); err != nil {
		t.Fatal(err)
	}
	if err := ValidateProviders(ps); err != nil {
		t.Fatal(err)
	}
	p := ps[0].withDefaults()
	if p.MaxBatch != 32 || p.MaxConcurrency != DefaultMaxConcurrency || p.Timeout != 5*time.Second || p.Retries != 0 ||
		p.MaxQueue != 16*32*DefaultMaxConcurrency || p.Encoding != "base64" || p.CacheEntries != DefaultCacheEntries {
		t.Fatalf("defaults: %+v", p)
	}
	a, b := p.Upstreams[0], p.Upstreams[1]
	if a.Model != "bge-small" || a.Weight != 3 || a.APIKeyEnv != "EMBED_KEY" || a.label() != "tei-a:8080" || a.endpoint() != "http://tei-a:8080/v1/embeddings" {
		t.Fatalf("upstream a: %+v %s %s", a, a.label(), a.endpoint())
	}
	if b.Model != "BAAI/bge-small-en-v1.5" || b.Weight != 1 || b.label() != "backup" || b.endpoint() != "https://gateway.example/v1/embeddings" {
		t.Fatalf("upstream b: %+v %s", b, b.endpoint())
	}
}

func TestValidateErrors(t *testing.T) {
	t.Parallel()
	ok := func() Provider {
		return Provider{Name: "m", Dimensions: 8, Upstreams: []Upstream{{BaseURL: "http://a:1"}}}
	}
	cases := []struct {
		edit func(*Provider)
		msg  string
	}{
		{func(p *Provider) { p.Name = " " }, "name is required"},
		{func(p *Provider) { p.Name = "qdrant/bm25" }, "reserved"},
		{func(p *Provider) { p.Upstreams = nil }, "at least one upstream"},
		{func(p *Provider) { p.Dimensions = 0 }, "dimensions must be > 0"},
		{func(p *Provider) { p.Encoding = "int8" }, `encoding must be "float" or "base64"`},
		{func(p *Provider) { p.MaxBatch = -1 }, "max_batch must be >= 0"},
		{func(p *Provider) { p.Timeout = -time.Second }, "timeout must be >= 0"},
		{func(p *Provider) { p.BackoffBase, p.BackoffMax = time.Second, time.Millisecond }, "backoff_max"},
		{func(p *Provider) { p.APIKeyEnv = "sk-123" }, "not an environment variable name"},
		{func(p *Provider) { p.Upstreams[0].BaseURL = "" }, "upstream 0: base_url is required"},
		{func(p *Provider) { p.Upstreams[0].BaseURL = "ftp://x" }, "http:// or https://"},
		{func(p *Provider) { p.Upstreams[0].BaseURL = "http://user:hunter2@:x" }, "base_url"},
		{func(p *Provider) { p.Upstreams[0].BaseURL = "http://a/?key=1" }, "query"},
		{func(p *Provider) { p.Upstreams[0].Weight = -2 }, "weight"},
		{func(p *Provider) { p.Upstreams = append(p.Upstreams, Upstream{BaseURL: "http://a:1/"}) }, "used twice"},
	}
	for _, c := range cases {
		p := ok()
		c.edit(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("got %v, want %q", err, c.msg)
		}
		if err != nil && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("password in error: %v", err)
		}
	}
	if err := ValidateProviders([]Provider{ok(), ok()}); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate names: %v", err)
	}
	p := ok()
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, c := range []struct {
		h    http.Header
		want time.Duration
	}{
		{http.Header{}, 0},
		{http.Header{"Retry-After": {"3"}}, 3 * time.Second},
		{http.Header{"Retry-After": {"0.5"}}, 500 * time.Millisecond},
		{http.Header{"Retry-After": {"-1"}}, 0},
		{http.Header{"Retry-After": {now.Add(7 * time.Second).Format(http.TimeFormat)}}, 7 * time.Second},
		{http.Header{"Retry-After": {now.Add(-7 * time.Second).Format(http.TimeFormat)}}, 0},
		{http.Header{"Retry-After": {"soon"}}, 0},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"1"}}, 250 * time.Millisecond},
	} {
		if got := parseRetryAfter(c.h, now); got != c.want {
			t.Errorf("%v: got %v, want %v", c.h, got, c.want)
		}
	}
}

func TestHTTPStatus(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]int{
		nil: 200, ErrUnknownModel: 400, ErrBadInput: 400, ErrUnavailable: 503, ErrQueueFull: 503,
		ErrBreakerOpen: 503, ErrClosed: 503, ErrBadResponse: 502, ErrDimensions: 502,
		newError(ErrDimensions, "m", "x"): 502, http.ErrHandlerTimeout: 500,
	} {
		if got := HTTPStatus(err); got != want {
			t.Errorf("%v: %d, want %d", err, got, want)
		}
	}
}

func TestLRU(t *testing.T) {
	t.Parallel()
	c := newLRU(2)
	c.put("a", []float32{1})
	c.put("b", []float32{2})
	c.get("a") // b is now the oldest
	c.put("c", []float32{3})
	if _, ok := c.get("b"); ok {
		t.Fatal("b should be evicted")
	}
	if v, ok := c.get("a"); !ok || v[0] != 1 {
		t.Fatal("a lost")
	}
	c.put("a", []float32{9})
	if v, _ := c.get("a"); v[0] != 9 || c.len() != 2 {
		t.Fatal("update")
	}
	off := newLRU(0)
	off.put("a", []float32{1})
	if off.len() != 0 {
		t.Fatal("disabled cache stored")
	}
}

func TestBreakerUnit(t *testing.T) {
	t.Parallel()
	now := time.Unix(0, 0)
	var changes []string
	b := newBreaker(2, time.Second, func() time.Time { return now }, func(f, to BreakerState) { changes = append(changes, to.String()) })
	fail := func() {
		if !b.allow() {
			t.Fatal("not allowed")
		}
		b.record(outcomeFailure)
	}
	fail()
	if b.current() != BreakerClosed {
		t.Fatal("opened after one failure")
	}
	fail()
	if b.allow() || b.current() != BreakerOpen {
		t.Fatal("not open")
	}
	if ok, wait := b.available(); ok || wait != time.Second {
		t.Fatalf("available %v %v", ok, wait)
	}
	now = now.Add(time.Second)
	if !b.allow() {
		t.Fatal("probe refused")
	}
	if b.allow() {
		t.Fatal("second probe allowed")
	}
	b.record(outcomeNeutral) // the probe's caller gave up: another probe may go
	if !b.allow() {
		t.Fatal("probe after a neutral outcome refused")
	}
	b.record(outcomeSuccess)
	if b.current() != BreakerClosed {
		t.Fatal("not closed after a good probe")
	}
	if got := strings.Join(changes, ","); got != "open,half-open,closed" {
		t.Fatalf("transitions %s", got)
	}
}
