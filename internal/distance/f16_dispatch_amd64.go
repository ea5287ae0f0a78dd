//go:build !purego

package distance

import "golang.org/x/sys/cpu"

// f16AVX512 reports whether the float16 kernels run with AVX-512
// (VCVTPH2PS/VCVTPS2PH on zmm, and AVX-512 BW for word-masked tails) on
// top of the AVX-512 level of the float kernels. As for level, dispatch is
// a switch, not a function variable, so slices do not escape.
var f16AVX512 = level == levelAVX512 && cpu.X86.HasAVX512BW

var avx512F16 = f16Implementation{
	name:          "avx512",
	f16ToF32:      f16ToF32AVX512,
	f32ToF16:      f32ToF16AVX512,
	dotF16:        dotF16AVX512,
	l2SqF16:       l2SqF16AVX512,
	dotF16Gather:  dotF16GatherAVX512,
	l2SqF16Gather: l2SqF16GatherAVX512,
}

// f16Supported lists every float16 implementation this CPU can run, best
// first.
func f16Supported() []f16Implementation {
	if f16AVX512 {
		return []f16Implementation{avx512F16, genericF16}
	}
	return []f16Implementation{genericF16}
}

func f16ImplName() string {
	if f16AVX512 {
		return avx512F16.name
	}
	return genericF16.name
}

func f16ToF32(dst []float32, src []uint16) {
	if f16AVX512 {
		f16ToF32AVX512(dst, src)
		return
	}
	f16ToF32Generic(dst, src)
}

func f32ToF16(dst []uint16, src []float32) {
	if f16AVX512 {
		f32ToF16AVX512(dst, src)
		return
	}
	f32ToF16Generic(dst, src)
}

func dotF16(q []float32, x []uint16) float32 {
	if f16AVX512 {
		return dotF16AVX512(q, x)
	}
	return dotF16Generic(q, x)
}

func l2SqF16(q []float32, x []uint16) float32 {
	if f16AVX512 {
		return l2SqF16AVX512(q, x)
	}
	return l2SqF16Generic(q, x)
}

func dotF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	if f16AVX512 {
		dotF16GatherAVX512(q, base, ids, out)
		return
	}
	dotF16GatherGeneric(q, base, ids, out)
}

func l2SqF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	if f16AVX512 {
		l2SqF16GatherAVX512(q, base, ids, out)
		return
	}
	l2SqF16GatherGeneric(q, base, ids, out)
}
