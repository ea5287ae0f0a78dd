package distance

import (
	"fmt"
	"math"
	"testing"
)

// Scan kernel benchmarks (metrics as in bench_test.go).
//
// BenchmarkPanel: one panel of PanelWidth() queries against an L2-resident
// tile of base vectors (about 1 MiB, the size internal/index/flat uses) with
// bounds that nothing passes, so it measures the micro-kernel alone: 2*d
// flops per query and base vector. The base tile is read once per panel.
//
// BenchmarkL2SqBatchBelow / BenchmarkDotBatchAbove: the one-query bound
// kernels over the in-cache and 1 GiB bases of the batch benchmarks, with a
// bound nothing passes; compare with BenchmarkL2SqBatch / BenchmarkDotBatch
// and, for the 1 GiB base, BenchmarkStreamPeer.

func BenchmarkPanel(b *testing.B) {
	peak()
	w := PanelWidth()
	for _, s := range []struct{ d, n int }{{128, 2040}, {784, 336}, {768, 336}, {1536, 168}} {
		b.Run(fmt.Sprintf("dim=%d/n=%d/w=%d", s.d, s.n, w), func(b *testing.B) {
			qs := make([][]float32, w)
			for l := range qs {
				qs[l] = vec(s.d, uint64(20+l))
			}
			panel := make([]float32, s.d*w)
			PackPanel(panel, qs)
			base, add := vec(s.d*s.n, 3), vec(s.n, 4)
			bound := make([]float32, w)
			for l := range bound {
				bound[l] = float32(math.Inf(-1))
			}
			idx, mask, dist := make([]uint32, s.n), make([]uint32, s.n), make([]float32, s.n*w)
			for b.Loop() {
				PanelScan(panel, base, add, -2, bound, idx, mask, dist)
			}
			report(b, float64(2*s.d*s.n*w), float64(4*len(base)))
		})
	}
}

// BenchmarkPanelImpl compares the panel kernels this CPU supports at
// d=784 on the same 1 MiB tile (flops counted for each one's panel width).
func BenchmarkPanelImpl(b *testing.B) {
	peak()
	const d, n = 784, 336
	for _, im := range scanSupported() {
		w := im.width
		b.Run(fmt.Sprintf("impl=%s/w=%d", im.name, w), func(b *testing.B) {
			qs := make([][]float32, w)
			for l := range qs {
				qs[l] = vec(d, uint64(20+l))
			}
			panel := make([]float32, d*w)
			packPanel(w, panel, qs)
			base, add := vec(d*n, 3), vec(n, 4)
			bound := make([]float32, w)
			for l := range bound {
				bound[l] = float32(math.Inf(-1))
			}
			idx, mask, dist := make([]uint32, n), make([]uint32, n), make([]float32, n*w)
			for b.Loop() {
				im.panel(panel, base, add, -2, bound, idx, mask, dist)
			}
			report(b, float64(2*d*n*w), float64(4*len(base)))
		})
	}
}

func benchBound(b *testing.B, f func(q, base []float32, bound float32, idx []uint32, dist []float32) int, bound float32, flopsPerElem int) {
	peak()
	for _, s := range batchSizes {
		b.Run(fmt.Sprintf("dim=%d/n=%d", s.d, s.n), func(b *testing.B) {
			q, base := vec(s.d, 1), baseFor(s.d, s.n)
			idx, dist := make([]uint32, s.n), make([]float32, s.n)
			b.SetBytes(int64(4 * len(base)))
			for b.Loop() {
				f(q, base, bound, idx, dist)
			}
			report(b, float64(flopsPerElem*len(base)), float64(4*len(base)))
		})
	}
}

func BenchmarkL2SqBatchBelow(b *testing.B) { benchBound(b, L2SqBatchBelow, -1, 3) }
func BenchmarkDotBatchAbove(b *testing.B)  { benchBound(b, DotBatchAbove, float32(math.Inf(1)), 2) }
