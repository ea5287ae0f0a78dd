package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The f16 set (f16_amd64.s): float16 (IEEE binary16) vector storage with
// AVX-512. VCVTPH2PS widens 16 halves (32 bytes) to 16 float32 lanes
// exactly; VCVTPS2PH narrows with round-to-nearest-even (immediate 0, not
// MXCSR). Dot and L2 kernels widen the stored vector's halves and then
// work as the float32 kernels do (kernels.go), against a float32 query.
// Tails are opmask-masked: halves are loaded with VMOVDQU16 (AVX-512 BW)
// and converted from a register, so nothing past a slice is read or
// written.

func genF16Set() {
	envInt("F16_UNROLL", &f16Unroll) // for A/B experiments only
	s := avx512()
	genF16ToF32(s)
	genF32ToF16(s)
	for _, k := range []kind{kindDot, kindL2Sq} {
		genF16Pair(s, k)
		genF16Gather(s, k)
	}
}

// f16Unroll is the accumulators of the dot and L2 kernels (F16_UNROLL
// overrides it for A/B runs). Interleaved A/B on the 2-core AVX-512 VM,
// min of 10 runs of BenchmarkF16Impl, 4 -> 8: dim 128 dot 7.0 -> 7.4 ns,
// L2 7.7 -> 8.0; dim 768 dot 25.9 -> 25.1, L2 30.6 -> 29.8; dim 1536 dot
// 48.3 -> 45.2, L2 59.1 -> 58.0. 8, as the float32 kernels.
var f16Unroll = 8

// f16Convert is the vectors per iteration of the conversion loops.
const f16Convert = 4

// genF16ToF32 emits func f16ToF32AVX512(dst []float32, src []uint16).
func genF16ToF32(s *isa) {
	TEXT("f16ToF32AVX512", NOSPLIT, "func(dst []float32, src []uint16)")
	Pragma("noescape")
	Doc("f16ToF32AVX512 converts the len(src) halves of src to float32 in dst",
		"using AVX-512 (VCVTPH2PS). The caller guarantees len(dst) >= len(src).")
	emitF16Conv(s, f16Conv{
		from: 2, to: 4,
		load:  func(m Mem, z reg.VecVirtual) { VCVTPH2PS(m, z) },
		store: func(z reg.VecVirtual, m Mem) { VMOVUPS(z, m) },
		tail: func(src, dst Mem, k reg.Register) {
			y, t := YMM(), ZMM()
			VMOVDQU16_Z(src, k, y)
			VCVTPH2PS(y, t)
			VMOVUPS(t, k, dst)
		},
	})
}

// genF32ToF16 emits func f32ToF16AVX512(dst []uint16, src []float32).
func genF32ToF16(s *isa) {
	TEXT("f32ToF16AVX512", NOSPLIT, "func(dst []uint16, src []float32)")
	Pragma("noescape")
	Doc("f32ToF16AVX512 converts the len(src) floats of src to halves in dst,",
		"rounding to nearest even, using AVX-512 (VCVTPS2PH). The caller",
		"guarantees len(dst) >= len(src).")
	rne := U8(0) // rounding from the immediate: to nearest even
	emitF16Conv(s, f16Conv{
		from: 4, to: 2,
		load:  func(m Mem, z reg.VecVirtual) { VMOVUPS(m, z) },
		store: func(z reg.VecVirtual, m Mem) { VCVTPS2PH(rne, z, m) },
		tail: func(src, dst Mem, k reg.Register) {
			t, y := ZMM(), YMM()
			VMOVUPS_Z(src, k, t)
			VCVTPS2PH(rne, t, y)
			VMOVDQU16(y, k, dst)
		},
	})
}

// f16Conv is one direction of the conversion kernels: the bytes of a
// source and of a destination element, the load of 16 source elements
// into float32 lanes and the store of 16 lanes as destination elements,
// and the step of the last n%16 elements (opmask k).
type f16Conv struct {
	from, to int
	load     func(m Mem, z reg.VecVirtual)
	store    func(z reg.VecVirtual, m Mem)
	tail     func(src, dst Mem, k reg.Register)
}

// emitF16Conv emits the rest of a conversion kernel func(dst []D, src []S)
// after its Doc: the len(src) elements of src converted into dst,
// f16Convert vectors per loop iteration, then single vectors, then the
// masked tail.
func emitF16Conv(s *isa, c f16Conv) {
	dp := Load(Param("dst").Base(), GP64()).(reg.GPVirtual)
	sp := Load(Param("src").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("src").Len(), GP64()).(reg.GPVirtual)
	s.setTail(n)
	Label("loop")
	CMPQ(n, U32(16*f16Convert))
	JB(LabelRef("rest"))
	zs := make([]reg.VecVirtual, f16Convert)
	for i := range zs {
		zs[i] = ZMM()
		c.load(Mem{Base: sp, Disp: 16 * c.from * i}, zs[i])
	}
	for i := range zs {
		c.store(zs[i], Mem{Base: dp, Disp: 16 * c.to * i})
	}
	ADDQ(U32(16*c.from*f16Convert), sp)
	ADDQ(U32(16*c.to*f16Convert), dp)
	SUBQ(U32(16*f16Convert), n)
	JMP(LabelRef("loop"))

	Label("rest")
	CMPQ(n, U8(16))
	JB(LabelRef("tail"))
	z := ZMM()
	c.load(Mem{Base: sp}, z)
	c.store(z, Mem{Base: dp})
	ADDQ(U8(16*c.from), sp)
	ADDQ(U8(16*c.to), dp)
	SUBQ(U8(16), n)
	JMP(LabelRef("rest"))

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("end"))
	c.tail(Mem{Base: sp}, Mem{Base: dp}, s.kmask)
	Label("end")
	VZEROUPPER()
	RET()
}

// f16Body emits the reduction of n elements of the float32 query at qp
// against the halves at xp into the accumulators acc (the float kernels'
// body with widened halves; s.setTail must have run with the same n). qp,
// xp and n are consumed.
func f16Body(s *isa, k kind, qp, xp, n reg.GPVirtual, acc []reg.VecVirtual) {
	lbl := labels()
	u := len(acc)
	for _, a := range acc {
		s.zero(a)
	}
	Label(lbl("loop"))
	CMPQ(n, U32(16*u))
	JB(LabelRef(lbl("rest")))
	xs := make([]reg.VecVirtual, u)
	for i := range xs {
		xs[i] = ZMM()
		VCVTPH2PS(Mem{Base: xp, Disp: 32 * i}, xs[i])
	}
	for i := range xs {
		k.accumulate(s, xs[i], Mem{Base: qp, Disp: 64 * i}, acc[i], true)
	}
	ADDQ(U32(64*u), qp)
	ADDQ(U32(32*u), xp)
	SUBQ(U32(16*u), n)
	JMP(LabelRef(lbl("loop")))

	Label(lbl("rest"))
	for i := 0; i < u-1; i++ {
		CMPQ(n, U8(16))
		JB(LabelRef(lbl("tail")))
		x := ZMM()
		VCVTPH2PS(Mem{Base: xp}, x)
		k.accumulate(s, x, Mem{Base: qp}, acc[i], true)
		ADDQ(U8(64), qp)
		ADDQ(U8(32), xp)
		SUBQ(U8(16), n)
	}

	Label(lbl("tail"))
	TESTQ(n, n)
	JZ(LabelRef(lbl("done")))
	y, x, q := YMM(), ZMM(), ZMM()
	VMOVDQU16_Z(Mem{Base: xp}, s.kmask, y)
	VCVTPH2PS(y, x)
	VMOVUPS_Z(Mem{Base: qp}, s.kmask, q)
	k.accumulate(s, x, q, acc[u-1], true)
	Label(lbl("done"))
}

func newF16Acc() []reg.VecVirtual {
	acc := make([]reg.VecVirtual, f16Unroll)
	for i := range acc {
		acc[i] = ZMM()
	}
	return acc
}

// genF16Pair emits func <kind>F16AVX512(q []float32, x []uint16) float32.
func genF16Pair(s *isa, k kind) {
	name := k.name() + "F16AVX512"
	TEXT(name, NOSPLIT, "func(q []float32, x []uint16) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns %s of q and the halves of x using AVX-512.", name, k.what()),
		"Only len(q) halves are read; len(x) >= len(q) is the caller's.")
	qp := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	xp := Load(Param("x").Base(), GP64()).(reg.GPVirtual)
	s.setTail(n)
	acc := newF16Acc()
	f16Body(s, k, qp, xp, n, acc)
	returnF32(reduce(s, acc))
	VZEROUPPER()
	RET()
}

// genF16Gather emits func <kind>F16GatherAVX512(q []float32, base []uint16,
// ids []uint32, out []float32): out[i] = f(q, row ids[i] of len(q) halves).
func genF16Gather(s *isa, k kind) {
	name := k.name() + "F16GatherAVX512"
	TEXT(name, NOSPLIT, "func(q []float32, base []uint16, ids []uint32, out []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s writes %s of q and row ids[i] of base", name, k.what()),
		"(rows of len(q) halves) into out[i] for each id, using AVX-512,",
		"prefetching rows ahead. The caller guarantees every row is in range",
		"and len(out) >= len(ids).")
	emitGatherRows(loadGather("base", ""), gatherRows{
		emptyRows: true,
		setup: func(a gatherArgs) (reg.GPVirtual, reg.GPVirtual) {
			s.setTail(a.d)
			rowBytes := byteLen(a.d, 1)
			return rowBytes, rowBytes
		},
		prefetch: prefetchSpan,
		score: func(qp, rp, n reg.GPVirtual, out Mem) {
			acc := newF16Acc()
			f16Body(s, k, qp, rp, n, acc)
			VMOVSS(reduce(s, acc), out)
		},
	})
}
