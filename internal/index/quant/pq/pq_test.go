package pq

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/internal/testvecs"
	"github.com/needlevdb/needle/internal/topk"
)

// clustered returns n vectors of dimension dim around nc random centres
// (coordinates uniform in [-1, 1]) with Gaussian noise of deviation sigma.
var clustered = testvecs.Clustered

func TestTrainErrors(t *testing.T) {
	v := clustered(100, 30, 4, 0.1, 1)
	if _, err := Train(v, 7, flat.L2, Options{}); err == nil || !strings.Contains(err.Error(), "not divisible") {
		t.Errorf("M = 7 for dimension 30: %v", err)
	}
	if _, err := Train(v, 0, flat.L2, Options{}); err == nil {
		t.Error("M = 0: no error")
	}
	if _, err := Train(v, 5, flat.L1, Options{}); err == nil {
		t.Error("L1: no error")
	}
	if _, err := Train(flat.Vectors{Dim: 30}, 5, flat.L2, Options{}); err == nil {
		t.Error("no vectors: no error")
	}
}

func TestSmallSampleShrinksCodebooks(t *testing.T) {
	v := clustered(100, 16, 4, 0.1, 1)
	q, err := Train(v, 4, flat.L2, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if q.Ksub() != 100 {
		t.Errorf("Ksub = %d, want 100", q.Ksub())
	}
	c := q.EncodeAll(v)
	for _, b := range c.Bytes() {
		if int(b) >= 100 {
			t.Fatalf("code byte %d beyond the codebook", b)
		}
	}
	// Padding rows of the table are +Inf for L2.
	tab := NewTable(4)
	q.Table(v.Row(0), tab)
	if !math.IsInf(float64(tab[0][200]), 1) {
		t.Errorf("padding entry %g, want +Inf", tab[0][200])
	}
}

// encode writes the code of x into dst[:M()], one subvector at a time:
// the reference EncodeBatch is checked against.
func encode(q *Quantizer, x []float32, dst []byte) {
	var out [1]int32
	for j := range q.m {
		q.assigners[j].Assign(x[j*q.dsub:(j+1)*q.dsub], out[:], nil)
		dst[j] = byte(out[0])
	}
}

func TestEncodeBatchMatchesEncode(t *testing.T) {
	v := clustered(3000, 32, 20, 0.2, 2)
	q, err := Train(v, 8, flat.L2, Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	all := q.EncodeAll(v)
	one := make([]byte, 8)
	for s := range v.Slots() {
		encode(q, v.Row(uint32(s)), one)
		if !slices.Equal(one, all.Code(s)) {
			t.Fatalf("slot %d: encode %v, EncodeAll %v", s, one, all.Code(s))
		}
	}
}

// TestScorerIsDistanceToDecoded checks the ADC identity: the score of a
// code is the distance from the query to the code's reconstruction.
func TestScorerIsDistanceToDecoded(t *testing.T) {
	for _, m := range []int{1, 3, 8, 16, 32} {
		for _, metric := range []flat.Metric{flat.L2, flat.InnerProduct} {
			v := clustered(1000, 96, 10, 0.3, uint64(m))
			q, err := Train(v, m, metric, Options{Seed: 1, Iterations: 5})
			if err != nil {
				t.Fatal(err)
			}
			codes := q.EncodeAll(v)
			sc := codes.Scorer()
			query := clustered(1, 96, 1, 0.5, 99).Data
			sc.Reset(query)
			out := make([]float32, codes.Len())
			sc.ScoreRange(0, out)
			ids := []uint32{5, 0, 999, 5, 17}
			got := make([]float32, len(ids))
			sc.Score(ids, got)
			rec := make([]float32, 96)
			for s := range codes.Len() {
				q.Decode(codes.Code(s), rec)
				want := distance.L2Sq(query, rec)
				if metric == flat.InnerProduct {
					want = -distance.Dot(query, rec)
				}
				if math.Abs(float64(out[s]-want)) > 1e-4*(1+math.Abs(float64(want))) {
					t.Fatalf("M=%d metric %d slot %d: score %g, distance to decoded %g", m, metric, s, out[s], want)
				}
			}
			for i, id := range ids {
				if got[i] != out[id] {
					t.Fatalf("M=%d: Score of slot %d = %g, ScoreRange %g", m, id, got[i], out[id])
				}
			}
		}
	}
}

// TestRecall: PQ alone finds most true neighbours among its top 100, and
// rescoring those with the float vectors gives recall@10 of at least 0.9.
func TestRecall(t *testing.T) {
	const dim, n, nq, k = 64, 10000, 50, 10
	v := clustered(n, dim, 100, 0.25, 5)
	queries := clustered(nq, dim, 100, 0.25, 6) // other points, same law
	q, err := Train(v, 16, flat.L2, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	codes := q.EncodeAll(v)
	sc := codes.Scorer()
	out := make([]float32, n)
	var hits10, hitsRescored int
	for i := range nq {
		x := queries.Row(uint32(i))
		truth := flat.Search(v, flat.L2, x, flat.Params{K: k, MaxDist: flat.NoLimit})
		sc.Reset(x)
		sc.ScoreRange(0, out)
		h := topk.New(100)
		for s, d := range out {
			h.Push(d, uint32(s))
		}
		approx := h.Sorted()
		r := topk.New(k)
		for _, it := range approx {
			r.Push(distance.L2Sq(x, v.Row(it.Slot)), it.Slot)
		}
		hits10 += overlap(truth, approx[:k])
		hitsRescored += overlap(truth, r.Sorted())
	}
	r10 := float64(hits10) / float64(nq*k)
	rr := float64(hitsRescored) / float64(nq*k)
	t.Logf("recall@10: PQ %.3f, PQ top-100 rescored %.3f", r10, rr)
	if r10 < 0.4 || rr < 0.9 {
		t.Errorf("recall@10: PQ %.3f (floor 0.4), rescored %.3f (floor 0.9)", r10, rr)
	}
}

func overlap(a, b []topk.Item) int {
	n := 0
	for _, x := range a {
		for _, y := range b {
			if x.Slot == y.Slot {
				n++
				break
			}
		}
	}
	return n
}
