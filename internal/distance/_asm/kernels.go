package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// kind is the per-lane operation of a kernel.
type kind int

const (
	kindDot  kind = iota // acc += x*y
	kindL2Sq             // acc += (x-y)^2
	kindL1               // acc += |x-y|
)

func (k kind) name() string {
	return [...]string{"dot", "l2Sq", "l1"}[k]
}

func (k kind) what() string {
	return [...]string{"the dot product", "the squared Euclidean distance", "the Manhattan distance"}[k]
}

// accumulate emits acc += f(x, y). y may be a register or memory operand.
// If clobber is set, x may be overwritten; otherwise a temporary is used.
func (k kind) accumulate(s *isa, x reg.VecVirtual, y Op, acc reg.VecVirtual, clobber bool) {
	t := x
	if !clobber && k != kindDot {
		t = s.vec()
	}
	switch k {
	case kindDot:
		VFMADD231PS(y, x, acc)
	case kindL2Sq:
		VSUBPS(y, x, t)
		VFMADD231PS(t, t, acc)
	case kindL1:
		VSUBPS(y, x, t)
		s.abs(t)
		VADDPS(t, acc, acc)
	}
}

// unroll is the number of independent accumulators of the one-query
// kernels: 4 vectors (64 floats with AVX-512) per loop iteration keep
// enough FMAs in flight to cover their 4-cycle latency on a core that is
// load-port bound at one vector FMA per cycle (2 loads per FMA).
const unroll = 4

// body emits the reduction of n = len(x) lanes of x (pointer xp) against y
// (pointer yp) into four accumulators. The remainder after the unrolled
// loop is handled as up to three full vectors, then one masked vector
// (s.setTail must have run with the same n). If advance is set, xp and yp
// are left pointing just past the vectors; n is consumed either way.
func body(s *isa, k kind, xp, yp, n reg.GPVirtual, acc [unroll]reg.VecVirtual, advance bool) {
	vb := s.vecBytes()
	step := unroll * s.lanes
	for _, a := range acc {
		s.zero(a)
	}
	Label("loop")
	CMPQ(n, U32(step))
	JB(LabelRef("rest"))
	var xs [unroll]reg.VecVirtual
	for i := range xs {
		xs[i] = s.vec()
		VMOVUPS(Mem{Base: xp, Disp: vb * i}, xs[i])
	}
	for i := range xs {
		k.accumulate(s, xs[i], Mem{Base: yp, Disp: vb * i}, acc[i], true)
	}
	ADDQ(U32(vb*unroll), xp)
	ADDQ(U32(vb*unroll), yp)
	SUBQ(U32(step), n)
	JMP(LabelRef("loop"))

	Label("rest")
	for i := 0; i < unroll-1; i++ {
		CMPQ(n, U32(s.lanes))
		JB(LabelRef("tail"))
		x := s.vec()
		VMOVUPS(Mem{Base: xp}, x)
		k.accumulate(s, x, Mem{Base: yp}, acc[i], true)
		ADDQ(U32(vb), xp)
		ADDQ(U32(vb), yp)
		SUBQ(U32(s.lanes), n)
	}

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	x, y := s.vec(), s.vec()
	s.load(Mem{Base: xp}, x)
	s.load(Mem{Base: yp}, y)
	k.accumulate(s, x, y, acc[unroll-1], true)
	if advance {
		LEAQ(Mem{Base: xp, Index: n, Scale: 4}, xp)
		LEAQ(Mem{Base: yp, Index: n, Scale: 4}, yp)
	}
	Label("done")
}

// reduce folds the accumulators into a scalar in the low lane of an XMM.
func reduce(s *isa, acc [unroll]reg.VecVirtual) reg.VecVirtual {
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	return s.hsum(acc[0])
}

func newAcc(s *isa) (acc [unroll]reg.VecVirtual) {
	for i := range acc {
		acc[i] = s.vec()
	}
	return acc
}

// genPair emits func <kind><ISA>(a, b []float32) float32.
func genPair(s *isa, k kind) {
	name := k.name() + s.suffix
	TEXT(name, NOSPLIT, "func(a, b []float32) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s returns %s of a and b using %s.", name, k.what(), s.suffix),
		"Only min(len(a), len(b)) elements are read.")
	ap, bp, n, nb := GP64(), GP64(), GP64(), GP64()
	Load(Param("a").Base(), ap)
	Load(Param("b").Base(), bp)
	Load(Param("a").Len(), n)
	Load(Param("b").Len(), nb)
	CMPQ(nb, n)
	CMOVQLT(nb, n)
	s.setTail(n)
	if k == kindL1 {
		s.setAbs()
	}
	acc := newAcc(s)
	body(s, k, ap, bp, n, acc, false)
	x := reduce(s, acc)
	ret, err := ReturnIndex(0).Resolve()
	if err != nil {
		panic(err)
	}
	VMOVSS(x, ret.Addr)
	VZEROUPPER()
	RET()
}

// genBatch emits func <kind>Batch<ISA>(q, base, out []float32), which
// writes out[i] = f(q, base[i*d:(i+1)*d]) for i < len(out), d = len(q).
func genBatch(s *isa, k kind) {
	name := k.name() + "Batch" + s.suffix
	TEXT(name, NOSPLIT, "func(q, base, out []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s writes %s of q and each of the len(out) vectors", name, k.what()),
		"of len(q) floats stored back to back in base into out, using "+s.suffix+".",
		"The caller guarantees len(base) >= len(out)*len(q).")
	qbase := Load(Param("q").Base(), GP64())
	d := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("base").Base(), GP64()).(reg.GPVirtual)
	op := Load(Param("out").Base(), GP64())
	cnt := Load(Param("out").Len(), GP64())
	s.setTail(d)
	if k == kindL1 {
		s.setAbs()
	}
	Label("vector")
	TESTQ(cnt, cnt)
	JZ(LabelRef("end"))
	qp, n := GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(d, n)
	acc := newAcc(s)
	body(s, k, qp, bp, n, acc, true)
	x := reduce(s, acc)
	VMOVSS(x, Mem{Base: op})
	ADDQ(U8(4), op)
	DECQ(cnt)
	JMP(LabelRef("vector"))
	Label("end")
	VZEROUPPER()
	RET()
}

// genBatch4 emits func <kind>Batch4<ISA>(q0, q1, q2, q3, base, out0, out1,
// out2, out3 []float32): four queries against one pass over base. Each
// base vector chunk is loaded once and combined with the four queries
// (read from L1), so 8 accumulators (4 queries x 2 chunks) are in flight.
func genBatch4(s *isa, k kind) {
	name := k.name() + "Batch4" + s.suffix
	TEXT(name, NOSPLIT, "func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s writes %s of each of q0..q3 and each of the", name, k.what()),
		"len(out0) vectors of len(q0) floats in base into out0..out3, using "+s.suffix+".",
		"The caller guarantees equal query lengths, len(out1..3) >= len(out0)",
		"and len(base) >= len(out0)*len(q0).")
	var qs [4]reg.GPVirtual
	for i := range qs {
		qs[i] = Load(Param(fmt.Sprintf("q%d", i)).Base(), GP64()).(reg.GPVirtual)
	}
	d := Load(Param("q0").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("base").Base(), GP64()).(reg.GPVirtual)
	cnt := Load(Param("out0").Len(), GP64())
	j := GP64()
	XORQ(j, j)
	s.setTail(d)

	vb := s.vecBytes()
	qmem := func(q int, i reg.GPVirtual, disp int) Mem {
		return Mem{Base: qs[q], Index: i, Scale: 1, Disp: disp}
	}

	Label("vector")
	CMPQ(j, cnt)
	JAE(LabelRef("end"))
	var acc [4][2]reg.VecVirtual
	for q := range acc {
		for c := range acc[q] {
			acc[q][c] = s.vec()
			s.zero(acc[q][c])
		}
	}
	i, n := GP64(), GP64()
	XORQ(i, i)
	MOVQ(d, n)

	Label("loop")
	CMPQ(n, U32(2*s.lanes))
	JB(LabelRef("rest"))
	x0, x1 := s.vec(), s.vec()
	VMOVUPS(Mem{Base: bp, Index: i, Scale: 1}, x0)
	VMOVUPS(Mem{Base: bp, Index: i, Scale: 1, Disp: vb}, x1)
	for q := 0; q < 4; q++ {
		k.accumulate(s, x0, qmem(q, i, 0), acc[q][0], false)
		k.accumulate(s, x1, qmem(q, i, vb), acc[q][1], false)
	}
	ADDQ(U32(2*vb), i)
	SUBQ(U32(2*s.lanes), n)
	JMP(LabelRef("loop"))

	Label("rest")
	CMPQ(n, U32(s.lanes))
	JB(LabelRef("tail"))
	x := s.vec()
	VMOVUPS(Mem{Base: bp, Index: i, Scale: 1}, x)
	for q := 0; q < 4; q++ {
		k.accumulate(s, x, qmem(q, i, 0), acc[q][0], false)
	}
	ADDQ(U32(vb), i)
	SUBQ(U32(s.lanes), n)

	Label("tail")
	TESTQ(n, n)
	JZ(LabelRef("done"))
	xt := s.vec()
	s.load(Mem{Base: bp, Index: i, Scale: 1}, xt)
	for q := 0; q < 4; q++ {
		t := s.vec()
		s.load(qmem(q, i, 0), t)
		k.accumulate(s, t, xt, acc[q][1], true)
	}

	Label("done")
	LEAQ(Mem{Base: bp, Index: d, Scale: 4}, bp)
	var sums [4]reg.VecVirtual
	for q := range acc {
		VADDPS(acc[q][1], acc[q][0], acc[q][0])
		sums[q] = acc[q][0]
	}
	r := s.hsum4(sums)
	for q := 0; q < 4; q++ {
		o := Load(Param(fmt.Sprintf("out%d", q)).Base(), GP64())
		m := Mem{Base: o, Index: j, Scale: 4}
		if q == 0 {
			VMOVSS(r, m)
		} else {
			VEXTRACTPS(U8(q), r, m)
		}
	}
	INCQ(j)
	JMP(LabelRef("vector"))

	Label("end")
	VZEROUPPER()
	RET()
}

// peakChains is the number of independent FMA dependency chains of the
// peak micro-kernel: more than latency (4) x ports (2) on any current core.
func peakChains(s *isa) int {
	if s.lanes == 16 {
		return 16
	}
	return 12 // 16 YMM registers, two hold the multiplicands
}

// genPeak emits func fmaPeak<ISA>(n int): n iterations of peakChains(s)
// independent vector FMAs on zeros (no denormals), a measure of the core's
// FMA throughput that the benchmarks use as "peak". Flops per iteration:
// 2 * lanes * peakChains.
func genPeak(s *isa) {
	name := "fmaPeak" + s.suffix
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n iterations of %d independent %d-lane FMAs (%d flops each),",
		name, peakChains(s), s.lanes, 2*s.lanes*peakChains(s)),
		"the benchmarks' measure of this core's peak FMA throughput.")
	n := Load(Param("n"), GP64())
	a, b := s.vec(), s.vec()
	s.zero(a)
	s.zero(b)
	acc := make([]reg.VecVirtual, peakChains(s))
	for i := range acc {
		acc[i] = s.vec()
		s.zero(acc[i])
	}
	TESTQ(n, n)
	JLE(LabelRef("end"))
	Label("loop")
	for i := range acc {
		VFMADD231PS(a, b, acc[i])
	}
	DECQ(n)
	JNZ(LabelRef("loop"))
	Label("end")
	VZEROUPPER()
	RET()
}
