package flat

import (
	"fmt"
	"math/rand"
	"testing"
)

// BenchmarkSearch reports single-query exact-scan throughput in bytes of vectors scanned per second.
func BenchmarkSearch(b *testing.B) {
	for _, shape := range []struct{ n, dim int }{{200_000, 128}, {60_000, 784}} {
		rng := rand.New(rand.NewSource(1))
		v := randomVectors(rng, shape.n, shape.dim)
		q := randomVectors(rng, 1, shape.dim).Data
		for _, m := range []Metric{L2, InnerProduct} {
			b.Run(fmt.Sprintf("n=%d/dim=%d/metric=%d", shape.n, shape.dim, m), func(b *testing.B) {
				b.SetBytes(int64(len(v.Data) * 4))
				for i := 0; i < b.N; i++ {
					Search(v, m, q, Params{K: 10, MaxDist: NoLimit})
				}
			})
		}
	}
}

// BenchmarkSearchBatch reports batched exact search (1,000 queries on all cores) in queries/s,
// for the shapes of fashion-mnist (60k x 784) and of a 200k-vector slice of clustered-1M-128.
func BenchmarkSearchBatch(b *testing.B) {
	for _, shape := range []struct{ n, dim int }{{60_000, 784}, {200_000, 128}} {
		rng := rand.New(rand.NewSource(1))
		v := randomVectors(rng, shape.n, shape.dim)
		qs := make([][]float32, 1000)
		for i := range qs {
			qs[i] = randomVectors(rng, 1, shape.dim).Data
		}
		for _, m := range []Metric{L2, InnerProduct} {
			b.Run(fmt.Sprintf("n=%d/dim=%d/metric=%d", shape.n, shape.dim, m), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					SearchBatch(v, m, qs, 10, nil, 0)
				}
				b.ReportMetric(float64(len(qs)*b.N)/b.Elapsed().Seconds(), "queries/s")
			})
		}
	}
}
