package collection

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/bm25"
	"github.com/needlevdb/needle/internal/pointid"
)

// BenchmarkBM25Query builds a corpus of 1M generated documents (Zipf-distributed words from a
// 50,000-word vocabulary, 8–24 words each) as BM25 sparse vectors with the IDF modifier, and
// reports the latency of two-to-four-word queries: p50 and p99 over the run.
func BenchmarkBM25Query(b *testing.B) {
	const docs, vocab = 1_000_000, 50_000
	m, err := OpenManager(b.TempDir(), testOptions(), quiet)
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	m.Create("t", &Config{Vectors: map[string]VectorParams{}, SparseVectors: map[string]SparseParams{"bm25": {Modifier: "idf"}}})
	c, _ := m.Get("t")
	rng := rand.New(rand.NewSource(1))
	zipf := rand.NewZipf(rng, 1.1, 10, vocab-1)
	word := func() string { return fmt.Sprintf("w%dx", zipf.Uint64()) }
	o := bm25.DefaultOptions()
	t0 := time.Now()
	for from := 0; from < docs; from += 10_000 {
		op := &Op{Kind: OpUpsert}
		for i := from; i < from+10_000; i++ {
			n := 8 + rng.Intn(17)
			ws := make([]string, n)
			for j := range ws {
				ws[j] = word()
			}
			idx, val := bm25.Document(strings.Join(ws, " "), o)
			op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Sparse: map[string]SparseVector{"bm25": {Indices: idx, Values: val}}})
		}
		if _, err := c.Submit(context.Background(), op, false); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Checkpoint(); err != nil {
		b.Fatal(err)
	}
	b.Logf("indexed %d documents in %.1fs", docs, time.Since(t0).Seconds())
	queries := make([]SparseVector, 256)
	for i := range queries {
		ws := make([]string, 2+rng.Intn(3))
		for j := range ws {
			ws[j] = word()
		}
		idx, val := bm25.Query(strings.Join(ws, " "))
		queries[i] = SparseVector{Indices: idx, Values: val}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		s := time.Now()
		if _, err := c.Search(context.Background(), SearchRequest{Sparse: &q, Using: "bm25", Limit: 10}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(s))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}
