package quant_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/index/quant/pq"
	"github.com/needlevdb/needle/internal/topk"
)

// TestSearchFlatRescore: without Rescore SearchFlat returns the K best
// approximate candidates (those Accept approves); with it, the best
// Rescore of them re-ranked by the exact distance, bit for bit what a heap
// over the pair kernels gives.
func TestSearchFlatRescore(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, dim = 2000, 32
	vecs := flat.Vectors{Dim: dim, Data: make([]float32, n*dim)}
	for i := range vecs.Data {
		vecs.Data[i] = float32(rng.NormFloat64())
	}
	odd := func(s uint32) bool { return s%2 == 1 }
	for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
		q, err := pq.Train(vecs, 8, m, pq.Options{Seed: 1, Iterations: 3})
		if err != nil {
			t.Fatal(err)
		}
		codes := q.EncodeAll(vecs)
		s := codes.NewScorer()
		query := vecs.Row(7)
		s.Reset(query)
		for _, tc := range []struct{ k, rescore int }{{10, 0}, {10, 5}, {10, 40}, {1, 300}} {
			label := fmt.Sprintf("metric %d k %d rescore %d", m, tc.k, tc.rescore)
			got := quant.SearchFlat(codes, s, query, vecs, m, quant.ScanParams{K: tc.k, Rescore: tc.rescore, Accept: odd})
			pool := quant.SearchFlat(codes, s, query, vecs, m, quant.ScanParams{K: max(tc.k, tc.rescore), Accept: odd})
			if len(pool) != max(tc.k, tc.rescore) {
				t.Fatalf("%s: %d candidates", label, len(pool))
			}
			want := pool[:tc.k]
			if tc.rescore > 0 {
				h := topk.New(tc.k)
				for _, c := range pool {
					if !odd(c.Slot) {
						t.Fatalf("%s: slot %d not accepted", label, c.Slot)
					}
					d := distance.L2Sq(query, vecs.Row(c.Slot))
					if m == flat.InnerProduct {
						d = -distance.Dot(query, vecs.Row(c.Slot))
					}
					h.Push(d, c.Slot)
				}
				want = h.Sorted()
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s:\ngot  %v\nwant %v", label, got, want)
			}
		}
	}
}
