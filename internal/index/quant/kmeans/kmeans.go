package kmeans

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
)

// Options tunes Train. The zero value is valid apart from Metric, which
// has no default: its zero value is flat.InnerProduct (spherical k-means),
// so L2 callers must say flat.L2.
type Options struct {
	// Seed makes the sample, the seeding and so the centroids reproducible.
	Seed uint64
	// Iterations is the maximum number of Lloyd iterations (default
	// DefaultIterations); training stops early when no assignment changes.
	Iterations int
	// SampleSize is the number of points drawn at random (without
	// replacement) to train on: default 256*k, capped by the number of
	// points and raised to k.
	SampleSize int
	// InitSize is the number of sample points k-means++ seeds from:
	// default 16*k, capped by the sample and raised to k. Seeding costs k
	// passes over them.
	InitSize int
	// Metric is flat.L2 or flat.InnerProduct (spherical k-means).
	Metric flat.Metric
	// Workers is the number of goroutines (0 means GOMAXPROCS).
	Workers int
}

// DefaultIterations is the default Options.Iterations (Faiss's default
// niter is 25; 20 loses nothing measurable on the recall tests).
const DefaultIterations = 20

// ErrTooFewPoints is returned by Train when there are fewer points than
// centroids.
var ErrTooFewPoints = errors.New("kmeans: fewer points than centroids")

// splitEps is the relative perturbation that separates the two halves of
// a split cluster (Faiss's EPS).
const splitEps = 1.0 / 1024

// Train returns k centroids (k*dim floats, back to back) for the n =
// len(data)/dim points of data. See the package documentation for the
// algorithm. It fails on bad shapes, fewer points than centroids, a
// metric other than L2 or InnerProduct, or a sampled point with a NaN or
// infinite coordinate.
func Train(data []float32, dim, k int, opt Options) ([]float32, error) {
	if dim <= 0 || len(data)%dim != 0 {
		return nil, fmt.Errorf("kmeans: %d floats do not hold whole vectors of dimension %d", len(data), dim)
	}
	if k <= 0 {
		return nil, fmt.Errorf("kmeans: k = %d, want > 0", k)
	}
	if opt.Metric != flat.L2 && opt.Metric != flat.InnerProduct {
		return nil, fmt.Errorf("kmeans: metric %d is not L2 or inner product", opt.Metric)
	}
	n := len(data) / dim
	if n < k {
		return nil, fmt.Errorf("%w: %d points, k = %d", ErrTooFewPoints, n, k)
	}
	if opt.Iterations <= 0 {
		opt.Iterations = DefaultIterations
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	ns := opt.SampleSize
	if ns <= 0 {
		ns = 256 * k
	}
	ns = max(k, min(ns, n))
	ni := opt.InitSize
	if ni <= 0 {
		ni = 16 * k
	}
	ni = max(k, min(ni, ns))

	rng := rand.New(rand.NewPCG(opt.Seed, 0x6b6d65616e73)) // "kmeans"
	sample := drawSample(data, dim, n, ns, rng)
	for i, x := range sample {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("kmeans: sampled point has a non-finite coordinate %v (float %d of the sample)", x, i)
		}
	}
	cent := seedPlusPlus(sample[:ni*dim], dim, k, rng, opt.Workers)
	if opt.Metric == flat.InnerProduct {
		normalizeRows(cent, dim)
	}
	lloyd(sample, cent, dim, k, opt)
	return cent, nil
}

// drawSample copies ns of the n points of data, chosen uniformly without
// replacement and in random order (a sparse Fisher-Yates shuffle).
func drawSample(data []float32, dim, n, ns int, rng *rand.Rand) []float32 {
	out := make([]float32, ns*dim)
	moved := make(map[int]int, ns)
	at := func(i int) int {
		if v, ok := moved[i]; ok {
			return v
		}
		return i
	}
	for i := range ns {
		j := i + rng.IntN(n-i)
		vi, vj := at(i), at(j)
		moved[j] = vi
		copy(out[i*dim:(i+1)*dim], data[vj*dim:(vj+1)*dim])
	}
	return out
}

// lloyd runs the Lloyd iterations on the sample, updating cent in place.
func lloyd(sample, cent []float32, dim, k int, opt Options) {
	ns := len(sample) / dim
	assign, prev := make([]int32, ns), make([]int32, ns)
	sums := make([]float64, k*dim)
	counts := make([]int, k)
	for it := range opt.Iterations {
		AssignBatch(cent, dim, opt.Metric, sample, assign, nil, opt.Workers)
		if it > 0 && equal(assign, prev) {
			return
		}
		assign, prev = prev, assign
		// prev now holds this iteration's assignment.
		clear(counts)
		for _, a := range prev {
			counts[a]++
		}
		sumRows(sample, prev, sums, dim, opt.Workers)
		for c := range k {
			if counts[c] == 0 {
				continue
			}
			inv := 1 / float64(counts[c])
			row := cent[c*dim : (c+1)*dim]
			for j := range row {
				row[j] = float32(sums[c*dim+j] * inv)
			}
		}
		splitEmpty(cent, counts, dim)
		if opt.Metric == flat.InnerProduct {
			normalizeRows(cent, dim)
		}
	}
}

func equal(a, b []int32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// sumRows sets sums[c*dim+j] to the sum of coordinate j over the points
// assigned to c. Workers split the dimensions, so every sum is accumulated
// in point order whatever their number.
func sumRows(sample []float32, assign []int32, sums []float64, dim, workers int) {
	clear(sums)
	workers = max(1, min(workers, dim))
	per := (dim + workers - 1) / workers
	var wg sync.WaitGroup
	for d0 := 0; d0 < dim; d0 += per {
		d1 := min(d0+per, dim)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, a := range assign {
				row := sample[i*dim+d0 : i*dim+d1]
				s := sums[int(a)*dim+d0 : int(a)*dim+d1]
				for j, x := range row {
					s[j] += float64(x)
				}
			}
		}()
	}
	wg.Wait()
}

// splitEmpty re-seeds every empty cluster by splitting the largest one in
// two (Faiss's rule, with the largest cluster instead of a random one):
// the empty centroid becomes a copy of the largest's, and the two are
// pushed apart by a relative splitEps in alternating directions.
func splitEmpty(cent []float32, counts []int, dim int) {
	for ci, n := range counts {
		if n != 0 {
			continue
		}
		cj := 0
		for c, m := range counts {
			if m > counts[cj] {
				cj = c
			}
		}
		a, b := cent[ci*dim:(ci+1)*dim], cent[cj*dim:(cj+1)*dim]
		for j := range a {
			if j%2 == 0 {
				a[j], b[j] = b[j]*(1+splitEps), b[j]*(1-splitEps)
			} else {
				a[j], b[j] = b[j]*(1-splitEps), b[j]*(1+splitEps)
			}
		}
		counts[ci] = counts[cj] / 2
		counts[cj] -= counts[ci]
	}
}

func normalizeRows(x []float32, dim int) {
	for i := 0; i < len(x); i += dim {
		distance.Normalize(x[i : i+dim])
	}
}

// Sample returns ns of the n = len(data)/dim rows of data, drawn
// uniformly without replacement in random order for the seed (a copy of
// all of them, shuffled, if ns >= n).
func Sample(data []float32, dim, ns int, seed uint64) []float32 {
	n := len(data) / dim
	rng := rand.New(rand.NewPCG(seed, 0x73616d706c65)) // "sample"
	return drawSample(data, dim, n, min(ns, n), rng)
}
