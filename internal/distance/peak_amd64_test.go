//go:build !purego

package distance

import (
	"time"

	"golang.org/x/sys/cpu"
)

// measurePeak returns this core's vector FMA throughput in flop/s, measured
// with the fmaPeak micro-kernels of the generator (16 independent zmm FMA
// chains, or 12 ymm chains without AVX-512, on zeros so no denormals). It
// is the "peak" that the benchmarks' peak_frac metric divides by: the
// AVX-512 FMA peak where the CPU has AVX-512, else the AVX2 one.
func measurePeak() float64 {
	run, flopsPerIter := fmaPeakAVX2, 2*8*12
	switch {
	case cpu.X86.HasAVX512F:
		run, flopsPerIter = fmaPeakAVX512, 2*16*16
	case !cpu.X86.HasAVX2 || !cpu.X86.HasFMA:
		return 0
	}
	// Fastest of many short runs: the machine may be shared, and a run that
	// lost the core to another process must not lower the peak.
	const iters = 1 << 18 // ~0.6 ms per run
	run(4 * iters)        // warm up: let the core reach its vector clock
	best := time.Duration(1<<63 - 1)
	for r := 0; r < 25; r++ {
		t0 := time.Now()
		run(iters)
		best = min(best, time.Since(t0))
	}
	return float64(flopsPerIter) * iters / best.Seconds()
}
