package distance

import (
	"math"
	"math/bits"
)

// Pure-Go float16 kernels: the implementation without AVX-512 and the
// reference the tests compare the assembly against.

// halfToFloat returns the float32 value of the half h (exact). With its
// rare-case call it is over the inlining budget, so the conversion loops
// below repeat its normal case inline.
func halfToFloat(h uint16) float32 {
	if h&0x7c00-0x400 < 0x7800 { // exponent 1..30 (0 wraps around)
		// Normal: exponent and mantissa move up 13 bits, rebias 15 -> 127.
		return math.Float32frombits(uint32(h&0x8000)<<16 | (uint32(h&0x7fff)<<13 + 112<<23))
	}
	return halfToFloatRare(h)
}

// halfToFloatRare is halfToFloat for zeros, subnormals, infinities and
// NaNs.
func halfToFloatRare(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f && mant != 0: // NaN, quietened
		return math.Float32frombits(sign | 0x7fc00000 | mant<<13)
	case exp == 0x1f: // ±Inf
		return math.Float32frombits(sign | 0x7f800000)
	case exp != 0: // normal: rebias 15 -> 127
		return math.Float32frombits(sign | (exp+112)<<23 | mant<<13)
	case mant == 0: // ±0
		return math.Float32frombits(sign)
	}
	// Subnormal, mant * 2^-24: shift the leading one to the implicit bit
	// (bit 10); the value is then 1.f * 2^(-14-shift).
	shift := uint32(bits.LeadingZeros32(mant) - 21)
	return math.Float32frombits(sign | (113-shift)<<23 | (mant<<shift&0x3ff)<<13)
}

// floatToHalf returns f rounded to the nearest half, ties to even. Like
// halfToFloat it does not inline; the loops below repeat its normal case.
func floatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	if a := b & 0x7fffffff; a-0x38800000 < 0x47800000-0x38800000 {
		// |f| in [2^-14, 2^16): rebias 127 -> 15 and drop 13 bits, adding
		// just under half of them, plus one if the kept part is odd (ties
		// to even). A carry into the exponent is right, up to Inf.
		return uint16(b>>16)&0x8000 | uint16((a-112<<23+0xfff+(a>>13&1))>>13)
	}
	return floatToHalfRare(f)
}

// floatToHalfRare is floatToHalf outside the normal half range.
func floatToHalfRare(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if exp == 0xff {
		if mant != 0 { // NaN: quiet, top of the payload
			return sign | 0x7e00 | uint16(mant>>13)
		}
		return sign | 0x7c00
	}
	e := exp - 112 // the half's biased exponent
	if e >= 31 {
		return sign | 0x7c00 // beyond 65504 and its rounding range
	}
	if e >= 1 {
		h := uint32(e)<<10 | mant>>13
		rem := mant & 0x1fff
		if rem > 0x1000 || rem == 0x1000 && h&1 != 0 {
			h++ // a carry may reach the exponent, or Inf: still correct
		}
		return sign | uint16(h)
	}
	// Subnormal half (or zero): m = value * 2^24 = full * 2^(exp-126).
	if exp < 102 {
		return sign // below 2^-25: rounds to zero
	}
	full := mant | 0x800000
	shift := uint32(126 - exp) // 14..24
	m := full >> shift
	rem := full & (1<<shift - 1)
	half := uint32(1) << (shift - 1)
	if rem > half || rem == half && m&1 != 0 {
		m++ // 0x400 is the smallest normal: still correct
	}
	return sign | uint16(m)
}

// The conversion loops repeat the normal cases of halfToFloat and
// floatToHalf inline (with the rare-case call, those are over the
// compiler's inlining budget): BenchmarkF16ConvertImpl, generic, dim 768,
// went from 1.7 to 0.87 us to float32 and from 3.6 to 0.92 us to halves.

func f16ToF32Generic(dst []float32, src []uint16) {
	dst = dst[:len(src)]
	for i, h := range src {
		if h&0x7c00-0x400 < 0x7800 {
			dst[i] = math.Float32frombits(uint32(h&0x8000)<<16 | (uint32(h&0x7fff)<<13 + 112<<23))
		} else {
			dst[i] = halfToFloatRare(h)
		}
	}
}

func f32ToF16Generic(dst []uint16, src []float32) {
	dst = dst[:len(src)]
	for i, f := range src {
		b := math.Float32bits(f)
		if a := b & 0x7fffffff; a-0x38800000 < 0x47800000-0x38800000 {
			dst[i] = uint16(b>>16)&0x8000 | uint16((a-112<<23+0xfff+(a>>13&1))>>13)
		} else {
			dst[i] = floatToHalfRare(f)
		}
	}
}

// f16Block is the halves the generic dot and L2 kernels widen at a time
// (into a 1 KiB buffer) before accumulating them; any multiple of 4 keeps
// the summation shape of dotGeneric.
const f16Block = 256

// f16Buf is the widening buffer of the generic kernels. A gather passes
// one to every row, so it is zeroed once per call rather than per row.
type f16Buf [f16Block]float32

func dotF16Generic(q []float32, x []uint16) float32 {
	var buf f16Buf
	return f16Sums(q, x, &buf, false)
}

func l2SqF16Generic(q []float32, x []uint16) float32 {
	var buf f16Buf
	return f16Sums(q, x, &buf, true)
}

// f16Sums widens x into buf a block at a time and returns its squared L2
// distance to q (l2) or its dot product with q (!l2), summed as by
// l2SqGeneric and dotGeneric. It panics if len(x) < len(q).
func f16Sums(q []float32, x []uint16, buf *f16Buf, l2 bool) float32 {
	x = x[:len(q)]
	var s sums
	for len(q) > 0 {
		n := min(len(q), f16Block)
		b := buf[:n]
		f16ToF32Generic(b, x[:n])
		if l2 {
			s = s.addL2Sq(q[:n], b)
		} else {
			s = s.addDot(q[:n], b)
		}
		q, x = q[n:], x[n:]
	}
	return s.total()
}

func dotF16GatherGeneric(q []float32, base []uint16, ids []uint32, out []float32) {
	f16GatherGeneric(q, base, ids, out, false)
}

func l2SqF16GatherGeneric(q []float32, base []uint16, ids []uint32, out []float32) {
	f16GatherGeneric(q, base, ids, out, true)
}

// f16GatherGeneric computes out[i] = f16Sums of q and row ids[i] of base,
// with one widening buffer for all the rows.
func f16GatherGeneric(q []float32, base []uint16, ids []uint32, out []float32, l2 bool) {
	var buf f16Buf
	d := len(q)
	for i, id := range ids {
		o := int(id) * d
		out[i] = f16Sums(q, base[o:o+d], &buf, l2)
	}
}
