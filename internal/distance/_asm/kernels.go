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

// body emits the reduction of n = len(x) lanes of x (pointer xp) against y
// (pointer yp) into the accumulators acc, one per vector of the unrolled
// loop. The remainder after the loop is handled as up to len(acc)-1 full
// vectors, then one masked vector (s.setTail must have run with the same
// n). If advance is set, xp and yp are left pointing just past the
// vectors; n is consumed either way. If prefetch > 0, the unrolled loop
// prefetches y that many bytes ahead.
func body(s *isa, k kind, xp, yp, n reg.GPVirtual, acc []reg.VecVirtual, advance bool, prefetch int) {
	vb := s.vecBytes()
	u := len(acc)
	step := u * s.lanes
	for _, a := range acc {
		s.zero(a)
	}
	Label("loop")
	CMPQ(n, U32(step))
	JB(LabelRef("rest"))
	xs := make([]reg.VecVirtual, u)
	for i := range xs {
		xs[i] = s.vec()
		VMOVUPS(Mem{Base: xp, Disp: vb * i}, xs[i])
	}
	for i := range xs {
		k.accumulate(s, xs[i], Mem{Base: yp, Disp: vb * i}, acc[i], true)
	}
	if prefetch > 0 {
		for off := 0; off < vb*u; off += 64 {
			PREFETCHT0(Mem{Base: yp, Disp: prefetch + off})
		}
	}
	ADDQ(U32(vb*u), xp)
	ADDQ(U32(vb*u), yp)
	SUBQ(U32(step), n)
	JMP(LabelRef("loop"))

	Label("rest")
	for i := 0; i < u-1; i++ {
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
	k.accumulate(s, x, y, acc[u-1], true)
	if advance {
		LEAQ(Mem{Base: xp, Index: n, Scale: 4}, xp)
		LEAQ(Mem{Base: yp, Index: n, Scale: 4}, yp)
	}
	Label("done")
}

// batchPrefetch is how far ahead (bytes) the one-query batch kernels
// prefetch the base stream; 0 disables it. Off because it did not pay: on
// a 1 GiB base (d=768, AVX-512) distances of 512, 1024 and 2048 bytes gave
// 13.0-13.6 GB/s against 13.4 without (the hardware prefetcher keeps up
// with a one-query scan), and cost up to 13% on an L2-resident base.
const batchPrefetch = 0

// reduce folds the accumulators (a power of two of them) pairwise into a
// scalar in the low lane of an XMM.
func reduce(s *isa, acc []reg.VecVirtual) reg.VecVirtual {
	for w := len(acc) / 2; w >= 1; w /= 2 {
		for i := 0; i < w; i++ {
			VADDPS(acc[i+w], acc[i], acc[i])
		}
	}
	return s.hsum(acc[0])
}

// returnF32 emits the store of the float32 in x's low lane as the result.
func returnF32(x reg.VecVirtual) {
	ret, err := ReturnIndex(0).Resolve()
	if err != nil {
		panic(err)
	}
	VMOVSS(x, ret.Addr)
}

func newAcc(s *isa) []reg.VecVirtual {
	acc := make([]reg.VecVirtual, s.unroll)
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
	body(s, k, ap, bp, n, acc, false, 0)
	returnF32(reduce(s, acc))
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
	body(s, k, qp, bp, n, acc, true, batchPrefetch)
	x := reduce(s, acc)
	VMOVSS(x, Mem{Base: op})
	ADDQ(U8(4), op)
	DECQ(cnt)
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
