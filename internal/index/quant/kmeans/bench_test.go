package kmeans

import (
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/index/flat"
)

// BenchmarkAssignBatch assigns 8,192 points of dimension 128 to 1,024
// centroids (the inner loop of Train for the IVF coarse quantizer).
func BenchmarkAssignBatch(b *testing.B) {
	const dim, k, n = 128, 1024, 8192
	cent, _ := clustered(k, dim, k, 1, 1)
	data, _ := clustered(n, dim, 500, 2, 2)
	out := make([]int32, n)
	b.SetBytes(int64(n * dim * 4))
	for b.Loop() {
		AssignBatch(cent, dim, flat.L2, data, out, nil, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/point")
}

// BenchmarkTrain trains 1,024 centroids on 100,000 points of dimension 128
// (run with -benchtime 1x: one op takes seconds).
func BenchmarkTrain(b *testing.B) {
	const dim, k, n = 128, 1024, 100_000
	data, _ := clustered(n, dim, 2000, 2, 3)
	for b.Loop() {
		t := time.Now()
		if _, err := Train(data, dim, k, Options{Seed: 1, Metric: flat.L2}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(t).Seconds(), "s/train")
	}
}
