package hnsw

import (
	"fmt"
	"testing"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

// TestFilteredRecall checks the issue's requirement: with 10 % and 1 %
// selective filters, recall at a given ef is at least the unfiltered
// recall at that ef — for the filtered traversal (forced by claiming
// every slot is allowed), the automatic choice, and an Accept function.
func TestFilteredRecall(t *testing.T) {
	for _, vr := range []variant{variants[1], variants[2]} {
		n, efs := 4000, []int{10, 20, 40}
		if raceEnabled {
			n, efs = 1500, []int{10}
		}
		base, qs := data(vr, n, 24, 21)
		x := build(t, base, Config{Metric: vr.metric, M: 8, EfConstruct: 64, Seed: 2, Quantization: vr.quant}, 2)
		for _, ef := range efs {
			unfiltered := recall(searchAll(x, qs, 10, ef, nil), truth(base, vr.metric, qs, 10, nil))
			for _, pct := range []int{10, 1} {
				allowed := filter.NewBitmap(n)
				for s := 0; s < n; s++ {
					if int(splitmix64(uint64(s)*7+uint64(pct))%100) < pct {
						allowed.Set(uint32(s))
					}
				}
				want := truth(base, vr.metric, qs, 10, allowed.Get)
				for _, mode := range []string{"traversal", "auto", "accept"} {
					p := SearchParams{K: 10, Ef: ef, Allowed: allowed}
					switch mode {
					case "traversal":
						p.AllowedCount = n
					case "accept":
						p.Allowed, p.Accept = nil, allowed.Get
					}
					got := make([][]topk.Item, qs.Slots())
					for i := range got {
						got[i] = x.SearchWith(qs.Row(uint32(i)), p)
						for _, it := range got[i] {
							if !allowed.Get(it.Slot) {
								t.Fatalf("%s: returned slot %d outside the filter", mode, it.Slot)
							}
						}
					}
					r := recall(got, want)
					t.Logf("%s ef=%d %d%% %s: recall %.4f (unfiltered %.4f)", vr.name, ef, pct, mode, r, unfiltered)
					if r < unfiltered {
						t.Errorf("%s ef=%d %d%% %s: recall %.4f below unfiltered %.4f", vr.name, ef, pct, mode, r, unfiltered)
					}
				}
			}
		}
	}
}

// TestExactWorthIt pins the cost model's choices at the corners.
func TestExactWorthIt(t *testing.T) {
	v := clustered(2000, 8, 22)
	x := build(t, v, Config{Metric: flat.L2, M: 8, EfConstruct: 32}, 1)
	for _, c := range []struct {
		count int
		exact bool
	}{{1, true}, {20, true}, {2000, false}} {
		if got := x.exactWorthIt(SearchParams{AllowedCount: c.count}, 10); got != c.exact {
			t.Errorf("AllowedCount %d: exact=%v, want %v", c.count, got, c.exact)
		}
	}
	if x.exactWorthIt(SearchParams{Accept: func(uint32) bool { return true }}, 10) {
		t.Error("an Accept function of unknown selectivity chose exact search")
	}
	// A tiny allowed set: exact search finds exactly the allowed slots.
	allowed := filter.NewBitmap(2000)
	for _, s := range []uint32{3, 500, 1999} {
		allowed.Set(s)
	}
	got := x.SearchWith(v.Row(0), SearchParams{K: 10, Ef: 10, Allowed: allowed})
	if len(got) != 3 {
		t.Fatalf("got %v, want the 3 allowed slots", got)
	}
}

func ExampleIndex_SearchWith() {
	v := clustered(1000, 8, 23)
	x, _ := New(Config{Dim: 8, Metric: flat.L2}, v)
	_ = x.Build(v.Slots(), 0)
	even := func(s uint32) bool { return s%2 == 0 }
	res := x.SearchWith(v.Row(42), SearchParams{K: 3, Ef: 32, Accept: even})
	fmt.Println(len(res), res[0].Slot, res[0].Dist)
	// Output: 3 42 0
}
