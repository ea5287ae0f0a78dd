package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// isa describes one vector instruction set: register width, how to zero,
// how to load a partial (tail) vector, and how to take an absolute value.
// Per-function state (tail mask, abs mask) is reset by begin.
type isa struct {
	suffix string // appended to every function name: "AVX512" or "AVX2"
	lanes  int    // float32 lanes per vector register
	unroll int    // accumulators (vectors per iteration) of one-query kernels

	vec func() reg.VecVirtual // allocates a full-width virtual register

	// Per-function state.
	kmask   reg.Register   // AVX-512: opmask selecting the tail lanes
	ymask   reg.VecVirtual // AVX2: lane mask selecting the tail lanes
	absMask reg.VecVirtual // 0x7fffffff in every lane, for L1
	setTail func(n reg.GPVirtual)
	load    func(m Mem, dst reg.VecVirtual) // masked (tail) load, zeroing
	zero    func(r reg.VecVirtual)
	setAbs  func()
	abs     func(r reg.VecVirtual) // r = |r|
	hi256   func(z reg.VecVirtual) reg.VecVirtual
	hi128   func(y reg.VecVirtual) reg.VecVirtual
}

// Unroll factors of the one-query kernels: independent accumulators, one
// vector each per loop iteration. A pair kernel loads two vectors per FMA,
// so it is bound at about one FMA per cycle by the load ports; 4 chains
// just cover the 4-cycle FMA latency there, 8 leave slack. Chosen by an
// interleaved A/B (min of 40 runs, dims 128..3072, 2-core Xeon VM with
// AVX-512; internal/distance/BENCHMARKS.md): 8 was 3-5% faster at dims >=
// 768 and 3% slower at 128 with AVX-512, and up to 10% faster with AVX2.
const (
	unrollAVX512 = 8
	unrollAVX2   = 8
)

// vecBytes is the size of one vector register in bytes.
func (s *isa) vecBytes() int { return 4 * s.lanes }

// tailMask is 8 all-ones words followed by 8 zero words; the AVX2 tail mask
// for r remaining lanes is the 8 words starting at tailmask+32-4r.
var tailMask Mem

func declareTailMask(name string) {
	tailMask = GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i < 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

func avx512() *isa {
	s := &isa{suffix: "AVX512", lanes: 16, unroll: unrollAVX512, vec: ZMM}
	s.setTail = func(n reg.GPVirtual) { s.kmask = tailOpmask(n, 16) }
	s.load = func(m Mem, dst reg.VecVirtual) { VMOVUPS_Z(m, s.kmask, dst) }
	s.zero = func(r reg.VecVirtual) { VPXORD(r, r, r) }
	s.setAbs = func() {
		// Broadcast from a GP register. (VPTERNLOGD $0xff, m, m, m to make
		// all ones is not dependency-breaking: it waited on the caller's
		// last write of the register and made L1 at dim 128 2.2x slower,
		// 18.1 ns against 8.2.)
		r := GP32()
		MOVL(U32(0x7fffffff), r)
		m := ZMM()
		VPBROADCASTD(r, m)
		s.absMask = m
	}
	s.abs = func(r reg.VecVirtual) { VPANDD(s.absMask, r, r) }
	s.hi256 = func(z reg.VecVirtual) reg.VecVirtual {
		y := YMM()
		VEXTRACTF64X4(U8(1), z, y)
		VADDPS(y, z.AsY(), y)
		return y
	}
	// EVEX form so that any of Y0-Y31 may be allocated.
	s.hi128 = func(y reg.VecVirtual) reg.VecVirtual {
		x := XMM()
		VEXTRACTF32X4(U8(1), y, x)
		VADDPS(x, y.AsX(), x)
		return x
	}
	return s
}

// tailOpmask emits the opmask of the n%lanes low lanes (lanes a power of
// two, at most 16): (1<<(n%lanes))-1 via BZHI, which clears the bits of
// the all-lanes mask from n%lanes up.
func tailOpmask(n reg.GPVirtual, lanes int) reg.Register {
	r := GP32()
	MOVL(n.As32(), r)
	ANDL(U32(lanes-1), r)
	all := GP32()
	MOVL(U32(1<<lanes-1), all)
	BZHIL(r, all, all)
	k := K()
	KMOVW(all, k)
	return k
}

func avx2() *isa {
	s := &isa{suffix: "AVX2", lanes: 8, unroll: unrollAVX2, vec: YMM}
	s.setTail = func(n reg.GPVirtual) {
		p := GP64()
		LEAQ(tailMask.Offset(32), p)
		r := GP64()
		MOVQ(n, r)
		ANDQ(U32(7), r)
		SHLQ(U8(2), r)
		SUBQ(r, p)
		m := YMM()
		VMOVDQU(Mem{Base: p}, m)
		s.ymask = m
	}
	s.load = func(m Mem, dst reg.VecVirtual) { VMASKMOVPS(m, s.ymask, dst) }
	s.zero = func(r reg.VecVirtual) { VXORPS(r, r, r) }
	s.setAbs = func() {
		m := YMM()
		VPCMPEQD(m, m, m) // all ones
		VPSRLD(U8(1), m, m)
		s.absMask = m
	}
	s.abs = func(r reg.VecVirtual) { VANDPS(s.absMask, r, r) }
	s.hi256 = func(y reg.VecVirtual) reg.VecVirtual { return y }
	s.hi128 = func(y reg.VecVirtual) reg.VecVirtual {
		x := XMM()
		VEXTRACTF128(U8(1), y, x)
		VADDPS(x, y.AsX(), x)
		return x
	}
	return s
}

// hsum reduces one full-width register to a scalar in the low lane of the
// returned XMM register.
func (s *isa) hsum(v reg.VecVirtual) reg.VecVirtual {
	x := s.hi128(s.hi256(v))
	t := XMM()
	VMOVHLPS(x, x, t)
	VADDPS(t, x, x)
	VMOVSHDUP(x, t)
	VADDSS(t, x, x)
	return x
}

// hsum4 reduces four full-width registers to one XMM register holding
// their four sums in lanes 0..3 (a transpose-and-add, cheaper than four
// separate reductions).
func (s *isa) hsum4(v [4]reg.VecVirtual) reg.VecVirtual {
	var y [4]reg.VecVirtual
	for i := range v {
		y[i] = s.hi256(v[i])
	}
	ab, abh := YMM(), YMM()
	VUNPCKLPS(y[1], y[0], ab)  // a0 b0 a1 b1 | a4 b4 a5 b5
	VUNPCKHPS(y[1], y[0], abh) // a2 b2 a3 b3 | a6 b6 a7 b7
	VADDPS(abh, ab, ab)
	cd, cdh := YMM(), YMM()
	VUNPCKLPS(y[3], y[2], cd)
	VUNPCKHPS(y[3], y[2], cdh)
	VADDPS(cdh, cd, cd)
	lo, hi := YMM(), YMM()
	VUNPCKLPD(cd, ab, lo) // a02 b02 c02 d02 | ...
	VUNPCKHPD(cd, ab, hi) // a13 b13 c13 d13 | ...
	VADDPS(hi, lo, lo)
	return s.hi128(lo)
}
