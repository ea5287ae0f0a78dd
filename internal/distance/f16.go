package distance

// Float16 kernels: vectors stored as IEEE 754 binary16 ("halves", held in
// uint16), half the memory of float32, scored against a float32 query.
// Conversion to float32 is exact; conversion from float32 rounds to
// nearest, ties to even, overflows to ±Inf, keeps subnormals, and turns
// NaN into a quiet NaN with the top of its payload (as x86 F16C and
// AVX-512 do, so every implementation returns the same bits).
//
// The dot and L2 kernels widen each half and accumulate in float32; their
// results agree across implementations within float32 rounding, as the
// float32 kernels' do.

// F16ToF32 converts the len(src) halves of src to float32 into
// dst[:len(src)]. It panics if len(dst) < len(src).
func F16ToF32(dst []float32, src []uint16) {
	if len(dst) < len(src) {
		panic("BUG: distance: F16ToF32 destination shorter than source")
	}
	f16ToF32(dst, src)
}

// F32ToF16 converts the len(src) floats of src to halves into
// dst[:len(src)], rounding to nearest even. It panics if len(dst) <
// len(src).
func F32ToF16(dst []uint16, src []float32) {
	if len(dst) < len(src) {
		panic("BUG: distance: F32ToF16 destination shorter than source")
	}
	f32ToF16(dst, src)
}

// HalfToFloat returns the float32 value of the half h (exact), for one value where a
// slice conversion would cost more than the value (per-code scalars of a quantizer).
func HalfToFloat(h uint16) float32 { return halfToFloat(h) }

// FloatToHalf returns f rounded to the nearest half, ties to even, as F32ToF16 does.
func FloatToHalf(f float32) uint16 { return floatToHalf(f) }

// DotF16 returns the dot product of the float32 query q and the float16
// vector x. It panics if len(x) != len(q).
func DotF16(q []float32, x []uint16) float32 {
	if len(x) != len(q) {
		panic(mismatch)
	}
	return dotF16(q, x)
}

// L2SqF16 returns the squared Euclidean distance between the float32 query
// q and the float16 vector x. It panics if len(x) != len(q).
func L2SqF16(q []float32, x []uint16) float32 {
	if len(x) != len(q) {
		panic(mismatch)
	}
	return l2SqF16(q, x)
}

// DotF16Gather computes out[i] = DotF16(q, row(ids[i])) where row(s) is
// base[s*len(q) : (s+1)*len(q)], a float16 vector of dimension len(q). It
// panics if an id is out of range or len(out) < len(ids).
func DotF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	checkGather(len(q), len(q), len(base), ids, len(out))
	dotF16Gather(q, base, ids, out[:len(ids)])
}

// L2SqF16Gather is DotF16Gather for L2SqF16.
func L2SqF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	checkGather(len(q), len(q), len(base), ids, len(out))
	l2SqF16Gather(q, base, ids, out[:len(ids)])
}

// F16Impl returns the implementation of the float16 kernels chosen at
// start-up: "avx512" or "generic".
func F16Impl() string { return f16ImplName() }
