package embed

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/admission"
)

func TestParseResponse(t *testing.T) {
	t.Parallel()
	b64 := func(fs ...float32) string {
		raw := make([]byte, 4*len(fs))
		for i, f := range fs {
			binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(f))
		}
		return base64.StdEncoding.EncodeToString(raw)
	}
	good := []struct {
		body string
		want [][]float32
	}{
		{`{"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,2]}]}`, [][]float32{{1, 2}, {3, 4}}},
		{` { "object" : "list", "data" : [ { "embedding" : [ 1.5e0 , -2 ] , "index" : 0 , "object":"embedding"} ] ,
		   "model":"x", "usage": {"prompt_tokens": 3, "nested": [{"a": "}]\"["}]} } `, [][]float32{{1.5, -2}}},
		{`{"data":[{"embedding":[1,2]},{"embedding":[3,4]}]}`, [][]float32{{1, 2}, {3, 4}}}, // no index: in order
		{`{"data":[{"index":0,"embedding":"` + b64(0.25, -8) + `"}]}`, [][]float32{{0.25, -8}}},
		{`{"data":[{"index":0,"embedding":"` + strings.ReplaceAll(b64(1, 2), "/", `\/`) + `"}]}`, [][]float32{{1, 2}}},
		{`{"data":[{"index":0,"embedding":[1e-50,0]}]}`, [][]float32{{0, 0}}},
	}
	for _, c := range good {
		got, err := parseResponse([]byte(c.body), len(c.want), 2, nil)
		if err != nil {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		for i := range got {
			if !slices.Equal(got[i], c.want[i]) {
				t.Errorf("%s: vector %d = %v, want %v", c.body, i, got[i], c.want[i])
			}
		}
	}
	bad := []struct {
		body string
		n    int
		msg  string
		dims bool
	}{
		{`{"data":[{"index":0,"embedding":[1,2,3]}]}`, 1, "3 dimensions, expected 2", true},
		{`{"data":[{"index":0,"embedding":[1]}]}`, 1, "1 dimensions, expected 2", true},
		{`{"data":[{"index":0,"embedding":"` + b64(1) + `"}]}`, 1, "expected 2 dimensions", true},
		{`{"data":[{"index":0,"embedding":[NaN,1]}]}`, 1, "not finite", false},
		{`{"data":[{"index":0,"embedding":[1,-Infinity]}]}`, 1, "not finite", false},
		{`{"data":[{"index":0,"embedding":[1e39,1]}]}`, 1, "not finite", false},
		{`{"data":[{"index":0,"embedding":"` + b64(1, float32(math.Inf(1))) + `"}]}`, 1, "not finite", false},
		{`{"data":[{"index":0,"embedding":[1,"2"]}]}`, 1, "not a number", false},
		{`{"data":[{"index":0,"embedding":[1,2]}]}`, 2, "1 embeddings for 2 texts", false},
		{`{"data":[{"index":0,"embedding":[1,2]},{"index":0,"embedding":[1,2]}]}`, 2, "index 0 twice", false},
		{`{"data":[{"index":5,"embedding":[1,2]}]}`, 1, "out of range", false},
		{`{"data":[{"index":"0","embedding":[1,2]}]}`, 1, "not an integer", false},
		{`{"data":[{"index":0}]}`, 1, "no embedding", false},
		{`{"error":{"message":"overloaded"}}`, 1, "overloaded", false},
		{`{}`, 1, `no "data"`, false},
		{`{"data":[{"index":0,"embedding":[1,2]}`, 1, "unexpected end", false},
		{`[1,2]`, 1, "not valid JSON", false},
		{``, 1, "unexpected end", false},
		{`{"data":[{"index":0,"embedding":"@@@"}]}`, 1, "base64", false},
	}
	for _, c := range bad {
		_, err := parseResponse([]byte(c.body), c.n, 2, nil)
		var re *responseError
		if err == nil || !strings.Contains(err.Error(), c.msg) || !errors.As(err, &re) || re.dims != c.dims {
			t.Errorf("%s: got %v, want %q (dims %v)", c.body, err, c.msg, c.dims)
		}
	}
}

// countingSlots is a Slots with free slots, counting what is asked for, taken and given back.
type countingSlots struct {
	mu                           sync.Mutex
	free, tries, taken, released int
}

func (c *countingSlots) TryAcquire() (func(), bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tries++
	if c.free == 0 {
		return nil, false
	}
	c.free--
	c.taken++
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.free++
		c.released++
	}, true
}

var _ Slots = (*admission.Scheduler)(nil)

// A large response is decoded in parallel only on slots that are free: with none it is decoded
// on the calling goroutine alone, with some it takes as many as it has helpers, and gives them
// back; the vectors, and the first error in document order, are the same either way.
func TestDecodeTakesFreeSlots(t *testing.T) {
	const n, dims = 64, 768
	f, in, body := batchResponse(n, dims)
	if len(body) < parallelDecodeBytes {
		t.Fatalf("body of %d bytes is too small to be decoded in parallel", len(body))
	}
	// The first element in document order has a value that is not a number; the last a NaN.
	bad := bytes.Replace(f.response(in, &fakeReply{nan: true}), []byte(`"embedding":[`), []byte(`"embedding":["x",`), 1)
	helpers := min(runtime.GOMAXPROCS(0), 4) - 1
	for _, free := range []int{0, 1, 8} {
		slots := &countingSlots{free: free}
		got, err := parseResponse(body, n, dims, slots)
		if err != nil {
			t.Fatalf("%d free slots: %v", free, err)
		}
		for i, text := range in.Input {
			if !slices.Equal(got[i], f.want(text)) {
				t.Fatalf("%d free slots: vector %d is wrong", free, i)
			}
		}
		_, err = parseResponse(bad, n, dims, slots)
		if err == nil || !strings.Contains(err.Error(), "value 0 is not a number") {
			t.Errorf("%d free slots: error %v, want the first element's", free, err)
		}
		want := min(free, helpers)
		if helpers > 0 && slots.tries == 0 || slots.taken != 2*want || slots.released != slots.taken || slots.free != free {
			t.Errorf("%d free slots, %d helpers: %d tries, %d taken, %d released, %d free after; want %d taken per response",
				free, helpers, slots.tries, slots.taken, slots.released, slots.free, want)
		}
	}
	// A small body is decoded inline without asking.
	slots := &countingSlots{free: 8}
	if _, err := parseResponse([]byte(`{"data":[{"embedding":[1,2]}]}`), 1, 2, slots); err != nil || slots.tries != 0 {
		t.Errorf("small body: err %v, %d tries", err, slots.tries)
	}
}

// referenceParse decodes a response with encoding/json, for comparison.
func referenceParse(body []byte, n, dims int) ([][]float32, bool) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil, false
	}
	var items []map[string]json.RawMessage
	if json.Unmarshal(top["data"], &items) != nil || len(items) != n {
		return nil, false
	}
	out := make([][]float32, n)
	for pos, it := range items {
		idx := pos
		if raw, ok := it["index"]; ok {
			var num json.Number
			if json.Unmarshal(raw, &num) != nil {
				return nil, false
			}
			v, err := strconv.Atoi(num.String())
			if err != nil {
				return nil, false
			}
			idx = v
		}
		var nums []json.Number
		if json.Unmarshal(it["embedding"], &nums) != nil || len(nums) != dims || idx < 0 || idx >= n || out[idx] != nil {
			return nil, false
		}
		vec := make([]float32, dims)
		for i, x := range nums {
			f, err := strconv.ParseFloat(x.String(), 32)
			if err != nil {
				return nil, false
			}
			vec[i] = float32(f)
		}
		out[idx] = vec
	}
	return out, true
}

// FuzzParseResponse: never panics, and whatever encoding/json reads as a valid response the
// hand-written parser reads the same way.
func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(`{"data":[{"index":1,"embedding":[3,4]},{"index":0,"embedding":[1,2]}]}`), 2)
	f.Add([]byte(`{"data":[{"embedding":[1.5e-3,-2]}],"usage":{"x":[{"y":"]"}]}}`), 1)
	f.Add([]byte(`{"data":[{"index":0,"embedding":"AACAPwAAAEA="}]}`), 1)
	f.Add([]byte(`{"error":{"message":"no"}}`), 1)
	f.Fuzz(func(t *testing.T, body []byte, n int) {
		if n < 1 || n > 4 {
			return
		}
		got, err := parseResponse(body, n, 2, nil)
		want, ok := referenceParse(body, n, 2)
		if !ok {
			return
		}
		if err != nil {
			t.Fatalf("encoding/json accepts %q but parseResponse fails: %v", body, err)
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("%q: vector %d = %v, want %v", body, i, got[i], want[i])
			}
		}
	})
}

// BenchmarkParseResponse compares the hand-written parser with encoding/json on a batch of 64
// vectors of 768 dimensions (the choice recorded in response.go).
func BenchmarkParseResponse(b *testing.B) {
	const n, dims = 64, 768
	f, in, body := batchResponse(n, dims)
	b.Run("needle", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			if _, err := parseResponse(body, n, dims, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding_json", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			var r struct {
				Data []struct {
					Index     int       `json:"index"`
					Embedding []float32 `json:"embedding"`
				} `json:"data"`
			}
			if err := json.NewDecoder(bytes.NewReader(body)).Decode(&r); err != nil || len(r.Data) != n {
				b.Fatal(err)
			}
		}
	})
	in.EncodingFormat = "base64"
	body64 := f.response(in, &fakeReply{})
	b.Run("needle_base64", func(b *testing.B) {
		b.SetBytes(int64(len(body64)))
		for b.Loop() {
			if _, err := parseResponse(body64, n, dims, nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// batchResponse returns a fake upstream, a request embedding n texts with it in dims dimensions,
// and the upstream's answer.
func batchResponse(n, dims int) (*fakeUpstream, *fakeRequest, []byte) {
	f := &fakeUpstream{dims: dims}
	f.tail, f.tailVec = fakeTail(dims)
	in := &fakeRequest{Input: make([]string, n)}
	for i := range in.Input {
		in.Input[i] = strconv.Itoa(i)
	}
	return f, in, f.response(in, &fakeReply{})
}
