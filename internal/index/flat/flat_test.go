package flat

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/topk"
)

func randomVectors(rng *rand.Rand, n, dim int) Vectors {
	v := Vectors{Dim: dim, Data: make([]float32, n*dim)}
	for i := range v.Data {
		v.Data[i] = float32(rng.NormFloat64())
	}
	return v
}

// reference ranks every slot with float64 arithmetic.
func reference(v Vectors, m Metric, q []float32, k int, keep func(uint32) bool) []topk.Item {
	var all []topk.Item
	for s := 0; s < v.Slots(); s++ {
		if keep != nil && !keep(uint32(s)) {
			continue
		}
		var d float64
		for i, x := range v.Row(uint32(s)) {
			a, b := float64(q[i]), float64(x)
			switch m {
			case InnerProduct:
				d -= a * b
			case L2:
				d += (a - b) * (a - b)
			case L1:
				if a > b {
					d += a - b
				} else {
					d += b - a
				}
			}
		}
		all = append(all, topk.Item{Dist: float32(d), Slot: uint32(s)})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Dist < all[j].Dist })
	return all[:min(k, len(all))]
}

func sameSlots(t *testing.T, label string, got, want []topk.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", label, len(got), len(want))
	}
	for i := range got {
		if got[i].Slot != want[i].Slot {
			t.Fatalf("%s: rank %d slot %d (%.5f), want %d (%.5f)", label, i, got[i].Slot, got[i].Dist, want[i].Slot, want[i].Dist)
		}
	}
}

func TestSearchMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, dim := range []int{1, 7, 16, 33, 128} {
		for _, n := range []int{0, 1, 255, 256, 257, 1000} {
			v := randomVectors(rng, n, dim)
			q := randomVectors(rng, 1, dim).Data
			for _, m := range []Metric{InnerProduct, L2, L1} {
				label := fmt.Sprintf("dim=%d n=%d metric=%d", dim, n, m)
				sameSlots(t, label, Search(v, m, q, Params{K: 10, MaxDist: NoLimit}), reference(v, m, q, 10, nil))
				odd := func(s uint32) bool { return s%2 == 1 }
				sameSlots(t, label+" accept", Search(v, m, q, Params{K: 10, MaxDist: NoLimit, Accept: odd}), reference(v, m, q, 10, odd))
			}
		}
	}
}

func TestCandidatesSparseAndDense(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	v := randomVectors(rng, 5000, 24)
	q := randomVectors(rng, 1, 24).Data
	for _, every := range []int{3, 100} { // dense and sparse paths
		cand := filter.NewBitmap(5000)
		for s := 0; s < 5000; s += every {
			cand.Set(uint32(s))
		}
		keep := func(s uint32) bool { return int(s)%every == 0 }
		sameSlots(t, fmt.Sprintf("every %d", every), Search(v, L2, q, Params{K: 7, MaxDist: NoLimit, Candidates: cand}), reference(v, L2, q, 7, keep))
	}
}

func TestMaxDist(t *testing.T) {
	v := Vectors{Dim: 1, Data: []float32{0, 1, 2, 3, 4}}
	got := Search(v, L1, []float32{0}, Params{K: 10, MaxDist: 2})
	if len(got) != 3 || got[2].Slot != 2 {
		t.Fatalf("MaxDist 2 kept %+v", got)
	}
}

func TestSearchBatchMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	v := randomVectors(rng, 3000, 40)
	for _, nq := range []int{1, 4, 5, 11, 64} {
		qs := make([][]float32, nq)
		for i := range qs {
			qs[i] = randomVectors(rng, 1, 40).Data
		}
		for _, m := range []Metric{InnerProduct, L2, L1} {
			res := SearchBatch(v, m, qs, 10, func(s uint32) bool { return s != 5 }, 2)
			for i, q := range qs {
				sameSlots(t, fmt.Sprintf("nq=%d m=%d q=%d", nq, m, i), res[i], reference(v, m, q, 10, func(s uint32) bool { return s != 5 }))
			}
		}
	}
}
