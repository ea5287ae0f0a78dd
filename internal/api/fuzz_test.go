package api

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzUpsertRequest: decoding any body either fails with an *Error or yields an operation whose
// points all carry ids and vectors.
func FuzzUpsertRequest(f *testing.F) {
	for _, s := range []string{
		`{"points":[{"id":1,"vector":[1,2,3],"payload":{"a":1}}]}`,
		`{"points":[{"id":"550e8400-e29b-41d4-a716-446655440000","vector":{"img":[1,2],"txt":[3]}}]}`,
		`{"batch":{"ids":[1,2],"vectors":[[1,2],[3,4]],"payloads":[{"a":1},null]}}`,
		`{"batch":{"ids":[1],"vectors":{"a":[[1,2]]}}}`,
		`{"points":[{"id":-1,"vector":[1e39]}]}`,
		`{"points":[{"id":1,"vector":[[1,2],[3,4]]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req UpsertRequest
		if err := DecodeBytes(body, &req, false); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("decode error of type %T: %v", err, err)
			}
			return
		}
		op, err := req.Op(context.Background(), nil)
		if err != nil {
			return
		}
		for _, p := range op.Points {
			if p.Vectors == nil {
				t.Fatalf("point %v without vectors", p.ID)
			}
		}
	})
}

// FuzzQueryRequest: any body decodes to a clean error or a target that is a vector, an id or none.
func FuzzQueryRequest(f *testing.F) {
	for _, s := range []string{
		`{"query":[1,2,3],"limit":3,"filter":{"must":[{"key":"a","match":{"value":1}}]}}`,
		`{"query":7}`, `{"query":"550e8400-e29b-41d4-a716-446655440000","using":"img"}`,
		`{"query":{"nearest":[1,2]},"with_payload":{"exclude":["a"]},"with_vector":["img"]}`,
		`{"query":{"recommend":{"positive":[1]}}}`, `{"query":{"indices":[1],"values":[0.5]}}`,
		`{"query":null,"offset":-1}`, `{"prefetch":[{"query":[1]}],"query":{"fusion":"rrf"}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var req QueryRequest
		if err := DecodeBytes(body, &req, false); err != nil {
			return
		}
		target, err := req.Target()
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("target error of type %T: %v", err, err)
			}
			return
		}
		if target.Vector != nil && target.ID != nil {
			t.Fatal("target is both a vector and an id")
		}
	})
}

// FuzzParseFloats: the hand-written vector parser agrees with encoding/json on valid arrays.
func FuzzParseFloats(f *testing.F) {
	for _, s := range []string{`[1,2,3]`, `[ -0.5 , 1e-3,2E+2 ]`, `[]`, `[1e39]`, `[1,"a"]`, `[1,[2]]`, `[0.1234567890123]`, `[-0]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want []float32
		werr := json.Unmarshal(b, &want)
		if !json.Valid(b) {
			return // encoding/json validates before our parser ever sees the bytes
		}
		got, gerr := parseFloats(b)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: encoding/json err %v, parseFloats err %v", b, werr, gerr)
		}
		if werr != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("%q: %d values, want %d", b, len(got), len(want))
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("%q: value %d = %v, want %v", b, i, got[i], want[i])
			}
		}
	})
}
