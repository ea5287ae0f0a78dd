package codec

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

func TestParseRoundTrip(t *testing.T) {
	for _, s := range []string{"pq:16", "pq:1", "binary", "binary:hamming", "fp16"} {
		spec, err := Parse(s)
		if err != nil || spec.String() != s {
			t.Errorf("Parse(%q) = %v, %v", s, spec, err)
		}
	}
	for _, s := range []string{"pq:", "pq:0", "pq:x", "int8", "binary:two", ""} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}

// TestTrainWriteRead: every codec survives Write/Read with identical scores, and a damaged
// file is an error (a nil Codes, not a typed nil).
func TestTrainWriteRead(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	const n, d = 3000, 64
	data := make([]float32, n*d)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	vecs := flat.Vectors{Dim: d, Data: data}
	for _, s := range []string{"pq:16", "binary", "binary:hamming", "fp16"} {
		spec, _ := Parse(s)
		codes, err := Train(spec, vecs, flat.L2, 1, 2)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if codes.Len() != n || codes.Dim() != d {
			t.Fatalf("%s: %d codes of dim %d", s, codes.Len(), codes.Dim())
		}
		var buf bytes.Buffer
		if _, err := codes.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		kind, ok := KindOfFile("codes-0" + spec.Ext())
		if !ok || kind != spec.Kind {
			t.Fatalf("%s: kind of %q", s, spec.Ext())
		}
		back, err := Read(kind, bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		a, b := codes.NewScorer(), back.NewScorer()
		q := data[:d]
		a.Reset(q)
		b.Reset(q)
		x, y := make([]float32, 100), make([]float32, 100)
		a.ScoreRange(0, x)
		b.ScoreRange(0, y)
		for i := range x {
			if x[i] != y[i] {
				t.Fatalf("%s: score %d differs after Read: %v vs %v", s, i, x[i], y[i])
			}
		}
		damaged := append([]byte(nil), buf.Bytes()...)
		damaged[len(damaged)/2] ^= 0xff
		if c, err := Read(kind, bytes.NewReader(damaged)); err == nil || c != nil {
			t.Errorf("%s: damaged file read as %v, %v", s, c, err)
		}
	}
}
