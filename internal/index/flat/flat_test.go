package flat

import (
	"fmt"
	"math"
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

// nearSlots is sameSlots for float32 kernels against the float64 reference
// when k is large enough for near-ties: at every rank the distances must
// agree within float32 rounding, and a slot that differs from the
// reference's must be a near-tie (its reference distance equal to the
// reference's at that rank within that tolerance).
func nearSlots(t *testing.T, label string, v Vectors, m Metric, q []float32, got, want []topk.Item) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d results, want %d", label, len(got), len(want))
	}
	one := func(s uint32) float64 {
		return float64(reference(Vectors{Dim: v.Dim, Data: v.Row(s)}, m, q, 1, nil)[0].Dist)
	}
	for i := range got {
		tol := 1e-5 * (1 + math.Abs(float64(want[i].Dist)))
		if math.Abs(float64(got[i].Dist-want[i].Dist)) > tol {
			t.Fatalf("%s: rank %d distance %v, want %v", label, i, got[i].Dist, want[i].Dist)
		}
		if got[i].Slot != want[i].Slot && math.Abs(one(got[i].Slot)-float64(want[i].Dist)) > tol {
			t.Fatalf("%s: rank %d slot %d (%.5f), want %d (%.5f)", label, i, got[i].Slot, got[i].Dist, want[i].Slot, want[i].Dist)
		}
	}
}

// TestSearchBatchPanelShapes covers the panel path's edges: dimensions
// around the kernels' unrolling, bases around their blocks of 12 and 4,
// panels partly filled, k larger than the base, and more workers than
// panels (the base is then split among workers).
func TestSearchBatchPanelShapes(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	for _, dim := range []int{1, 3, 16, 33, 128} {
		for _, n := range []int{1, 11, 12, 13, 97, 700} {
			v := randomVectors(rng, n, dim)
			for _, nq := range []int{4, 31, 33, 70} {
				qs := make([][]float32, nq)
				for i := range qs {
					qs[i] = randomVectors(rng, 1, dim).Data
				}
				for _, m := range []Metric{InnerProduct, L2} {
					for _, k := range []int{1, 10, 150} {
						for _, workers := range []int{1, 3} {
							res := SearchBatch(v, m, qs, k, nil, workers)
							for i, q := range qs {
								label := fmt.Sprintf("dim=%d n=%d nq=%d m=%d k=%d workers=%d q=%d", dim, n, nq, m, k, workers, i)
								nearSlots(t, label, v, m, q, res[i], reference(v, m, q, k, nil))
							}
						}
					}
				}
			}
		}
	}
}

// TestSearchBatchNearTies checks that the batched L2 search, which ranks by
// |x|² - 2 q·x before rescoring, returns Search's results and distances
// where that expansion is least accurate: vectors with a large common offset,
// so that norms are about 10⁴ times the distances between neighbours.
func TestSearchBatchNearTies(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	const n, dim, nq, k = 5000, 64, 40, 10
	v := randomVectors(rng, n, dim)
	for i := range v.Data {
		v.Data[i] += 100
	}
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = v.Row(uint32(rng.Intn(n)))
		qs[i] = append([]float32(nil), qs[i]...)
		qs[i][0] += 0.5
	}
	res := SearchBatch(v, L2, qs, k, nil, 2)
	for i, q := range qs {
		want := Search(v, L2, q, Params{K: k, MaxDist: NoLimit})
		sameSlots(t, fmt.Sprintf("q=%d", i), res[i], want)
		for r := range want {
			if d, w := res[i][r].Dist, want[r].Dist; math.Abs(float64(d-w)) > 1e-5*float64(w)+1e-6 {
				t.Fatalf("q=%d rank %d: distance %v, Search gives %v", i, r, d, w)
			}
		}
	}
}

// TestSearchBoundBlocks runs the InnerProduct and L2 scan over several
// bound-kernel blocks (the first is boundFirstBlock vectors, the rest
// boundBlockBytes), with and without a MaxDist that cuts into the top K.
func TestSearchBoundBlocks(t *testing.T) {
	rng := rand.New(rand.NewSource(6))
	for _, dim := range []int{5, 128, 600} {
		n := 3*boundBlockBytes/(4*dim) + 77
		v := randomVectors(rng, n, dim)
		q := randomVectors(rng, 1, dim).Data
		for _, m := range []Metric{InnerProduct, L2} {
			all := reference(v, m, q, 50, nil)
			for _, maxDist := range []float32{NoLimit, (all[20].Dist + all[21].Dist) / 2} {
				want := all
				for len(want) > 0 && want[len(want)-1].Dist > maxDist {
					want = want[:len(want)-1]
				}
				got := Search(v, m, q, Params{K: 50, MaxDist: maxDist})
				nearSlots(t, fmt.Sprintf("dim=%d n=%d m=%d maxDist=%v", dim, n, m, maxDist), v, m, q, got, want)
			}
		}
	}
}
