package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// upstream is one server of a provider: its pooled HTTP client, breaker and metrics.
type upstream struct {
	name    string
	model   string
	url     string
	key     string // bearer key; never logged, masked in messages
	weight  int
	client  *http.Client
	breaker *breaker
	bodyMax int   // response body limit per text
	slots   Slots // lend the parallel decoding of large responses its helpers (nil: no bound)
	// encoding is what the upstream is asked for: encFloat, encBase64Unproven (not yet answered
	// a base64 request) or encBase64.
	encoding atomic.Int32
	log      *slog.Logger

	// notBefore is when an upstream that answered with Retry-After may be used again (UnixNano;
	// 0 = now). Shared by every batch of the provider.
	notBefore atomic.Int64
	// current is the smooth weighted round-robin counter, guarded by provider.balMu.
	current int

	latency prometheus.Observer
	batch   prometheus.Observer
	errs    *prometheus.CounterVec // curried with provider and upstream; label kind
}

// newTransport returns the connection pool of one upstream: up to conc connections kept alive
// (conc requests are the most the provider sends at once), so steady traffic never dials.
func newTransport(conc int, timeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          conc,
		MaxIdleConnsPerHost:   conc,
		MaxConnsPerHost:       conc,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ExpectContinueTimeout: time.Second,
	}
}

// attemptKind classifies the outcome of one upstream request.
type attemptKind int

const (
	attemptOK          attemptKind = iota
	attemptInput                   // 400, 413, 422: the texts were refused; no retry
	attemptRateLimited             // 429: retry, honouring Retry-After
	attemptServer                  // 5xx, 408: retry
	attemptNetwork                 // connection or read failure: retry
	attemptTimeout                 // the request's own Timeout passed: retry
	attemptCanceled                // the batch's context ended: stop
	attemptRefused                 // 401, 403, 404 and other 4xx: this upstream is misconfigured
	attemptBadResponse             // 2xx with an invalid body
	attemptDimensions              // 2xx with vectors of the wrong length
)

// metricKind is the "kind" label of the errors counter.
var metricKind = [...]string{
	attemptInput:       "input_rejected",
	attemptRateLimited: "rate_limited",
	attemptServer:      "server_error",
	attemptNetwork:     "network",
	attemptTimeout:     "timeout",
	attemptCanceled:    "canceled",
	attemptRefused:     "refused",
	attemptBadResponse: "bad_response",
	attemptDimensions:  "dimensions",
}

// attempt is the outcome of one request.
type attempt struct {
	kind       attemptKind
	status     int
	retryAfter time.Duration
	msg        string // safe to show: key masked
	cause      error
	vecs       [][]float32
}

// breakerOutcome maps an attempt to what the breaker counts: the upstream failing (5xx, network,
// timeout, refused, invalid answers) opens it; a rate limit or refused input shows it alive.
func (a *attempt) breakerOutcome() breakerOutcome {
	switch a.kind {
	case attemptOK, attemptInput, attemptRateLimited:
		return outcomeSuccess
	case attemptCanceled:
		return outcomeNeutral
	}
	return outcomeFailure
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer keeps exceptionally large response buffers out of the pool.
const maxPooledBuffer = 16 << 20

// embeddingsRequest is the OpenAI-compatible request body.
type embeddingsRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions,omitempty"`
	EncodingFormat string   `json:"encoding_format,omitempty"`
}

// Encodings an upstream is asked for (upstream.encoding).
const (
	encFloat          = iota // encoding_format omitted: arrays of numbers
	encBase64Unproven        // base64, until the upstream has answered a base64 request
	encBase64                // base64, answered at least once
)

// send makes one request for texts with the request's own timeout. Until an upstream has
// answered a base64 request, a base64 request that fails in a way a server refusing the field
// could cause (4xx other than 429, a 500, an unreadable 2xx) is sent again at once in float; if
// that one succeeds, the upstream is asked for float from then on. Rate limits, timeouts,
// network errors and 502–504 are not the encoding's fault and go to the caller as they are.
func (u *upstream) send(ctx context.Context, timeout time.Duration, dims int, sendDims bool, texts []string) *attempt {
	enc := u.encoding.Load()
	a := u.sendAs(ctx, timeout, dims, sendDims, enc != encFloat, texts)
	if enc != encBase64Unproven {
		return a
	}
	if a.kind == attemptOK {
		u.encoding.CompareAndSwap(encBase64Unproven, encBase64)
		return a
	}
	if !mayBeEncodingRefusal(a) {
		return a
	}
	f := u.sendAs(ctx, timeout, dims, sendDims, false, texts)
	if f.kind != attemptOK {
		return a // float fails as well: the base64 answer stands
	}
	if u.encoding.CompareAndSwap(encBase64Unproven, encFloat) {
		u.log.Warn("embedding upstream failed a base64 request and answered the same texts in float; asking for float from now on",
			"upstream", u.name, "base64_answer", a.msg)
	}
	return f
}

// mayBeEncodingRefusal reports whether a failed base64 attempt could be the server refusing
// encoding_format.
func mayBeEncodingRefusal(a *attempt) bool {
	switch a.kind {
	case attemptInput, attemptRefused, attemptBadResponse, attemptDimensions:
		return true
	case attemptServer:
		return a.status == http.StatusInternalServerError
	}
	return false
}

func (u *upstream) sendAs(ctx context.Context, timeout time.Duration, dims int, sendDims, b64 bool, texts []string) *attempt {
	req := embeddingsRequest{Model: u.model, Input: texts}
	if sendDims {
		req.Dimensions = dims
	}
	if b64 {
		req.EncodingFormat = "base64"
	}
	body, err := json.Marshal(&req)
	if err != nil {
		panic("BUG: encoding an embeddings request: " + err.Error())
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, u.url, bytes.NewReader(body))
	if err != nil {
		return &attempt{kind: attemptRefused, msg: "cannot build request: " + err.Error()}
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	if u.key != "" {
		hreq.Header.Set("Authorization", "Bearer "+u.key)
	}
	start := time.Now()
	a := u.roundTrip(ctx, actx, hreq, dims, len(texts))
	u.latency.Observe(time.Since(start).Seconds())
	u.batch.Observe(float64(len(texts)))
	if a.kind != attemptOK {
		u.errs.WithLabelValues(metricKind[a.kind]).Inc()
	}
	return a
}

func (u *upstream) roundTrip(ctx, actx context.Context, hreq *http.Request, dims, n int) *attempt {
	resp, err := u.client.Do(hreq)
	if err != nil {
		return u.transportError(ctx, actx, err)
	}
	defer resp.Body.Close()
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	limit := int64(u.bodyMax)*int64(n) + 64<<10
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		limit = 64 << 10
	}
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return u.transportError(ctx, actx, err)
	}
	if int64(buf.Len()) > limit {
		if resp.StatusCode/100 == 2 {
			return &attempt{kind: attemptBadResponse, status: resp.StatusCode, msg: fmt.Sprintf("response is larger than %d bytes", limit)}
		}
		buf.Truncate(int(limit))
	}
	if resp.StatusCode/100 == 2 {
		vecs, err := parseResponse(buf.Bytes(), n, dims, u.slots)
		if err != nil {
			kind := attemptBadResponse
			var re *responseError
			if errors.As(err, &re) && re.dims {
				kind = attemptDimensions
			}
			return &attempt{kind: kind, status: resp.StatusCode, msg: u.mask(err.Error())}
		}
		return &attempt{kind: attemptOK, status: resp.StatusCode, vecs: vecs}
	}
	a := &attempt{status: resp.StatusCode, msg: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, u.mask(shorten(upstreamMessage(bytes.TrimSpace(buf.Bytes())), 300)))}
	switch s := resp.StatusCode; {
	case s == http.StatusTooManyRequests:
		a.kind = attemptRateLimited
	case s == http.StatusRequestTimeout || s >= 500:
		a.kind = attemptServer
	case s == http.StatusBadRequest || s == http.StatusRequestEntityTooLarge || s == http.StatusUnprocessableEntity:
		a.kind = attemptInput
	default:
		a.kind = attemptRefused
	}
	a.retryAfter = parseRetryAfter(resp.Header, time.Now())
	return a
}

func (u *upstream) transportError(ctx, actx context.Context, err error) *attempt {
	switch {
	case ctx.Err() != nil:
		return &attempt{kind: attemptCanceled, msg: ctx.Err().Error(), cause: ctx.Err()}
	case actx.Err() != nil:
		return &attempt{kind: attemptTimeout, msg: "request timed out", cause: actx.Err()}
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return &attempt{kind: attemptTimeout, msg: u.mask("request timed out: " + err.Error()), cause: err}
	}
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) && ue.Unwrap() != nil {
		err = ue.Unwrap() // drop "Post <url>:", already in the upstream's name
	}
	return &attempt{kind: attemptNetwork, msg: u.mask(err.Error()), cause: err}
}

// mask removes the upstream's key from a message (some servers echo the key they rejected).
func (u *upstream) mask(s string) string {
	if u.key != "" && len(u.key) >= 4 {
		s = strings.ReplaceAll(s, u.key, "[redacted]")
	}
	return s
}

// parseRetryAfter reads retry-after-ms (sent by OpenAI) or Retry-After (delay seconds or an
// HTTP date), returning 0 when absent or unreadable.
func parseRetryAfter(h http.Header, now time.Time) time.Duration {
	if v := h.Get("Retry-After-Ms"); v != "" {
		if ms, err := strconv.ParseFloat(v, 64); err == nil && ms > 0 && ms < 1e9 {
			return time.Duration(ms * float64(time.Millisecond))
		}
	}
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil {
		if s > 0 && s < 1e6 {
			return time.Duration(s * float64(time.Second))
		}
		return 0
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && s[i]&0xC0 == 0x80 { // do not cut a UTF-8 sequence
		i--
	}
	return s[:i] + "..."
}
