package api

import (
	"math"
	"reflect"
	"testing"
)

var liftCases = []string{
	`{"query":[1,2,3],"limit":10,"params":{"hnsw_ef":64}}`,
	` { "limit" : 3 , "query" : [ -0.5 , 1e-3 , 2E+2 ] , "with_payload" : true } `,
	`{"query":[],"limit":1}`,
	`{"filter":{"must":[{"key":"q","match":{"text":"a \"query\": [1]"}}]},"query":[1]}`,
	`{"query":[1,2],"Query":[3]}`, // another case: encoding/json keeps the last
	`{"query":[1,2],"query":[3]}`, // twice
	`{"query":[01,2]}`,            // not JSON numbers
	`{"query":[1.,2]}`, `{"query":[.5]}`, `{"query":[+1]}`, `{"query":[1,]}`, `{"query":[1 2]}`,
	`{"query":[1,2]}garbage`, `{"query":[1,2]} {}`, `{"query":[1,2]`, `{"query":[1,2],}`,
	`{"query":{"nearest":[1,2]}}`, `{"query":7,"limit":1}`, `{"qu\u0065ry":[1]}`,
	`{"limit":"x","query":[1]}`, `{"query":[1],"limit":1,"limit":2}`, `{"a":[1,{"b":"]"}],"query":[2]}`,
	`{"query":[1e400]}`, `{"query":[-0]}`, `{"query":[-0.0,123456789012345678,16777217,1e-46,3.4e38]}`, `[1,2]`, `{}`, ``, `{"query":[1],"params":{"hnsw_ef":}}`,
}

// The fast path decodes exactly what encoding/json decodes, and fails exactly when it fails.
func TestDecodeQueryRequestMatchesEncodingJSON(t *testing.T) {
	for _, body := range liftCases {
		checkLift(t, []byte(body))
	}
	if _, _, _, ok := liftNumberArray([]byte(liftCases[0]), "query"); !ok {
		t.Error("the common query body does not take the fast path")
	}
}

func checkLift(t *testing.T, body []byte) {
	t.Helper()
	var fast, slow QueryRequest
	errFast := DecodeQueryRequest(body, &fast)
	errSlow := DecodeBytes(body, &slow, false)
	if (errFast == nil) != (errSlow == nil) {
		t.Fatalf("%q: fast path error %v, encoding/json error %v", body, errFast, errSlow)
	}
	if errFast != nil {
		if _, ok := errFast.(*Error); !ok {
			t.Fatalf("%q: error of type %T: %v", body, errFast, errFast)
		}
		return
	}
	targetFast, errFast := fast.Target()
	targetSlow, errSlow := slow.Target()
	if (errFast == nil) != (errSlow == nil) || !reflect.DeepEqual(targetFast, targetSlow) {
		t.Fatalf("%q: fast path target %+v (%v), encoding/json %+v (%v)", body, targetFast, errFast, targetSlow, errSlow)
	}
	for i := range targetFast.Vector { // DeepEqual takes -0 for +0
		if math.Float32bits(targetFast.Vector[i]) != math.Float32bits(targetSlow.Vector[i]) {
			t.Fatalf("%q: value %d: fast path %v, encoding/json %v", body, i, targetFast.Vector[i], targetSlow.Vector[i])
		}
	}
	fast.vector = nil
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("%q: fast path decoded %+v, encoding/json %+v", body, fast, slow)
	}
}

// FuzzDecodeQueryRequest holds the fast path to encoding/json on any body.
func FuzzDecodeQueryRequest(f *testing.F) {
	for _, s := range liftCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkLift(t, body) })
}
