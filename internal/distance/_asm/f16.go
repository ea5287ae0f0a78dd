package main

import (
	"fmt"
	"os"
	"strconv"

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
	if v := os.Getenv("F16_UNROLL"); v != "" { // for A/B experiments only
		f16Unroll, _ = strconv.Atoi(v)
	}
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
		VCVTPH2PS(Mem{Base: sp, Disp: 32 * i}, zs[i])
	}
	for i := range zs {
		VMOVUPS(zs[i], Mem{Base: dp, Disp: 64 * i})
	}
	ADDQ(U32(32*f16Convert), sp)
	ADDQ(U32(64*f16Convert), dp)
	SUBQ(U32(16*f16Convert), n)
	JMP(LabelRef("loop"))

	Label("rest")
	CMPQ(n, U8(16))
	JB(LabelRef("tail"))
	z := ZMM()
	VCVTPH2PS(Mem{Base: sp}, z)
	VMOVUPS(z, Mem{Base: dp})
	ADDQ(U8(32), sp)
	ADDQ(U8(64), dp)
	SUBQ(U8(16), n)
	JMP(LabelRef("rest"))

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("end"))
	y, t := YMM(), ZMM()
	VMOVDQU16_Z(Mem{Base: sp}, s.kmask, y)
	VCVTPH2PS(y, t)
	VMOVUPS(t, s.kmask, Mem{Base: dp})
	Label("end")
	VZEROUPPER()
	RET()
}

// genF32ToF16 emits func f32ToF16AVX512(dst []uint16, src []float32).
func genF32ToF16(s *isa) {
	TEXT("f32ToF16AVX512", NOSPLIT, "func(dst []uint16, src []float32)")
	Pragma("noescape")
	Doc("f32ToF16AVX512 converts the len(src) floats of src to halves in dst,",
		"rounding to nearest even, using AVX-512 (VCVTPS2PH). The caller",
		"guarantees len(dst) >= len(src).")
	dp := Load(Param("dst").Base(), GP64()).(reg.GPVirtual)
	sp := Load(Param("src").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("src").Len(), GP64()).(reg.GPVirtual)
	s.setTail(n)
	rne := U8(0) // rounding from the immediate: to nearest even
	Label("loop")
	CMPQ(n, U32(16*f16Convert))
	JB(LabelRef("rest"))
	zs := make([]reg.VecVirtual, f16Convert)
	for i := range zs {
		zs[i] = ZMM()
		VMOVUPS(Mem{Base: sp, Disp: 64 * i}, zs[i])
	}
	for i := range zs {
		VCVTPS2PH(rne, zs[i], Mem{Base: dp, Disp: 32 * i})
	}
	ADDQ(U32(64*f16Convert), sp)
	ADDQ(U32(32*f16Convert), dp)
	SUBQ(U32(16*f16Convert), n)
	JMP(LabelRef("loop"))

	Label("rest")
	CMPQ(n, U8(16))
	JB(LabelRef("tail"))
	z := ZMM()
	VMOVUPS(Mem{Base: sp}, z)
	VCVTPS2PH(rne, z, Mem{Base: dp})
	ADDQ(U8(64), sp)
	ADDQ(U8(32), dp)
	SUBQ(U8(16), n)
	JMP(LabelRef("rest"))

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("end"))
	t, y := ZMM(), YMM()
	VMOVUPS_Z(Mem{Base: sp}, s.kmask, t)
	VCVTPS2PH(rne, t, y)
	VMOVDQU16(y, s.kmask, Mem{Base: dp})
	Label("end")
	VZEROUPPER()
	RET()
}

// f16Body emits the reduction of n elements of the float32 query at qp
// against the halves at xp into the accumulators acc (the float kernels'
// body with widened halves; s.setTail must have run with the same n). qp,
// xp and n are consumed.
func f16Body(s *isa, k kind, qp, xp, n reg.GPVirtual, acc []reg.VecVirtual) {
	id := labelSeq()
	lbl := func(s string) string { return fmt.Sprintf("%s%d", s, id) }
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
	x := reduce(s, acc)
	ret, err := ReturnIndex(0).Resolve()
	if err != nil {
		panic(err)
	}
	VMOVSS(x, ret.Addr)
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
	qbase := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	d := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("base").Base(), GP64()).(reg.GPVirtual)
	ip := Load(Param("ids").Base(), GP64()).(reg.GPVirtual)
	cnt := Load(Param("ids").Len(), GP64()).(reg.GPVirtual)
	op := Load(Param("out").Base(), GP64())
	TESTQ(cnt, cnt)
	JZ(LabelRef("end"))
	TESTQ(d, d)
	JZ(LabelRef("zero"))
	s.setTail(d)
	rowBytes := GP64()
	MOVQ(d, rowBytes)
	SHLQ(U8(1), rowBytes)
	prefetchFirstWith(prefetchSpan, bp, ip, cnt, rowBytes, rowBytes)

	Label("row")
	prefetchNextWith(prefetchSpan, bp, ip, cnt, rowBytes, rowBytes)
	rp := GP64()
	rowAddr(rp, bp, ip, rowBytes, 0)
	qp, n := GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(d, n)
	acc := newF16Acc()
	f16Body(s, k, qp, rp, n, acc)
	x := reduce(s, acc)
	VMOVSS(x, Mem{Base: op})
	ADDQ(U8(4), op)
	ADDQ(U8(4), ip)
	DECQ(cnt)
	JNZ(LabelRef("row"))
	JMP(LabelRef("end"))

	// Zero-length rows: every result is 0.
	Label("zero")
	MOVL(U32(0), Mem{Base: op})
	ADDQ(U8(4), op)
	DECQ(cnt)
	JNZ(LabelRef("zero"))

	Label("end")
	VZEROUPPER()
	RET()
}
