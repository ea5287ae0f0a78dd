package kmeans

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/internal/testvecs"
)

// clustered returns n points of dimension dim around nc random centres
// (coordinates uniform in [-10, 10]) with Gaussian noise of deviation
// sigma, and the centres.
func clustered(n, dim, nc int, sigma float64, seed uint64) (data, centres []float32) {
	return testvecs.Clusters(n, dim, nc, 10, sigma, seed)
}

func TestTrainFindsSeparatedClusters(t *testing.T) {
	const dim, nc, n = 16, 20, 4000
	data, centres := clustered(n, dim, nc, 0.1, 7)
	cent, err := Train(data, dim, nc, Options{Seed: 1, Metric: flat.L2})
	if err != nil {
		t.Fatal(err)
	}
	// Every true centre has a centroid within a small distance, and no two
	// true centres share one.
	used := map[int]bool{}
	for c := range nc {
		i, d := nearest(cent, dim, flat.L2, centres[c*dim:(c+1)*dim])
		if d > 0.05 {
			t.Errorf("centre %d: nearest centroid %d at squared distance %g", c, i, d)
		}
		if used[i] {
			t.Errorf("centroid %d serves two centres", i)
		}
		used[i] = true
	}
}

func TestTrainDeterministic(t *testing.T) {
	const dim, k = 24, 32
	data, _ := clustered(3000, dim, 40, 1, 3)
	for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
		a, err := Train(data, dim, k, Options{Seed: 9, Metric: m, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Train(data, dim, k, Options{Seed: 9, Metric: m, Workers: 2})
		c, _ := Train(data, dim, k, Options{Seed: 9, Metric: m, Workers: 5})
		if !slices.Equal(a, b) || !slices.Equal(a, c) {
			t.Errorf("metric %d: centroids differ with the number of workers", m)
		}
		d, _ := Train(data, dim, k, Options{Seed: 10, Metric: m})
		if slices.Equal(a, d) {
			t.Errorf("metric %d: seeds 9 and 10 gave the same centroids", m)
		}
	}
}

func TestTrainSpherical(t *testing.T) {
	const dim, k = 16, 10
	data, _ := clustered(2000, dim, 10, 0.5, 4)
	cent, err := Train(data, dim, k, Options{Seed: 2, Metric: flat.InnerProduct})
	if err != nil {
		t.Fatal(err)
	}
	for c := range k {
		if n := distance.Norm(cent[c*dim : (c+1)*dim]); math.Abs(float64(n)-1) > 1e-5 {
			t.Errorf("centroid %d has norm %g", c, n)
		}
	}
}

func TestTrainLowersObjective(t *testing.T) {
	// Lloyd iterations must do better than the k-means++ seeds alone.
	const dim, k = 32, 64
	data, _ := clustered(5000, dim, 200, 2, 5)
	sse := func(cent []float32) float64 {
		n := len(data) / dim
		out, dist := make([]int32, n), make([]float32, n)
		AssignBatch(cent, dim, flat.L2, data, out, dist, 0)
		var s float64
		for _, d := range dist {
			s += float64(d)
		}
		return s
	}
	seeded, _ := Train(data, dim, k, Options{Seed: 1, Metric: flat.L2, Iterations: 1})
	trained, _ := Train(data, dim, k, Options{Seed: 1, Metric: flat.L2, Iterations: 20})
	if a, b := sse(seeded), sse(trained); !(b < 0.95*a) {
		t.Errorf("SSE after 1 iteration %g, after 20 %g: expected a clear drop", a, b)
	}
}

func TestTrainErrors(t *testing.T) {
	data, _ := clustered(100, 4, 3, 1, 1)
	cases := []struct {
		name string
		data []float32
		dim  int
		k    int
		opt  Options
	}{
		{"ragged", data[:10], 4, 2, Options{Metric: flat.L2}},
		{"zero dim", data, 0, 2, Options{Metric: flat.L2}},
		{"zero k", data, 4, 0, Options{Metric: flat.L2}},
		{"too few", data, 4, 101, Options{Metric: flat.L2}},
		{"L1", data, 4, 2, Options{Metric: flat.L1}},
	}
	for _, c := range cases {
		if _, err := Train(c.data, c.dim, c.k, c.opt); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	if _, err := Train(data, 4, 101, Options{Metric: flat.L2}); !errors.Is(err, ErrTooFewPoints) {
		t.Errorf("too few points: %v, want ErrTooFewPoints", err)
	}
	bad := slices.Clone(data)
	bad[17] = float32(math.NaN())
	if _, err := Train(bad, 4, 2, Options{Metric: flat.L2, SampleSize: 100}); err == nil {
		t.Error("NaN: no error")
	}
}

func TestTrainDegenerate(t *testing.T) {
	// All points equal, and n == k: empty clusters are split, nothing
	// panics, and the centroids are finite.
	const dim = 8
	data := make([]float32, 50*dim)
	for i := range data {
		data[i] = 1
	}
	for _, k := range []int{1, 7, 50} {
		cent, err := Train(data, dim, k, Options{Seed: 1, Metric: flat.L2})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range cent {
			if math.IsNaN(float64(x)) || math.Abs(float64(x)-1) > 0.1 {
				t.Fatalf("k=%d: centroid coordinate %g", k, x)
			}
		}
	}
}

func TestSplitEmpty(t *testing.T) {
	cent := []float32{1, 1, 5, 5, 0, 0}
	counts := []int{3, 10, 0}
	splitEmpty(cent, counts, 2)
	if counts[2] != 5 || counts[1] != 5 || counts[0] != 3 {
		t.Errorf("counts %v", counts)
	}
	if cent[4] == cent[2] || math.Abs(float64(cent[4]-5)) > 0.01 {
		t.Errorf("split centroids %v", cent)
	}
}

func TestAssignBatchMatchesNearest(t *testing.T) {
	for _, dim := range []int{1, 3, 16, 33, 128} {
		for _, k := range []int{1, 5, 12, 13, 130, 300} {
			cent, _ := clustered(k, dim, k, 1, uint64(dim*1000+k))
			data, _ := clustered(97, dim, 10, 3, 2)
			for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
				n := len(data) / dim
				out, dist := make([]int32, n), make([]float32, n)
				AssignBatch(cent, dim, m, data, out, dist, 3)
				for i := range n {
					x := data[i*dim : (i+1)*dim]
					want, wd := nearest(cent, dim, m, x)
					if int(out[i]) == want {
						continue
					}
					// A different centroid is fine only if it is as near
					// within rounding.
					_, gd := nearest(cent[int(out[i])*dim:(int(out[i])+1)*dim], dim, m, x)
					if tol := 1e-4 * (1 + float64(abs(wd))); float64(gd-wd) > tol {
						t.Fatalf("dim %d k %d metric %d point %d: got centroid %d (%g), want %d (%g)", dim, k, m, i, out[i], gd, want, wd)
					}
				}
				if m == flat.L2 {
					for i := range n {
						_, wd := nearest(cent[int(out[i])*dim:(int(out[i])+1)*dim], dim, m, data[i*dim:(i+1)*dim])
						if math.Abs(float64(dist[i]-wd)) > 1e-3*(1+float64(wd)) {
							t.Fatalf("dim %d k %d: dist %g, want %g", dim, k, dist[i], wd)
						}
					}
				}
			}
		}
	}
}

func abs(x float32) float32 { return float32(math.Abs(float64(x))) }

// nearest returns the index of the centroid nearest to x (of the k =
// len(centroids)/dim centroids stored back to back) and its distance in
// the convention of package topk, with the batch kernels: the reference
// AssignBatch is checked against. Ties go to the lower index. It returns
// (0, +Inf) if no distance is finite or there are no centroids.
func nearest(centroids []float32, dim int, metric flat.Metric, x []float32) (int, float32) {
	s := make([]float32, len(centroids)/dim)
	if metric == flat.InnerProduct {
		distance.DotBatch(x, centroids, s)
		for i := range s {
			s[i] = -s[i]
		}
	} else {
		distance.L2SqBatch(x, centroids, s)
	}
	best, bd := 0, float32(math.Inf(1))
	for i, d := range s {
		if d < bd {
			best, bd = i, d
		}
	}
	return best, bd
}
