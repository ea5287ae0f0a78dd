package flat

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/topk"
)

// TestRescore checks Rescore against a heap over the pair kernels (L2Sq,
// Dot, L1), bit for bit: over several gather chunks, with duplicate rows
// (ties broken by slot), and k below, at and above the candidates.
func TestRescore(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	for _, dim := range []int{1, 7, 16, 33, 128} {
		v := randomVectors(rng, 300, dim)
		copy(v.Row(299), v.Row(5)) // a tie
		copy(v.Row(150), v.Row(5))
		q := randomVectors(rng, 1, dim).Data
		for _, n := range []int{0, 1, 64, 65, 200} {
			cand := make([]topk.Item, n)
			for i, s := range rng.Perm(300)[:n] {
				cand[i] = topk.Item{Dist: rng.Float32(), Slot: uint32(s)}
			}
			if n > 3 {
				cand[1].Slot, cand[2].Slot, cand[3].Slot = 5, 150, 299
			}
			for _, m := range []Metric{InnerProduct, L2, L1} {
				pair, _ := kernels(m)
				for _, k := range []int{0, 1, 10, n, n + 5} {
					var want []topk.Item
					if k > 0 {
						h := topk.New(k)
						for _, c := range cand {
							h.Push(rank(m, pair(q, v.Row(c.Slot))), c.Slot)
						}
						want = h.Sorted()
					}
					got := Rescore(v, m, q, slices.Clone(cand), k)
					if len(got) != len(want) || len(want) > 0 && !slices.Equal(got, want) {
						t.Fatalf("dim=%d n=%d m=%d k=%d:\ngot  %v\nwant %v", dim, n, m, k, got, want)
					}
				}
			}
		}
	}
}

// TestRescoreAllocates nothing: its scratch stays on the stack.
func TestRescoreAllocates(t *testing.T) {
	v := randomVectors(rand.New(rand.NewSource(8)), 500, 24)
	q := v.Row(3)
	cand := make([]topk.Item, 200)
	for i := range cand {
		cand[i].Slot = uint32(2 * i)
	}
	for _, m := range []Metric{InnerProduct, L2} {
		if a := testing.AllocsPerRun(10, func() { Rescore(v, m, q, cand, 10) }); a != 0 {
			t.Errorf("metric %d: %v allocations per Rescore", m, a)
		}
	}
}
