package distance

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchRows is the number of rows the gather benchmarks pick from: large
// enough (64-400 MiB) that the picked rows come from memory, as in a graph
// search over a big index, not from cache.
func benchRows(rowBytes int) int { return max(1<<12, (256<<20)/rowBytes) }

// BenchmarkGather scores a query against 32 random rows per call (one
// node expansion of an M=16 HNSW search), float32 rows against uint8
// code rows, at the dimensions of the benchmark datasets.
func BenchmarkGather(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range []int{128, 784} {
		ids := make([]uint32, 32)
		q := vec(d, 3)
		nf := benchRows(4 * d)
		base := make([]float32, nf*d)
		fill(base, 4)
		b.Run(fmt.Sprintf("l2f32/d=%d", d), func(b *testing.B) {
			out := make([]float32, len(ids))
			for i := 0; i < b.N; i++ {
				for j := range ids {
					ids[j] = uint32(r.IntN(nf))
				}
				L2SqGather(q, base, ids, out)
			}
		})
		stride := (d + 63) &^ 63
		nc := benchRows(stride)
		codes := randCodes(r, nc*stride)
		q16, q8 := codeQueries(r, stride)
		b.Run(fmt.Sprintf("l2u8/d=%d", d), func(b *testing.B) {
			out := make([]int32, len(ids))
			for i := 0; i < b.N; i++ {
				for j := range ids {
					ids[j] = uint32(r.IntN(nc))
				}
				L2SqU8Gather(q16, codes, stride, ids, out)
			}
		})
		b.Run(fmt.Sprintf("dotu8/d=%d", d), func(b *testing.B) {
			out := make([]int32, len(ids))
			for i := 0; i < b.N; i++ {
				for j := range ids {
					ids[j] = uint32(r.IntN(nc))
				}
				DotU8Gather(q8, codes, stride, ids, out)
			}
		})
	}
}

// BenchmarkCodeImpl compares the implementations of the uint8 code
// kernels this CPU supports on one in-cache pair (the generic one is the
// peer the assembly is measured against).
func BenchmarkCodeImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, d := range []int{128, 784} {
		q16, q8 := codeQueries(r, d)
		c := randCodes(r, d)
		for _, im := range gatherSupported() {
			b.Run(fmt.Sprintf("l2u8/d=%d/impl=%s", d, im.name), scoreLoop(im.l2SqU8, q16, c))
			b.Run(fmt.Sprintf("dotu8/d=%d/impl=%s", d, im.name), scoreLoop(im.dotU8, q8, c))
			b.Run(fmt.Sprintf("dotu8i16/d=%d/impl=%s", d, im.name), scoreLoop(im.dotU8I16, q16, c))
		}
	}
}

// BenchmarkCodeGatherImpl is BenchmarkGather's code rows (32 random rows
// of a 256 MiB array per call) for every supported implementation.
func BenchmarkCodeGatherImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, d := range []int{128, 784} {
		ids := make([]uint32, 32)
		stride := (d + 63) &^ 63
		nc := benchRows(stride)
		codes := randCodes(r, nc*stride)
		q16, q8 := codeQueries(r, stride)
		out := make([]int32, len(ids))
		for _, im := range gatherSupported() {
			b.Run(fmt.Sprintf("l2u8/d=%d/impl=%s", d, im.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for j := range ids {
						ids[j] = uint32(r.IntN(nc))
					}
					im.l2SqU8Gather(q16, codes, stride, ids, out)
				}
			})
			b.Run(fmt.Sprintf("dotu8/d=%d/impl=%s", d, im.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					for j := range ids {
						ids[j] = uint32(r.IntN(nc))
					}
					im.dotU8Gather(q8, codes, stride, ids, out)
				}
			})
		}
	}
}
