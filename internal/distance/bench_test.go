package distance

import (
	"fmt"
	"sync"
	"testing"
)

// Benchmarks report, besides ns/op:
//
//   - peak_frac: achieved flop/s divided by this core's FMA peak, measured
//     in the same run by measurePeak (a micro-kernel of independent vector
//     FMA chains; peak_flops = measured, not a datasheet number). Flops are
//     counted as arithmetic per element: Dot 2 (mul, add), L2Sq 3 (sub, mul,
//     add), L1 2 (sub, add; abs is a bitwise and). Note that a one-pair
//     kernel loads two vectors per FMA, so on a core with two vector load
//     ports and two FMA ports Dot is load-bound at 0.5 of peak (L2Sq at
//     0.75) before call and reduction overhead.
//   - GB/s (batch forms): bytes of base scanned per second (for Batch4 the
//     base is read once for four queries).
//
// Run: go test -run x -bench . -benchtime 200ms ./internal/distance

var dims = []int{128, 768, 1536}

var (
	peakOnce  sync.Once
	peakFlops float64
)

func peak() float64 {
	peakOnce.Do(func() { peakFlops = measurePeak() })
	return peakFlops
}

// fill writes deterministic pseudo-random values in [-1, 1) quickly.
func fill(v []float32, seed uint64) {
	x := seed*0x9e3779b97f4a7c15 | 1
	for i := range v {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		v[i] = float32(x>>40)/float32(1<<23) - 1
	}
}

func vec(n int, seed uint64) []float32 {
	v := make([]float32, n)
	fill(v, seed)
	return v
}

// report adds the peak_frac (and, if bytes > 0, GB/s) metrics for an
// operation of flops floating-point operations over bytes of base.
func report(b *testing.B, flops, bytes float64) {
	sec := b.Elapsed().Seconds() / float64(b.N)
	if p := peak(); p > 0 && flops > 0 {
		b.ReportMetric(flops/sec/p, "peak_frac")
	}
	if bytes > 0 {
		b.ReportMetric(bytes/sec/1e9, "GB/s")
	}
}

// Sinks for benchmark and allocation-test results, so that the calls
// producing them stay.
var (
	sink    float32
	sinkI32 int32
)

// scoreLoop returns a benchmark that calls score(x, y) for b.Loop,
// summing the results into sink.
func scoreLoop[X, Y any, S float32 | int32 | int](score func(X, Y) S, x X, y Y) func(*testing.B) {
	return func(b *testing.B) {
		var s S
		for b.Loop() {
			s += score(x, y)
		}
		sink = float32(s)
	}
}

func benchPair(b *testing.B, f func(a, b []float32) float32, flopsPerElem int) {
	peak()
	for _, d := range dims {
		b.Run(fmt.Sprintf("dim=%d", d), func(b *testing.B) {
			scoreLoop(f, vec(d, 1), vec(d, 2))(b)
			report(b, float64(flopsPerElem*d), 0)
		})
	}
}

func BenchmarkDot(b *testing.B)  { benchPair(b, Dot, 2) }
func BenchmarkL2Sq(b *testing.B) { benchPair(b, L2Sq, 3) }
func BenchmarkL1(b *testing.B)   { benchPair(b, L1, 2) }

// BenchmarkDotImpl compares the implementations this CPU supports on the
// same data (the generic one is the peer the assembly is measured against).
func BenchmarkDotImpl(b *testing.B) {
	peak()
	for _, im := range supported() {
		b.Run("impl="+im.name+"/dim=768", func(b *testing.B) {
			scoreLoop(im.dot, vec(768, 1), vec(768, 2))(b)
			report(b, 2*768, 0)
		})
	}
}

// batchSizes are in-cache bases (~512 KiB, in L2) and a large one (1 GiB,
// beyond the last-level cache) whose scan runs at memory bandwidth; compare
// it with BenchmarkStreamPeer.
var batchSizes = []struct{ d, n int }{
	{128, 1024}, {768, 170}, {1536, 85},
	{768, bigN},
}

const bigN = 1 << 30 / (4 * 768)

var (
	bigBaseOnce sync.Once
	bigBase     []float32
)

func baseFor(d, n int) []float32 {
	if d*n < 1<<20 {
		return vec(d*n, 3)
	}
	bigBaseOnce.Do(func() { bigBase = vec(768*bigN, 3) })
	return bigBase[:d*n]
}

func benchBatch(b *testing.B, f func(q, base, out []float32), flopsPerElem int) {
	peak()
	for _, s := range batchSizes {
		b.Run(fmt.Sprintf("dim=%d/n=%d", s.d, s.n), func(b *testing.B) {
			q, base, out := vec(s.d, 1), baseFor(s.d, s.n), make([]float32, s.n)
			b.SetBytes(int64(4 * len(base)))
			for b.Loop() {
				f(q, base, out)
			}
			report(b, float64(flopsPerElem*len(base)), float64(4*len(base)))
		})
	}
}

func BenchmarkDotBatch(b *testing.B)  { benchBatch(b, DotBatch, 2) }
func BenchmarkL2SqBatch(b *testing.B) { benchBatch(b, L2SqBatch, 3) }
func BenchmarkL1Batch(b *testing.B)   { benchBatch(b, L1Batch, 2) }

func benchBatch4(b *testing.B, f batch4Func, flopsPerElem int) {
	peak()
	for _, s := range batchSizes {
		b.Run(fmt.Sprintf("dim=%d/n=%d", s.d, s.n), func(b *testing.B) {
			base := baseFor(s.d, s.n)
			var qs, outs [4][]float32
			for j := range qs {
				qs[j], outs[j] = vec(s.d, uint64(10+j)), make([]float32, s.n)
			}
			b.SetBytes(int64(4 * len(base)))
			for b.Loop() {
				f(qs[0], qs[1], qs[2], qs[3], base, outs[0], outs[1], outs[2], outs[3])
			}
			report(b, float64(4*flopsPerElem*len(base)), float64(4*len(base)))
		})
	}
}

func BenchmarkDotBatch4(b *testing.B)  { benchBatch4(b, DotBatch4, 2) }
func BenchmarkL2SqBatch4(b *testing.B) { benchBatch4(b, L2SqBatch4, 3) }

// BenchmarkStreamPeer is the memory-bandwidth peer of the large batch
// benchmarks: it streams the same 1 GiB base, loading one word per 64-byte
// line (memory moves whole lines) into 8 independent sums, and reports
// GB/s. A batch kernel running at this rate is memory-bound.
func BenchmarkStreamPeer(b *testing.B) {
	base := baseFor(768, bigN)
	b.SetBytes(int64(4 * len(base)))
	for b.Loop() {
		var s [8]float32
		for i := 0; i+128 <= len(base); i += 128 {
			v := base[i : i+128 : i+128]
			s[0] += v[0]
			s[1] += v[16]
			s[2] += v[32]
			s[3] += v[48]
			s[4] += v[64]
			s[5] += v[80]
			s[6] += v[96]
			s[7] += v[112]
		}
		sink = s[0] + s[1] + s[2] + s[3] + s[4] + s[5] + s[6] + s[7]
	}
	report(b, 0, float64(4*len(base)))
}

// BenchmarkFMAPeak reports the measured peak itself, in GFLOP/s.
func BenchmarkFMAPeak(b *testing.B) {
	for b.Loop() {
		peakFlops = measurePeak()
	}
	b.ReportMetric(peakFlops/1e9, "GFLOP/s")
}
