package distance

import (
	"fmt"
	"math"
	"os"
	"testing"
	"time"
)

// minTime runs f reps times and returns the fastest.
func minTime(reps int, f func()) time.Duration {
	best := time.Hour
	for i := 0; i < reps; i++ {
		t0 := time.Now()
		f()
		best = min(best, time.Since(t0))
	}
	return best
}

func TestScratchPanel(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	p := peak()
	for _, im := range scanSupported() {
		w := im.width
		for _, s := range []struct{ d, n int }{{128, 2040}, {784, 336}, {768, 336}, {1536, 168}, {128, 240}, {784, 48}} {
			qs := make([][]float32, w)
			for l := range qs {
				qs[l] = vec(s.d, uint64(20+l))
			}
			panel := make([]float32, s.d*w)
			packPanel(w, panel, qs)
			base, add := vec(s.d*s.n, 3), vec(s.n, 4)
			bound := make([]float32, w)
			for l := range bound {
				bound[l] = float32(math.Inf(-1))
			}
			idx, mask, dist := make([]uint32, s.n), make([]uint32, s.n), make([]float32, s.n*w)
			f := func() { im.panel(panel, base, add, -2, bound, idx, mask, dist) }
			f()
			dt := minTime(300, f)
			fl := float64(2 * s.d * s.n * w)
			fmt.Printf("%s panel d=%d n=%d: %v  %.3f of peak (%.0f GF/s)\n", im.name, s.d, s.n, dt, fl/dt.Seconds()/p, p/1e9)
		}
	}
}

func TestScratchBound(t *testing.T) {
	if os.Getenv("SCRATCH") == "" {
		t.Skip()
	}
	for _, s := range []struct{ d, n int }{{128, 1024}, {768, 170}, {128, 64}, {784, 83}} {
		q, base := vec(s.d, 1), vec(s.d*s.n, 3)
		idx, dist := make([]uint32, s.n), make([]float32, s.n)
		f := func() { L2SqBatchBelow(q, base, -1, idx, dist) }
		g := func() { L2SqBatch(q, base, dist) }
		f()
		df, dg := minTime(2000, f), minTime(2000, g)
		fmt.Printf("d=%d n=%d: below %v (%.1f GB/s)  batch %v (%.1f GB/s)\n", s.d, s.n, df, float64(4*len(base))/df.Seconds()/1e9, dg, float64(4*len(base))/dg.Seconds()/1e9)
	}
}
