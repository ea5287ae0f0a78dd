package ivf

import (
	"math"
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/internal/testvecs"
)

// clustered returns n vectors of dimension dim around nc random centres
// (coordinates uniform in [-1, 1]) with Gaussian noise of deviation sigma.
var clustered = testvecs.Clustered

func normalized(v flat.Vectors) flat.Vectors {
	for i := range v.Slots() {
		distance.Normalize(v.Row(uint32(i)))
	}
	return v
}

// build trains and fills an index over the first n vectors of base.
func build(t testing.TB, cfg Config, base flat.Vectors) *Index {
	t.Helper()
	x, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Train(base, 0); err != nil {
		t.Fatal(err)
	}
	if err := x.AddRange(base, 0, base.Slots()); err != nil {
		t.Fatal(err)
	}
	return x
}

func recall(t testing.TB, x *Index, base, queries flat.Vectors, metric flat.Metric, p SearchParams) float64 {
	t.Helper()
	hits := 0
	for i := range queries.Slots() {
		q := queries.Row(uint32(i))
		truth := flat.Search(base, metric, q, flat.Params{K: p.K, MaxDist: flat.NoLimit})
		got := x.Search(q, p)
		for _, a := range truth {
			for _, b := range got {
				if a.Slot == b.Slot {
					hits++
					break
				}
			}
		}
	}
	return float64(hits) / float64(queries.Slots()*p.K)
}

func TestFlatAllListsIsExact(t *testing.T) {
	for _, metric := range []flat.Metric{flat.L2, flat.InnerProduct} {
		base := clustered(3000, 24, 30, 0.3, 1)
		queries := clustered(40, 24, 30, 0.3, 2)
		if metric == flat.InnerProduct {
			base, queries = normalized(base), normalized(queries)
		}
		x := build(t, Config{Dim: 24, Metric: metric, Nlist: 16, Seed: 1}, base)
		if x.Len() != 3000 {
			t.Fatalf("Len = %d", x.Len())
		}
		for i := range queries.Slots() {
			q := queries.Row(uint32(i))
			want := flat.Search(base, metric, q, flat.Params{K: 10, MaxDist: flat.NoLimit})
			got := x.Search(q, SearchParams{K: 10, Nprobe: 16})
			if len(got) != 10 {
				t.Fatalf("%d results", len(got))
			}
			for j := range want {
				if got[j].Slot != want[j].Slot && math.Abs(float64(got[j].Dist-want[j].Dist)) > 1e-5 {
					t.Fatalf("metric %d query %d rank %d: %+v, want %+v", metric, i, j, got[j], want[j])
				}
			}
		}
		if r := recall(t, x, base, queries, metric, SearchParams{K: 10, Nprobe: 4}); r < 0.8 {
			t.Errorf("metric %d flat nprobe 4/16: recall %.3f < 0.8", metric, r)
		}
	}
}

func TestPQRecall(t *testing.T) {
	const dim = 32
	base := clustered(20000, dim, 200, 0.25, 3)
	queries := clustered(50, dim, 200, 0.25, 4)
	for _, metric := range []flat.Metric{flat.L2, flat.InnerProduct} {
		b, qs := base, queries
		if metric == flat.InnerProduct {
			b = normalized(flat.Vectors{Dim: dim, Data: append([]float32(nil), base.Data...)})
			qs = normalized(flat.Vectors{Dim: dim, Data: append([]float32(nil), queries.Data...)})
		}
		x := build(t, Config{Dim: dim, Metric: metric, Nlist: 64, PQM: 8, Seed: 1}, b)
		plain := recall(t, x, b, qs, metric, SearchParams{K: 10, Nprobe: 16})
		rescored := recall(t, x, b, qs, metric, SearchParams{K: 10, Nprobe: 16, Rescore: 100})
		all := recall(t, x, b, qs, metric, SearchParams{K: 10, Nprobe: 64, Rescore: 200})
		t.Logf("metric %d: recall@10 nprobe 16: PQ %.3f, rescored %.3f; nprobe 64 rescored %.3f", metric, plain, rescored, all)
		if plain < 0.4 || rescored < 0.9 || all < 0.95 {
			t.Errorf("metric %d: recall@10 PQ %.3f (floor 0.4), rescored %.3f (floor 0.9), all lists %.3f (floor 0.95)",
				metric, plain, rescored, all)
		}
	}
}

// TestPQDistances checks the precomputed-table arithmetic: every
// approximate distance is the exact distance from the query to the
// reconstruction c + r, with or without the precomputed table.
func TestPQDistances(t *testing.T) {
	const dim = 16
	base := clustered(2000, dim, 20, 0.3, 5)
	q := clustered(1, dim, 1, 0.5, 6).Data
	for _, metric := range []flat.Metric{flat.L2, flat.InnerProduct} {
		x := build(t, Config{Dim: dim, Metric: metric, Nlist: 8, PQM: 4, Seed: 2}, base)
		if (x.precomp != nil) != (metric == flat.L2) {
			t.Fatalf("metric %d: precomputed table %v", metric, x.precomp != nil)
		}
		recon := map[uint32][]float32{}
		for l := range x.lists {
			li := x.lists[l].Load()
			for i, s := range li.ids {
				r := make([]float32, dim)
				x.pq.Decode(li.codes[i*4:(i+1)*4], r)
				for j := range r {
					r[j] += x.centroids[l*dim+j]
				}
				recon[s] = r
			}
		}
		check := func(name string) {
			got := x.Search(q, SearchParams{K: 2000, Nprobe: 8})
			if len(got) != 2000 {
				t.Fatalf("%s: %d results", name, len(got))
			}
			for _, it := range got {
				want := distance.L2Sq(q, recon[it.Slot])
				if metric == flat.InnerProduct {
					want = -distance.Dot(q, recon[it.Slot])
				}
				if math.Abs(float64(it.Dist-want)) > 1e-4*(1+math.Abs(float64(want))) {
					t.Fatalf("%s metric %d slot %d: %g, want %g", name, metric, it.Slot, it.Dist, want)
				}
			}
		}
		check("precomputed")
		x.precomp = nil
		check("per-list tables")
	}
}

func TestAcceptAndRescore(t *testing.T) {
	const dim = 16
	base := clustered(4000, dim, 40, 0.3, 7)
	for _, pqm := range []int{0, 4} {
		x := build(t, Config{Dim: dim, Metric: flat.L2, Nlist: 16, PQM: pqm, Seed: 3}, base)
		q := base.Row(17)
		even := func(s uint32) bool { return s%2 == 0 }
		got := x.Search(q, SearchParams{K: 20, Nprobe: 16, Accept: even, Rescore: 50})
		if len(got) != 20 {
			t.Fatalf("PQM %d: %d results", pqm, len(got))
		}
		for i, it := range got {
			if it.Slot%2 != 0 {
				t.Fatalf("PQM %d: odd slot %d returned", pqm, it.Slot)
			}
			// Flat lists are exact, PQ lists rescored: exact distances.
			if d := distance.L2Sq(q, base.Row(it.Slot)); math.Abs(float64(d-it.Dist)) > 1e-4*(1+float64(d)) {
				t.Fatalf("PQM %d: result %d distance %g, exact %g", pqm, i, it.Dist, d)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	bad := []Config{
		{Dim: 0, Metric: flat.L2, Nlist: 4},
		{Dim: 8, Metric: flat.L1, Nlist: 4},
		{Dim: 8, Metric: flat.L2, Nlist: 0},
		{Dim: 8, Metric: flat.L2, Nlist: 4, PQM: 3},
		{Dim: 8, Metric: flat.L2, Nlist: 4, PQM: -1},
	}
	for _, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("New(%+v): no error", c)
		}
	}
	base := clustered(100, 8, 4, 0.1, 1)
	x, _ := New(Config{Dim: 8, Metric: flat.L2, Nlist: 4, PQM: 2})
	if err := x.AddRange(base, 0, 10); err != ErrNotTrained {
		t.Errorf("Add before Train: %v", err)
	}
	if got := x.Search(base.Row(0), SearchParams{K: 3}); got != nil {
		t.Errorf("Search before Train: %v", got)
	}
	if err := x.Train(flat.Vectors{Dim: 8, Data: base.Data[:3*8]}, 0); err == nil {
		t.Error("Train on fewer vectors than lists: no error")
	}
	if err := x.Train(base, 0); err != nil {
		t.Fatal(err)
	}
	if err := x.Train(base, 0); err == nil {
		t.Error("second Train: no error")
	}
	if err := x.Add(base, 5, 100); err == nil {
		t.Error("Add of slot 100 of 100 vectors: no error")
	}
	if err := x.AddRange(base, 90, 101); err == nil {
		t.Error("AddRange past the vectors: no error")
	}
	if x.Len() != 0 {
		t.Errorf("failed Adds added %d entries", x.Len())
	}
}

// TestConcurrentAddSearch runs searches while slots are added (run with
// -race): every search returns valid, sorted results over added slots.
func TestConcurrentAddSearch(t *testing.T) {
	const dim, n = 16, 6000
	base := clustered(n, dim, 30, 0.3, 9)
	for _, pqm := range []int{0, 4} {
		x, _ := New(Config{Dim: dim, Metric: flat.L2, Nlist: 16, PQM: pqm, Seed: 1})
		if err := x.Train(base, 0); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for g := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					got := x.Search(base.Row(uint32((i*7+g)%n)), SearchParams{K: 5, Nprobe: 4, Rescore: 10})
					for j, it := range got {
						if int(it.Slot) >= n || j > 0 && it.Dist < got[j-1].Dist {
							t.Errorf("bad result %+v", got)
							return
						}
					}
				}
			}()
		}
		for lo := 0; lo < n; lo += 500 {
			if err := x.AddRange(base, lo, lo+500); err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		if x.Len() != n {
			t.Fatalf("Len %d", x.Len())
		}
		seen := make([]bool, n)
		for l := range x.lists {
			for _, s := range x.lists[l].Load().ids {
				if seen[s] {
					t.Fatalf("slot %d twice", s)
				}
				seen[s] = true
			}
		}
	}
}

func TestMemoryBytes(t *testing.T) {
	base := clustered(2000, 16, 10, 0.3, 1)
	x := build(t, Config{Dim: 16, Metric: flat.L2, Nlist: 8, PQM: 4, Seed: 1}, base)
	min := int64(2000*(4+4) + 8*16*4 + 8*4*256*4)
	if got := x.MemoryBytes(); got < min || got > 4*min {
		t.Errorf("MemoryBytes %d, expected about %d", got, min)
	}
}
