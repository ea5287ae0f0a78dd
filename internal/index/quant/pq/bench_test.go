package pq

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

// scanCodes is the number of codes of the scan benchmarks: 64 Ki codes of
// 16 or 32 bytes (1-2 MiB) stay in L2, like an inverted list does.
const scanCodes = 1 << 16

func randomCodes(n, m int) []byte {
	rng := rand.New(rand.NewPCG(7, 8))
	c := make([]byte, n*m)
	for i := range c {
		c[i] = byte(rng.IntN(256))
	}
	return c
}

// BenchmarkSums measures the sequential scan (Scorer.ScoreRange) in ns per
// code.
func BenchmarkSums(b *testing.B) {
	for _, m := range []int{8, 16, 32} {
		b.Run(fmt.Sprintf("M=%d", m), func(b *testing.B) {
			tab := randomTable(m, rand.New(rand.NewPCG(1, 1)))
			codes := randomCodes(scanCodes, m)
			out := make([]float32, scanCodes)
			for b.Loop() {
				Sums(tab, codes, 0, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*scanCodes), "ns/code")
		})
	}
}

// BenchmarkScanBelow measures the bounded scan an inverted list uses, with
// a bound that about 1 % of the codes pass.
func BenchmarkScanBelow(b *testing.B) {
	for _, m := range []int{16, 32} {
		b.Run(fmt.Sprintf("M=%d", m), func(b *testing.B) {
			tab := randomTable(m, rand.New(rand.NewPCG(1, 1)))
			codes := randomCodes(scanCodes, m)
			idx, dist := make([]uint32, scanCodes), make([]float32, scanCodes)
			bound := -2.3 * float32(m) / 4 // sum of m N(0,1): ~1 % below -2.3 sigma
			var kept int
			for b.Loop() {
				kept = ScanBelow(tab, codes, 0, bound, idx, dist)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*scanCodes), "ns/code")
			b.ReportMetric(float64(kept)/scanCodes, "kept")
		})
	}
}

// BenchmarkGather measures Scorer.Score over random slots of 1 Mi codes.
func BenchmarkGather(b *testing.B) {
	const n = 1 << 20
	for _, m := range []int{16, 32} {
		b.Run(fmt.Sprintf("M=%d", m), func(b *testing.B) {
			tab := randomTable(m, rand.New(rand.NewPCG(1, 1)))
			codes := randomCodes(n, m)
			rng := rand.New(rand.NewPCG(2, 2))
			ids := make([]uint32, 1024)
			for i := range ids {
				ids[i] = uint32(rng.IntN(n))
			}
			out := make([]float32, len(ids))
			for b.Loop() {
				Gather(tab, codes, ids, 0, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(ids)), "ns/code")
		})
	}
}

// BenchmarkTable measures building the ADC table of one query (d=128).
func BenchmarkTable(b *testing.B) {
	v := clustered(2000, 128, 20, 0.3, 1)
	for _, m := range []int{16, 32} {
		q, err := Train(v, m, flat.L2, Options{Seed: 1, Iterations: 2})
		if err != nil {
			b.Fatal(err)
		}
		t := NewTable(m)
		b.Run(fmt.Sprintf("M=%d/L2", m), func(b *testing.B) {
			for b.Loop() {
				q.Table(v.Row(1), t)
			}
		})
		b.Run(fmt.Sprintf("M=%d/Dot", m), func(b *testing.B) {
			for b.Loop() {
				q.DotTable(v.Row(1), -2, t)
			}
		})
		b.Run(fmt.Sprintf("M=%d/Add", m), func(b *testing.B) {
			for b.Loop() {
				AddTables(t, t, q.Norms())
			}
		})
	}
}

// BenchmarkEncodeBatch encodes 100,000 vectors of dimension 128 (M=16).
func BenchmarkEncodeBatch(b *testing.B) {
	v := clustered(100_000, 128, 200, 0.3, 1)
	q, err := Train(v, 16, flat.L2, Options{Seed: 1, Iterations: 5})
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, v.Slots()*16)
	for b.Loop() {
		q.EncodeBatch(v.Data, dst, 0)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*v.Slots()), "ns/vector")
}

// BenchmarkScorerReset measures building a Scorer's table for one query
// (d=128).
func BenchmarkScorerReset(b *testing.B) {
	v := clustered(2000, 128, 20, 0.3, 1)
	for _, m := range []int{16, 32} {
		q, err := Train(v, m, flat.L2, Options{Seed: 1, Iterations: 2})
		if err != nil {
			b.Fatal(err)
		}
		s := q.EncodeAll(v).Scorer()
		b.Run(fmt.Sprintf("M=%d", m), func(b *testing.B) {
			for b.Loop() {
				s.Reset(v.Row(1))
			}
		})
	}
}
