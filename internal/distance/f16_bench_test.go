package distance

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkF16ConvertImpl converts one vector each way in cache, for every
// implementation this CPU supports (the generic one is the peer); GB/s
// counts the float32 side.
func BenchmarkF16ConvertImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, d := range dims {
		f := vec(d, 1)
		h := poisonedHalves(r, d)
		g := make([]float32, d)
		for _, im := range f16Supported() {
			b.Run(fmt.Sprintf("toF32/dim=%d/impl=%s", d, im.name), func(b *testing.B) {
				b.SetBytes(int64(4 * d))
				for b.Loop() {
					im.f16ToF32(g, h)
				}
			})
			b.Run(fmt.Sprintf("toF16/dim=%d/impl=%s", d, im.name), func(b *testing.B) {
				b.SetBytes(int64(4 * d))
				for b.Loop() {
					im.f32ToF16(h, f)
				}
			})
		}
	}
}

// BenchmarkF16Impl scores a float32 query against one float16 vector in
// cache, for every implementation (compare BenchmarkDot for float32).
func BenchmarkF16Impl(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, d := range dims {
		q, x := vec(d, 1), poisonedHalves(r, d)
		for _, im := range f16Supported() {
			b.Run(fmt.Sprintf("dot/dim=%d/impl=%s", d, im.name), scoreLoop(im.dotF16, q, x))
			b.Run(fmt.Sprintf("l2Sq/dim=%d/impl=%s", d, im.name), scoreLoop(im.l2SqF16, q, x))
		}
	}
}

// BenchmarkF16GatherImpl scores a query against 32 random float16 rows
// per call, picked from 256 MiB (as BenchmarkGather does for float32 rows),
// for every implementation.
func BenchmarkF16GatherImpl(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6))
	const calls = 1 << 12 // id lists, drawn before the timing
	out := make([]float32, 32)
	for _, d := range []int{128, 784} {
		q := vec(d, 3)
		rows := benchRows(2 * d)
		base := make([]uint16, rows*d)
		for i := range base {
			base[i] = floatToHalf(2*r.Float32() - 1)
		}
		ids := make([]uint32, 32*calls)
		for j := range ids {
			ids[j] = uint32(r.IntN(rows))
		}
		for _, im := range f16Supported() {
			b.Run(fmt.Sprintf("l2Sq/d=%d/impl=%s", d, im.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					c := i % calls
					im.l2SqF16Gather(q, base, ids[32*c:32*(c+1)], out)
				}
			})
			b.Run(fmt.Sprintf("dot/d=%d/impl=%s", d, im.name), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					c := i % calls
					im.dotF16Gather(q, base, ids[32*c:32*(c+1)], out)
				}
			})
		}
	}
}
