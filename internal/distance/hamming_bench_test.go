package distance

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// Binary-code widths of the benchmarks: 128, 256, 384, 768 and 1536
// dimensions at one bit each.
var hammingWords = []int{2, 4, 6, 12, 24}

func randWords(r *rand.Rand, n int) []uint64 {
	w := make([]uint64, n)
	for i := range w {
		w[i] = r.Uint64()
	}
	return w
}

// BenchmarkHammingImpl compares the implementations this CPU supports on
// one in-cache pair (the generic one is the peer).
func BenchmarkHammingImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, w := range hammingWords {
		x, y := randWords(r, w), randWords(r, w)
		for _, im := range bitsSupported() {
			b.Run(fmt.Sprintf("words=%d/impl=%s", w, im.name), scoreLoop(im.hamming, x, y))
		}
	}
}

// BenchmarkHammingBatchImpl scores a query against 4096 codes stored back
// to back (in L2) per call; ns/code is the time per code.
func BenchmarkHammingBatchImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 4096
	for _, w := range hammingWords {
		q, codes, out := randWords(r, w), randWords(r, w*n), make([]int32, n)
		for _, im := range bitsSupported() {
			b.Run(fmt.Sprintf("words=%d/impl=%s", w, im.name), func(b *testing.B) {
				b.SetBytes(int64(8 * len(codes)))
				for b.Loop() {
					im.hammingBatch(q, codes, out)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/code")
			})
		}
	}
}

// BenchmarkHammingGatherImpl scores a query against 32 random rows per
// call (one node expansion of an M=16 graph search), picked from 4096 rows
// (in cache: the kernel's own cost) or from 256 MiB (memory latency, which
// the row prefetching overlaps).
func BenchmarkHammingGatherImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	const calls = 1 << 12 // id lists, drawn before the timing
	ids := make([]uint32, 32*calls)
	out := make([]int32, 32)
	for _, w := range hammingWords {
		q := randWords(r, w)
		big := benchRows(8 * w)
		codes := randWords(r, w*big)
		for _, rows := range []int{4096, big} {
			for j := range ids {
				ids[j] = uint32(r.IntN(rows))
			}
			for _, im := range bitsSupported() {
				b.Run(fmt.Sprintf("words=%d/rows=%d/impl=%s", w, rows, im.name), func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						c := i % calls
						im.hammingGather(q, codes, w, ids[32*c:32*(c+1)], out)
					}
				})
			}
		}
	}
}
