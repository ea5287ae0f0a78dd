package knngraph

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/needlevdb/needle/internal/bench"
	"github.com/needlevdb/needle/internal/distance"
)

// clustered returns n unit vectors of dim floats around n/100 random centres (like the shared
// benchmark recipe: centre + 0.35·noise, normalised), deterministic for a seed.
func clustered(n, dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	nc := max(1, n/100)
	centres := make([]float64, nc*dim)
	for i := range centres {
		centres[i] = rng.NormFloat64()
	}
	out := make([]float32, n*dim)
	for r := range n {
		c := rng.IntN(nc)
		var ss float64
		v := make([]float64, dim)
		for t := range dim {
			v[t] = centres[c*dim+t] + 0.35*rng.NormFloat64()
			ss += v[t] * v[t]
		}
		inv := 1 / math.Sqrt(ss)
		for t := range dim {
			out[r*dim+t] = float32(v[t] * inv)
		}
	}
	return out
}

func runSteps(e *exact) {
	for i := range e.nb {
		e.step(i, func() {})
	}
}

// BenchmarkExact measures the whole exact job (all steps) on clustered unit vectors; pairs/s
// counts scored pairs (each unordered pair once) and GFLOP/s the kernel arithmetic (2·dim per pair).
func BenchmarkExact(b *testing.B) {
	for _, c := range []struct{ n, dim, k, block int }{
		{20000, 768, 200, 0}, {20000, 768, 200, 96}, {20000, 768, 200, 576},
		{50000, 128, 100, 0}, {50000, 128, 100, 384},
	} {
		block := c.block
		if block == 0 {
			block = blockRows(c.dim, c.n, Cosine)
		}
		b.Run(fmt.Sprintf("n=%d/dim=%d/k=%d/block=%d", c.n, c.dim, c.k, block), func(b *testing.B) {
			data := clustered(c.n, c.dim, 1)
			mods := []*modality{{dim: c.dim, weight: 1, data: data}}
			b.ResetTimer()
			for range b.N {
				runSteps(newExact(mods, Cosine, c.k, block, true, float32(math.Inf(1)), runtime.GOMAXPROCS(0)))
			}
			pairs := float64(c.n) * float64(c.n+block) / 2
			sec := b.Elapsed().Seconds() / float64(b.N)
			b.ReportMetric(pairs/sec, "pairs/s")
			b.ReportMetric(pairs*2*float64(c.dim)/sec/1e9, "GFLOP/s")
		})
	}
}

// BenchmarkPush streams random candidates into rows as the J side does (bound check, then push)
// and reports the time per accepted push (rejections included in the cost).
func BenchmarkPush(b *testing.B) {
	const rows, k, stream = 256, 200, 20000
	rng := rand.New(rand.NewPCG(1, 1))
	u := make([]float32, 1<<20)
	for i := range u {
		u[i] = rng.Float32()
	}
	pushes := 0
	b.ResetTimer()
	for range b.N {
		h := newHeaps(rows, k, float32(math.Inf(1)))
		x := 0
		for c := range stream {
			for r := range rows {
				d := u[x&(len(u)-1)]
				x++
				if d <= h.bound[r] {
					h.push(r, d, uint32(c))
					pushes++
				}
			}
		}
	}
	b.ReportMetric(b.Elapsed().Seconds()*1e9/float64(pushes), "ns/push")
	b.ReportMetric(float64(pushes)/float64(b.N)/rows, "pushes/row")
}

// BenchmarkExactFile profiles the steps of a real dataset: KNNGRAPH_BENCH_FILE names a .npy or
// .fvecs matrix (cosine, k = 200; KNNGRAPH_BENCH_ROWS and KNNGRAPH_BENCH_STEPS limit the work).
// Skipped without the variable.
func BenchmarkExactFile(b *testing.B) {
	path := os.Getenv("KNNGRAPH_BENCH_FILE")
	if path == "" {
		b.Skip("set KNNGRAPH_BENCH_FILE to a .npy/.fvecs matrix")
	}
	m, err := bench.ReadMatrix(path)
	if err != nil {
		b.Fatal(err)
	}
	n := m.Rows
	if v, err := strconv.Atoi(os.Getenv("KNNGRAPH_BENCH_ROWS")); err == nil {
		n = min(n, v)
	}
	data := m.Data[:n*m.Cols]
	for r := range n {
		distance.Normalize(data[r*m.Cols : (r+1)*m.Cols])
	}
	mods := []*modality{{dim: m.Cols, weight: 1, data: data}}
	block := blockRows(m.Cols, n, Cosine)
	for range b.N {
		e := newExact(mods, Cosine, 200, block, false, float32(math.Inf(1)), runtime.GOMAXPROCS(0))
		steps := e.nb
		if v, err := strconv.Atoi(os.Getenv("KNNGRAPH_BENCH_STEPS")); err == nil {
			steps = min(steps, v)
		}
		for i := range steps {
			e.step(i, func() {})
		}
		pairs := float64(e.tilesUpTo(steps)) * float64(block*block)
		b.ReportMetric(pairs*2*float64(m.Cols)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	}
}
