package ivf

import (
	"math"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

// TestSearchBatchMatchesSearch: the batched coarse step picks the same
// lists as Search's (but for near ties), so results agree.
func TestSearchBatchMatchesSearch(t *testing.T) {
	const dim = 32
	base := clustered(5000, dim, 50, 0.3, 11)
	queries := clustered(77, dim, 50, 0.3, 12) // not a multiple of the panel width
	for _, cfg := range []Config{
		{Dim: dim, Metric: flat.L2, Nlist: 40, Seed: 1},
		{Dim: dim, Metric: flat.L2, Nlist: 40, PQM: 8, Seed: 1},
		{Dim: dim, Metric: flat.InnerProduct, Nlist: 40, PQM: 8, Seed: 1},
	} {
		x := build(t, cfg, base)
		qs := make([][]float32, queries.Slots())
		for i := range qs {
			qs[i] = queries.Row(uint32(i))
		}
		for _, nprobe := range []int{1, 5, 40, 100} {
			p := SearchParams{K: 10, Nprobe: nprobe, Rescore: 30}
			got := x.SearchBatch(qs, p, 3)
			differ := 0
			for i, q := range qs {
				want := x.Search(q, p)
				if len(got[i]) != len(want) {
					t.Fatalf("%+v nprobe %d query %d: %d results, want %d", cfg, nprobe, i, len(got[i]), len(want))
				}
				for j := range want {
					if got[i][j].Slot != want[j].Slot || math.Abs(float64(got[i][j].Dist-want[j].Dist)) > 1e-4 {
						differ++
						break
					}
				}
			}
			if differ > len(qs)/20 {
				t.Errorf("%+v nprobe %d: %d of %d queries differ from Search", cfg, nprobe, differ, len(qs))
			}
		}
	}
	x, _ := New(Config{Dim: dim, Metric: flat.L2, Nlist: 4})
	if out := x.SearchBatch([][]float32{queries.Row(0)}, SearchParams{K: 3}, 0); len(out) != 1 || out[0] != nil {
		t.Errorf("untrained SearchBatch: %v", out)
	}
}
