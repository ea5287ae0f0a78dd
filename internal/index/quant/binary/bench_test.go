package binary

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

// benchCodes returns n codes of 768-d clustered unit vectors and 100 queries.
func benchCodes(b *testing.B, n int, m flat.Metric, e QueryEncoding) (*Codes, flat.Vectors) {
	b.Helper()
	v := clustered(n+100, 768, 0.35, 0, true, 1)
	base := flat.Vectors{Dim: v.Dim, Data: v.Data[:n*v.Dim]}
	qs := flat.Vectors{Dim: v.Dim, Data: v.Data[n*v.Dim:]}
	q, err := Train(base, m, Options{Query: e})
	if err != nil {
		b.Fatal(err)
	}
	c, err := q.EncodeAll(base, 0)
	if err != nil {
		b.Fatal(err)
	}
	return c, qs
}

// BenchmarkScoreRange is one query's scan of 20,000 768-d codes (1.9 MB, in L2/L3 cache),
// Reset included; ns/code is the cost per code.
func BenchmarkScoreRange(b *testing.B) {
	const n = 20000
	for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
		for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
			b.Run(fmt.Sprintf("%s/%s", metricName(m), e), func(b *testing.B) {
				c, qs := benchCodes(b, n, m, e)
				s := c.Scorer()
				out := make([]float32, n)
				b.ResetTimer()
				for i := 0; b.Loop(); i++ {
					s.Reset(qs.Row(uint32(i % qs.Slots())))
					s.ScoreRange(0, out)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/code")
			})
		}
	}
}

// BenchmarkScore scores 1,000 random slots of 20,000 (a graph traversal's gather).
func BenchmarkScore(b *testing.B) {
	const n = 20000
	for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
		b.Run(e.String(), func(b *testing.B) {
			c, qs := benchCodes(b, n, flat.InnerProduct, e)
			s := c.Scorer()
			s.Reset(qs.Row(0))
			rng := rand.New(rand.NewPCG(1, 2))
			ids := make([]uint32, 1000)
			for i := range ids {
				ids[i] = uint32(rng.IntN(n))
			}
			out := make([]float32, len(ids))
			for b.Loop() {
				s.Score(ids, out)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(ids)), "ns/code")
		})
	}
}

// BenchmarkReset is the per-query set-up: the rotation of the query and the lookup tables
// (asymmetric) or the query's code and similarity table (symmetric), 768-d.
func BenchmarkReset(b *testing.B) {
	for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
		b.Run(e.String(), func(b *testing.B) {
			c, qs := benchCodes(b, 1000, flat.InnerProduct, e)
			s := c.Scorer()
			for i := 0; b.Loop(); i++ {
				s.Reset(qs.Row(uint32(i % qs.Slots())))
			}
		})
	}
}

// BenchmarkEncodeAll encodes 20,000 768-d vectors on all cores.
func BenchmarkEncodeAll(b *testing.B) {
	v := clustered(20000, 768, 0.35, 0, true, 1)
	q, err := Train(v, flat.InnerProduct, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v.Data) * 4))
	for b.Loop() {
		if _, err := q.EncodeAll(v, 0); err != nil {
			b.Fatal(err)
		}
	}
}

func metricName(m flat.Metric) string {
	if m == flat.L2 {
		return "l2"
	}
	return "ip"
}
