package hnsw

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

// clustered returns n vectors of dimension d drawn around 20 random
// centres (a shape like real embeddings: neighbours are mostly in the same
// cluster), deterministic in seed.
func clustered(n, d int, seed uint64) Vectors {
	r := rand.New(rand.NewPCG(seed, 7))
	const k = 20
	centres := make([]float32, k*d)
	for i := range centres {
		centres[i] = float32(r.NormFloat64())
	}
	data := make([]float32, n*d)
	for i := 0; i < n; i++ {
		c := centres[r.IntN(k)*d:]
		for j := 0; j < d; j++ {
			data[i*d+j] = c[j] + 0.4*float32(r.NormFloat64())
		}
	}
	return Vectors{Dim: d, Data: data}
}

// split returns the first n vectors and the rest (queries drawn from the
// same distribution as the base).
func split(v Vectors, n int) (Vectors, Vectors) {
	return Vectors{Dim: v.Dim, Data: v.Data[:n*v.Dim]}, Vectors{Dim: v.Dim, Data: v.Data[n*v.Dim:]}
}

func normalised(v Vectors) Vectors {
	for i := 0; i < v.Slots(); i++ {
		distance.Normalize(v.Row(uint32(i)))
	}
	return v
}

// truth returns the exact k nearest live slots of each query.
func truth(v Vectors, m flat.Metric, qs Vectors, k int, accept func(uint32) bool) [][]topk.Item {
	out := make([][]topk.Item, qs.Slots())
	for i := range out {
		out[i] = flat.Search(v, m, qs.Row(uint32(i)), flat.Params{K: k, MaxDist: flat.NoLimit, Accept: accept})
	}
	return out
}

func recall(got, want [][]topk.Item) float64 {
	hits, total := 0, 0
	for i := range want {
		set := map[uint32]bool{}
		for _, it := range want[i] {
			set[it.Slot] = true
		}
		for _, it := range got[i] {
			if set[it.Slot] {
				hits++
			}
		}
		total += len(want[i])
	}
	return float64(hits) / float64(total)
}

func build(t testing.TB, v Vectors, cfg Config, threads int) *Index {
	t.Helper()
	cfg.Dim = v.Dim
	x, err := New(cfg, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Build(v.Slots(), threads); err != nil {
		t.Fatal(err)
	}
	return x
}

func searchAll(x *Index, qs Vectors, k, ef int, accept func(uint32) bool) [][]topk.Item {
	out := make([][]topk.Item, qs.Slots())
	for i := range out {
		out[i] = x.Search(qs.Row(uint32(i)), k, ef, accept)
	}
	return out
}

type variant struct {
	name   string
	metric flat.Metric
	quant  Quantization
}

var variants = []variant{
	{"l2/float32", flat.L2, Float32},
	{"l2/int8", flat.L2, Int8},
	{"ip/float32", flat.InnerProduct, Float32},
	{"ip/int8", flat.InnerProduct, Int8},
}

func data(vr variant, n, d int, seed uint64) (base, queries Vectors) {
	base, queries = split(clustered(n+100, d, seed), n)
	if vr.metric == flat.InnerProduct {
		normalised(base)
		normalised(queries)
	}
	return base, queries
}

// TestRecall checks recall floors on fixed seeds for every metric and
// quantization, single- and multi-threaded builds.
func TestRecall(t *testing.T) {
	for _, vr := range variants {
		t.Run(vr.name, func(t *testing.T) {
			n, threadCounts := 2000, []int{1, 4}
			if raceEnabled {
				n, threadCounts = 1200, []int{3} // the concurrent build is what the race detector is for
			}
			base, qs := data(vr, n, 32, 1)
			want := truth(base, vr.metric, qs, 10, nil)
			for _, threads := range threadCounts {
				x := build(t, base, Config{Metric: vr.metric, M: 12, EfConstruct: 64, Seed: 1, Quantization: vr.quant}, threads)
				if x.Len() != base.Slots() {
					t.Fatalf("Len = %d, want %d", x.Len(), base.Slots())
				}
				for _, c := range []struct {
					ef    int
					floor float64
				}{{10, 0.90}, {50, 0.99}, {200, 0.995}} {
					r := recall(searchAll(x, qs, 10, c.ef, nil), want)
					t.Logf("threads=%d ef=%d recall=%.4f", threads, c.ef, r)
					if threads > 1 {
						// A parallel build's insertion order varies from run to run: its floors
						// are 0.03 lower. (Before inserts published a node only once all its
						// levels were linked, about 1 parallel build in 120 of these 2,000
						// clustered points was much weaker: 0.95 at ef 200.)
						c.floor -= 0.03
					}
					if r < c.floor {
						t.Errorf("threads=%d ef=%d: recall %.4f < %.3f", threads, c.ef, r, c.floor)
					}
				}
				// Distances are exact and sorted.
				for i, items := range searchAll(x, qs, 10, 50, nil) {
					for j, it := range items {
						q, v := qs.Row(uint32(i)), base.Row(it.Slot)
						exact := distance.L2Sq(q, v)
						if vr.metric == flat.InnerProduct {
							exact = -distance.Dot(q, v)
						}
						if math.Abs(float64(it.Dist-exact)) > 1e-5*math.Abs(float64(exact))+1e-6 {
							t.Fatalf("query %d result %d: distance %v, exact %v", i, j, it.Dist, exact)
						}
						if j > 0 && items[j-1].Dist > it.Dist {
							t.Fatalf("query %d: results not sorted", i)
						}
					}
				}
			}
		})
	}
}

func TestSmallAndEdgeCases(t *testing.T) {
	v := clustered(5, 8, 3)
	x, err := New(Config{Dim: 8, Metric: flat.L2}, v)
	if err != nil {
		t.Fatal(err)
	}
	if got := x.Search(v.Row(0), 3, 10, nil); got != nil {
		t.Fatalf("empty index returned %v", got)
	}
	if err := x.Insert(2); err != nil {
		t.Fatal(err)
	}
	got := x.Search(v.Row(0), 3, 10, nil)
	if len(got) != 1 || got[0].Slot != 2 {
		t.Fatalf("one-node index returned %v", got)
	}
	if err := x.Insert(2); !errors.Is(err, ErrExists) {
		t.Fatalf("second insert: %v, want ErrExists", err)
	}
	if err := x.Insert(5); !errors.Is(err, ErrNoVector) {
		t.Fatalf("insert past the vectors: %v, want ErrNoVector", err)
	}
	for _, s := range []uint32{0, 1, 3, 4} {
		if err := x.Insert(s); err != nil {
			t.Fatal(err)
		}
	}
	got = x.Search(v.Row(4), 10, 10, nil)
	if len(got) != 5 || got[0].Slot != 4 || got[0].Dist != 0 {
		t.Fatalf("got %v, want all 5 with slot 4 first", got)
	}
	if _, err := New(Config{Dim: 8, Metric: flat.L1}, v); err == nil {
		t.Error("L1 accepted")
	}
	q, err := New(Config{Dim: 8, Metric: flat.L2, Quantization: Int8}, v)
	if err != nil {
		t.Fatal(err)
	}
	if err := q.Insert(0); !errors.Is(err, ErrUntrained) {
		t.Fatalf("untrained insert: %v", err)
	}
}

// TestGrow inserts into an index created empty, with the caller's storage
// growing (and moving) under it.
func TestGrow(t *testing.T) {
	all, qs := split(clustered(3050, 16, 4), 3000)
	x, err := New(Config{Dim: 16, Metric: flat.L2, M: 8, EfConstruct: 64}, Vectors{Dim: 16})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < all.Slots(); {
		next := min(all.Slots(), n*2+100)
		grown := make([]float32, next*16)
		copy(grown, all.Data[:next*16])
		if err := x.SetVectors(Vectors{Dim: 16, Data: grown}); err != nil {
			t.Fatal(err)
		}
		for ; n < next; n++ {
			if err := x.Insert(uint32(n)); err != nil {
				t.Fatal(err)
			}
		}
	}
	r := recall(searchAll(x, qs, 10, 64, nil), truth(all, flat.L2, qs, 10, nil))
	if r < 0.95 {
		t.Errorf("recall %.3f after growing", r)
	}
}
