package ivf

import (
	"fmt"
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

var benchIndexes sync.Map // PQM -> *Index over benchBase

var benchBase = sync.OnceValue(func() flat.Vectors { return clustered(200_000, 128, 2000, 0.3, 1) })

func benchIndex(b *testing.B, pqm int) *Index {
	if x, ok := benchIndexes.Load(pqm); ok {
		return x.(*Index)
	}
	x := build(b, Config{Dim: 128, Metric: flat.L2, Nlist: 256, PQM: pqm, Seed: 1}, benchBase())
	benchIndexes.Store(pqm, x)
	return x
}

// BenchmarkSearch measures one-thread search latency on 200,000 clustered
// vectors of dimension 128 in 256 lists (about 780 entries a list).
func BenchmarkSearch(b *testing.B) {
	queries := clustered(1000, 128, 2000, 0.3, 2)
	for _, pqm := range []int{0, 16, 32} {
		for _, nprobe := range []int{4, 16} {
			b.Run(fmt.Sprintf("PQM=%d/nprobe=%d", pqm, nprobe), func(b *testing.B) {
				x := benchIndex(b, pqm)
				i := 0
				for b.Loop() {
					x.Search(queries.Row(uint32(i%1000)), SearchParams{K: 10, Nprobe: nprobe})
					i++
				}
				perList := float64(x.Len()) / float64(x.cfg.Nlist)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(perList*float64(nprobe)), "ns/entry")
			})
		}
	}
}

// BenchmarkSearchBatch is BenchmarkSearch through SearchBatch on one
// worker (1,000 queries per op; reports ns per query).
func BenchmarkSearchBatch(b *testing.B) {
	queries := clustered(1000, 128, 2000, 0.3, 2)
	qs := make([][]float32, 1000)
	for i := range qs {
		qs[i] = queries.Row(uint32(i))
	}
	for _, pqm := range []int{16} {
		for _, nprobe := range []int{1, 4, 16} {
			b.Run(fmt.Sprintf("PQM=%d/nprobe=%d", pqm, nprobe), func(b *testing.B) {
				x := benchIndex(b, pqm)
				for b.Loop() {
					x.SearchBatch(qs, SearchParams{K: 10, Nprobe: nprobe}, 1)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(qs)), "ns/query")
			})
		}
	}
}
