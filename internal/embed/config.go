package embed

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults applied by New to zero-valued Provider fields.
const (
	DefaultMaxBatch        = 64
	DefaultMaxConcurrency  = 4
	DefaultTimeout         = 30 * time.Second
	DefaultRetries         = 3
	DefaultBackoffBase     = 100 * time.Millisecond
	DefaultBackoffMax      = 5 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 5 * time.Second
	DefaultCacheEntries    = 10000
	DefaultMaxTextBytes    = 32 << 10
	DefaultLinger          = time.Millisecond
)

// Provider configures one embedding model that clients name in a Document's "model" field, served
// by one or more upstreams speaking the OpenAI-compatible POST {base}/v1/embeddings API (OpenAI,
// Ollama, TEI, vLLM, gateways). A zero numeric field takes the documented default; where zero is a
// meaningful setting (no retries, no cache), a negative value selects it.
type Provider struct {
	// Name is the model name clients use ({"text": ..., "model": Name}). Required, unique.
	Name string `yaml:"name"`
	// Upstreams serve the model; calls are balanced over them by Weight and fail over between
	// them. At least one.
	Upstreams []Upstream `yaml:"upstreams"`
	// Dimensions is the length of every vector the model returns; responses of another length are
	// rejected with ErrDimensions. Required.
	Dimensions int `yaml:"dimensions"`
	// SendDimensions adds "dimensions": Dimensions to requests, for models that can shorten their
	// output (OpenAI text-embedding-3-*). Leave false for servers that reject the field.
	SendDimensions bool `yaml:"send_dimensions"`
	// Encoding is the encoding_format requested: "base64" (default: little-endian float32, about
	// half the bytes of float text and a third of the parsing; what the official OpenAI clients
	// ask for, so OpenAI-compatible servers accept it) or "float". Servers that ignore the field
	// and answer with arrays of numbers are read as well, and an upstream whose first base64
	// answers fail while the same texts succeed in float is switched to "float" for good.
	Encoding string `yaml:"encoding"`
	// APIKeyEnv names the environment variable holding the bearer key sent to upstreams (empty:
	// no Authorization header, as for a local Ollama or TEI). The key itself is never logged and is
	// masked in upstream error messages.
	APIKeyEnv string `yaml:"api_key_env"`
	// MaxBatch is the most texts sent in one upstream request. Default 64.
	MaxBatch int `yaml:"max_batch"`
	// MaxConcurrency is the most upstream requests in flight for this provider, over all its
	// upstreams; each upstream's connection pool is sized to it. Default 4.
	MaxConcurrency int `yaml:"max_concurrency"`
	// MaxQueue is the most distinct texts waiting for a free request slot; an Embed call that would
	// exceed it fails at once with ErrQueueFull. Default 16 × MaxBatch × MaxConcurrency.
	MaxQueue int `yaml:"max_queue"`
	// Linger is how long a free request slot may wait for more texts when the provider is
	// saturated (recent batches at least half full, another request in flight) and fewer than
	// MaxBatch texts are waiting. It never applies to an idle or lightly loaded provider: there
	// a text leaves at once. Default 1ms; negative disables it (chosen with BenchmarkTextQueries,
	// see docs/decisions/004-embed-batching.md).
	Linger time.Duration `yaml:"linger"`
	// Timeout bounds one upstream request (connect to last byte of the body). Default 30s.
	Timeout time.Duration `yaml:"timeout"`
	// Retries is how many times a batch may be sent again to an upstream it already tried, after
	// 429s, 5xx, timeouts and network errors; moving on to an upstream not yet tried for the batch
	// is free, so a batch makes at most len(Upstreams) + Retries requests. Default 3; negative
	// for none.
	Retries int `yaml:"retries"`
	// BackoffBase and BackoffMax bound the exponential backoff (with jitter) between retries of
	// an upstream: base × 2^n, at most max. Defaults 100ms and 5s. A Retry-After header overrides
	// the backoff when longer.
	BackoffBase time.Duration `yaml:"backoff_base"`
	BackoffMax  time.Duration `yaml:"backoff_max"`
	// BreakerFailures consecutive failures of an upstream open its circuit breaker: it gets no
	// traffic for BreakerCooldown, then one probe request decides between closing and reopening.
	// Defaults 5 and 5s.
	BreakerFailures int           `yaml:"breaker_failures"`
	BreakerCooldown time.Duration `yaml:"breaker_cooldown"`
	// CacheEntries bounds the LRU cache of embeddings (one entry per distinct text). Default
	// 10000; negative disables the cache.
	CacheEntries int `yaml:"cache_entries"`
	// MaxTextBytes is the longest text accepted, in bytes of UTF-8. Default 32 KiB.
	MaxTextBytes int `yaml:"max_text_bytes"`
}

// Upstream is one server for a Provider.
type Upstream struct {
	// Name labels the upstream in metrics, logs and errors. Default: the host of BaseURL.
	Name string `yaml:"name"`
	// BaseURL is the server's root, e.g. "https://api.openai.com", "http://localhost:11434" or
	// "http://tei:8080"; requests go to BaseURL + "/v1/embeddings" (or + "/embeddings" when the
	// URL already ends in "/v1"). Required; http or https.
	BaseURL string `yaml:"base_url"`
	// Model is the model name sent upstream. Default: the provider's Name.
	Model string `yaml:"model"`
	// Weight is the upstream's share of requests relative to the others. Default 1.
	Weight int `yaml:"weight"`
	// APIKeyEnv overrides the provider's APIKeyEnv for this upstream.
	APIKeyEnv string `yaml:"api_key_env"`
}

// maxUpstreams bounds a provider's upstreams (a request tracks them in a 64-bit set).
const maxUpstreams = 64

// reservedModels are model names the REST layer answers itself (server-side BM25).
var reservedModels = []string{"qdrant/bm25"}

// Validate reports the first problem with p, naming the field. It accepts zero values that New
// replaces with defaults.
func (p *Provider) Validate() error {
	if strings.TrimSpace(p.Name) == "" {
		return errors.New("embedding provider: name is required")
	}
	for _, r := range reservedModels {
		if strings.EqualFold(p.Name, r) {
			return fmt.Errorf("embedding provider %q: the name is reserved for the built-in model", p.Name)
		}
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("embedding provider %q: %s", p.Name, fmt.Sprintf(format, args...))
	}
	if len(p.Upstreams) == 0 {
		return bad("at least one upstream is required")
	}
	if len(p.Upstreams) > maxUpstreams {
		return bad("%d upstreams is more than %d", len(p.Upstreams), maxUpstreams)
	}
	if p.Dimensions <= 0 {
		return bad("dimensions must be > 0 (the length of the model's vectors), got %d", p.Dimensions)
	}
	if p.Dimensions > 65536 {
		return bad("dimensions %d is more than 65536", p.Dimensions)
	}
	switch p.Encoding {
	case "", "float", "base64":
	default:
		return bad(`encoding must be "float" or "base64", got %q`, p.Encoding)
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"max_batch", p.MaxBatch}, {"max_concurrency", p.MaxConcurrency}, {"max_queue", p.MaxQueue},
		{"breaker_failures", p.BreakerFailures}, {"max_text_bytes", p.MaxTextBytes}} {
		if f.v < 0 {
			return bad("%s must be >= 0 (0 selects the default), got %d", f.name, f.v)
		}
	}
	if p.MaxBatch > 100000 || p.MaxConcurrency > 4096 {
		return bad("max_batch (at most 100000) or max_concurrency (at most 4096) is out of range")
	}
	for _, f := range []struct {
		name string
		v    time.Duration
	}{{"timeout", p.Timeout}, {"backoff_base", p.BackoffBase}, {"backoff_max", p.BackoffMax}, {"breaker_cooldown", p.BreakerCooldown}} {
		if f.v < 0 {
			return bad("%s must be >= 0 (0 selects the default), got %s", f.name, f.v)
		}
	}
	if p.BackoffBase > 0 && p.BackoffMax > 0 && p.BackoffMax < p.BackoffBase {
		return bad("backoff_max (%s) is less than backoff_base (%s)", p.BackoffMax, p.BackoffBase)
	}
	if err := validEnvName(p.APIKeyEnv); err != nil {
		return bad("api_key_env: %v", err)
	}
	names := map[string]bool{}
	for i, u := range p.Upstreams {
		if err := u.validate(); err != nil {
			return bad("upstream %d: %v", i, err)
		}
		n := u.label()
		if names[n] {
			return bad("upstream %d: name %q is used twice (set distinct names)", i, n)
		}
		names[n] = true
	}
	return nil
}

func (u *Upstream) validate() error {
	if u.BaseURL == "" {
		return errors.New("base_url is required")
	}
	pu, err := url.Parse(u.BaseURL)
	if err != nil {
		return fmt.Errorf("base_url is not a URL: %v", redactURLError(err))
	}
	if pu.Scheme != "http" && pu.Scheme != "https" || pu.Host == "" {
		return fmt.Errorf("base_url must be an http:// or https:// URL with a host, got %q", pu.Redacted())
	}
	if pu.RawQuery != "" || pu.Fragment != "" {
		return fmt.Errorf("base_url must not have a query or fragment: %q", pu.Redacted())
	}
	if u.Weight < 0 {
		return fmt.Errorf("weight must be >= 0 (0 selects 1), got %d", u.Weight)
	}
	if err := validEnvName(u.APIKeyEnv); err != nil {
		return fmt.Errorf("api_key_env: %v", err)
	}
	return nil
}

// endpoint returns the embeddings URL of u (validated).
func (u *Upstream) endpoint() string {
	base := strings.TrimRight(u.BaseURL, "/")
	if strings.HasSuffix(base, "/v1") {
		return base + "/embeddings"
	}
	return base + "/v1/embeddings"
}

// label is the upstream's name in metrics, logs and errors: Name, or the host of BaseURL (never
// its user information).
func (u *Upstream) label() string {
	if u.Name != "" {
		return u.Name
	}
	if pu, err := url.Parse(u.BaseURL); err == nil && pu.Host != "" {
		return pu.Host
	}
	return "upstream"
}

// redactURLError drops the URL text from a url.Parse error (it may hold a password).
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func validEnvName(s string) error {
	for i, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%q is not an environment variable name (give the variable's name, not the key)", s)
		}
	}
	return nil
}

// ValidateProviders validates every provider and checks that names are unique.
func ValidateProviders(ps []Provider) error {
	seen := map[string]bool{}
	for i := range ps {
		if err := ps[i].Validate(); err != nil {
			return err
		}
		if seen[ps[i].Name] {
			return fmt.Errorf("embedding provider %q is configured twice", ps[i].Name)
		}
		seen[ps[i].Name] = true
	}
	return nil
}

// withDefaults returns p with zero fields replaced by their defaults (p must be valid).
func (p Provider) withDefaults() Provider {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if p.Encoding == "" {
		p.Encoding = "base64"
	}
	def(&p.MaxBatch, DefaultMaxBatch)
	def(&p.MaxConcurrency, DefaultMaxConcurrency)
	def(&p.MaxQueue, 16*p.MaxBatch*p.MaxConcurrency)
	def(&p.Retries, DefaultRetries)
	if p.Retries < 0 {
		p.Retries = 0
	}
	def(&p.BreakerFailures, DefaultBreakerFailures)
	def(&p.CacheEntries, DefaultCacheEntries)
	if p.CacheEntries < 0 {
		p.CacheEntries = 0
	}
	def(&p.MaxTextBytes, DefaultMaxTextBytes)
	defD(&p.Timeout, DefaultTimeout)
	defD(&p.BackoffBase, DefaultBackoffBase)
	defD(&p.BackoffMax, max(DefaultBackoffMax, p.BackoffBase))
	defD(&p.BreakerCooldown, DefaultBreakerCooldown)
	defD(&p.Linger, DefaultLinger)
	if p.Linger < 0 {
		p.Linger = 0
	}
	ups := make([]Upstream, len(p.Upstreams))
	copy(ups, p.Upstreams)
	for i := range ups {
		if ups[i].Model == "" {
			ups[i].Model = p.Name
		}
		if ups[i].Weight == 0 {
			ups[i].Weight = 1
		}
		if ups[i].APIKeyEnv == "" {
			ups[i].APIKeyEnv = p.APIKeyEnv
		}
	}
	p.Upstreams = ups
	return p
}
