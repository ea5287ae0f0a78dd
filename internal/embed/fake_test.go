package embed

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeUpstream is the one test double of this package: an OpenAI-compatible POST /v1/embeddings
// server built with httptest, because no embedding model can run where the tests run. Its vector
// for a text is marker(text) followed by a fixed tail, so tests can tell whose vector came back
// and the benchmark spends almost nothing building responses. Behaviour is injected per request
// with a hook: latency, status codes, Retry-After, wrong dimensions, NaN, hangs.
type fakeUpstream struct {
	srv      *httptest.Server
	dims     int
	maxBatch int           // larger requests get 413 (0: no limit)
	latency  time.Duration // added to every request
	slots    chan struct{} // if set, requests beyond its capacity wait (a server's concurrency)

	tail    []byte // ",t1,t2,..." for dims-1 values
	tailVec []float32

	hook atomic.Pointer[func(n int, in *fakeRequest) *fakeReply]

	calls atomic.Int64
	texts atomic.Int64

	mu      sync.Mutex
	batches []int
	auth    []string
	models  []string
	dimsArg []int
	served  map[string]int // text -> times embedded
}

type fakeRequest struct {
	Model          string   `json:"model"`
	Input          []string `json:"input"`
	Dimensions     int      `json:"dimensions"`
	EncodingFormat string   `json:"encoding_format"`
}

// fakeReply overrides the default answer to one request.
type fakeReply struct {
	status int               // non-2xx: answer with body (or a default error body)
	header map[string]string // extra response headers
	body   string
	delay  time.Duration // instead of the fake's latency
	dims   int           // return vectors of this length
	nan    bool          // put a NaN in the first vector
	count  int           // return this many embeddings (0: one per text)
}

func newFake(t testing.TB, dims int) *fakeUpstream {
	f := &fakeUpstream{dims: dims, served: map[string]int{}}
	f.tail, f.tailVec = fakeTail(dims)
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func fakeTail(dims int) ([]byte, []float32) {
	var b []byte
	vec := make([]float32, dims)
	for i := 1; i < dims; i++ {
		vec[i] = float32(i%97) / 128
		b = append(b, ',')
		b = strconv.AppendFloat(b, float64(vec[i]), 'g', -1, 32)
	}
	return b, vec
}

// marker is the first component of the fake's vector for text: exact in float32.
func marker(text string) float32 {
	h := fnv.New32a()
	h.Write([]byte(text))
	return float32(h.Sum32() & 0xffffff)
}

// want is the vector the fake returns for text.
func (f *fakeUpstream) want(text string) []float32 {
	v := append([]float32(nil), f.tailVec...)
	v[0] = marker(text)
	return v
}

func (f *fakeUpstream) setHook(h func(n int, in *fakeRequest) *fakeReply) { f.hook.Store(&h) }

func (f *fakeUpstream) batchSizes() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...)
}

func (f *fakeUpstream) servedCount(text string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.served[text]
}

func (f *fakeUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
		http.Error(w, `{"error":{"message":"not found"}}`, http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	var in fakeRequest
	if err != nil || json.Unmarshal(body, &in) != nil || len(in.Input) == 0 {
		http.Error(w, `{"error":{"message":"bad request body"}}`, http.StatusBadRequest)
		return
	}
	n := int(f.calls.Add(1))
	f.texts.Add(int64(len(in.Input)))
	f.mu.Lock()
	f.batches = append(f.batches, len(in.Input))
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	f.models = append(f.models, in.Model)
	f.dimsArg = append(f.dimsArg, in.Dimensions)
	f.mu.Unlock()

	var rep fakeReply
	if h := f.hook.Load(); h != nil {
		if p := (*h)(n, &in); p != nil {
			rep = *p
		}
	}
	if f.slots != nil {
		select {
		case f.slots <- struct{}{}:
			defer func() { <-f.slots }()
		case <-r.Context().Done():
			return
		}
	}
	// The latency is fixed from the moment the request is served: the answer is rendered first
	// and sent when it has passed, as a model server computes and then replies.
	start := time.Now()
	delay := f.latency
	if rep.delay != 0 {
		delay = rep.delay
	}
	var answer []byte
	if rep.body == "" && (rep.status == 0 || rep.status/100 == 2) && (f.maxBatch == 0 || len(in.Input) <= f.maxBatch) {
		answer = f.response(&in, &rep)
	}
	if delay -= time.Since(start); delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	if f.maxBatch > 0 && len(in.Input) > f.maxBatch && rep.status == 0 {
		rep.status, rep.body = http.StatusRequestEntityTooLarge, `{"error":{"message":"batch too large"}}`
	}
	if rep.status != 0 && rep.status/100 != 2 {
		if rep.body == "" {
			rep.body = `{"error":{"message":"injected ` + http.StatusText(rep.status) + `"}}`
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
		return
	}
	f.mu.Lock()
	for _, t := range in.Input {
		f.served[t]++
	}
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	if rep.body != "" {
		io.WriteString(w, rep.body)
		return
	}
	w.Write(answer)
}

// response renders the embeddings of in, in reverse order of index (servers need not sort).
func (f *fakeUpstream) response(in *fakeRequest, rep *fakeReply) []byte {
	count := len(in.Input)
	if rep.count != 0 {
		count = rep.count
	}
	tail := f.tail
	if rep.dims != 0 {
		tail, _ = fakeTail(rep.dims)
	}
	b := make([]byte, 0, 64+count*(len(tail)+48))
	b = append(b, `{"object":"list","data":[`...)
	for k := 0; k < count; k++ {
		i := count - 1 - k
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		m := marker(in.Input[i%len(in.Input)])
		if in.EncodingFormat == "base64" {
			vec := append([]float32(nil), f.tailVec...)
			if rep.dims != 0 {
				_, vec = fakeTail(rep.dims)
			}
			vec[0] = m
			if rep.nan && i == 0 {
				vec[len(vec)-1] = float32(math.NaN())
			}
			raw := make([]byte, 4*len(vec))
			for j, x := range vec {
				binary.LittleEndian.PutUint32(raw[4*j:], math.Float32bits(x))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"', '}')
			continue
		}
		b = append(b, '[')
		if rep.nan && i == 0 {
			b = append(b, "NaN"...)
		} else {
			b = strconv.AppendFloat(b, float64(m), 'g', -1, 32)
		}
		b = append(b, tail...)
		b = append(b, ']', '}')
	}
	b = append(b, `],"model":"`...)
	b = append(b, in.Model...)
	b = append(b, `","usage":{"prompt_tokens":1,"total_tokens":1}}`...)
	return b
}

// testProvider is a provider on the given upstreams with fast backoff and breaker timings.
func testProvider(name string, dims int, ups ...*fakeUpstream) Provider {
	p := Provider{
		Name: name, Dimensions: dims,
		Timeout: 2 * time.Second, BackoffBase: time.Millisecond, BackoffMax: 4 * time.Millisecond,
		BreakerFailures: 3, BreakerCooldown: 100 * time.Millisecond,
	}
	for i, u := range ups {
		p.Upstreams = append(p.Upstreams, Upstream{Name: "up" + strconv.Itoa(i), BaseURL: u.srv.URL, Model: "upstream-model"})
	}
	return p
}

// logBuffer collects log output for inspection.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newTestEmbedder(t testing.TB, env map[string]string, ps ...Provider) (*Embedder, *logBuffer) {
	t.Helper()
	logs := &logBuffer{}
	e, err := New(ps, Options{
		Logger:    slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e, logs
}
