package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// AVX2 forms of the uint8-code kernels, for CPUs without AVX-512 VNNI.
// Results are the exact int32 sums (wrapping like the generic kernels):
//
//   - l2SqU8, dotU8I16: 16 codes widened to int16 (VPMOVZXBW), the int16
//     difference (L2) or the query, and VPMADDWD into int32 pairs, which
//     cannot overflow except where the generic kernel wraps too.
//   - dotU8: VPMADDUBSW (uint8 x int8 pairs summed to int16) saturates on
//     the full ranges (255*127*2 > 32767), so each code byte is split into
//     its low seven bits and its top bit: c = (c & 0x7f) + (c & 0x80). With
//     at most 127 or exactly 128 on the unsigned side, a pair sum lies in
//     [-32768, 32512] and cannot saturate; VPMADDWD by ones widens both
//     halves to int32. 32 codes per step and no shuffles, against 16 per
//     step and four shuffle-port widenings (VPMOVZXBW, VPMOVSXBW) for
//     widening both operands: see splitDotU8.
//
// Tails: the last partial step reloads the final full step of the row
// (ending at its last element, so nothing past it is read) and masks off
// the lanes already counted. Rows shorter than one step go through a
// scalar loop.

// splitDotU8 selects the split-byte VPMADDUBSW form of dotU8AVX2 (true)
// or widening both operands to int16 and VPMADDWD (false; CODE_DOT_WIDEN
// selects it for A/B runs). Interleaved A/B on the 2-core AVX-512 VM
// running the AVX2 code (BenchmarkCodeImpl, min of 15 runs): d=784 23.6 ns
// split against 27.1 widened, d=128 6.7 against 6.5 (noise).
var splitDotU8 = true

// codeMask is 32 zero bytes followed by 32 0xff bytes: the 32 bytes at
// codeMask+n keep the last n byte lanes of a YMM, those at codeMask+2n the
// last n word lanes.
var codeMask Mem

func declareCodeMask() {
	codeMask = GLOBL("codetailmask", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		v := uint32(0)
		if i >= 8 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
}

// perAVX2 is the elements one YMM step consumes.
func (k codeKind) perAVX2() int {
	if k == codeDot && splitDotU8 {
		return 32
	}
	return 16
}

// maskScale is the bytes per lane the tail mask applies to: the step's
// code bytes (split dotU8) or their int16 widening.
func (k codeKind) maskScale() int {
	if k == codeDot && splitDotU8 {
		return 1
	}
	return 2
}

// codeConsts are the constant registers of the split dotU8 step.
type codeConsts struct {
	low7 reg.VecVirtual // 0x7f in every byte
	ones reg.VecVirtual // 1 in every int16
}

// codeStepAVX2 emits acc += f(q chunk at qm, code chunk at cm) for one
// YMM step; with mask, only the lanes it selects count.
func codeStepAVX2(k codeKind, qm, cm Mem, acc reg.VecVirtual, cs codeConsts, mask reg.VecVirtual) {
	t := YMM()
	switch {
	case k == codeL2:
		VPMOVZXBW(cm, t)
		VPSUBW(qm, t, t)
		if mask != nil {
			VPAND(mask, t, t)
		}
		VPMADDWD(t, t, t)
	case k == codeDot16:
		VPMOVZXBW(cm, t)
		if mask != nil {
			VPAND(mask, t, t)
		}
		VPMADDWD(qm, t, t)
	case k == codeDot && splitDotU8:
		VMOVDQU(cm, t)
		if mask != nil {
			VPAND(mask, t, t)
		}
		hi := YMM()
		VPANDN(t, cs.low7, hi) // c & 0x80
		VPAND(cs.low7, t, t)   // c & 0x7f
		VPMADDUBSW(qm, t, t)
		VPMADDUBSW(qm, hi, hi)
		VPMADDWD(cs.ones, t, t)
		VPMADDWD(cs.ones, hi, hi)
		VPADDD(hi, t, t)
	default: // codeDot, widening
		u := YMM()
		VPMOVZXBW(cm, t)
		VPMOVSXBW(qm, u)
		if mask != nil {
			VPAND(mask, t, t)
		}
		VPMADDWD(u, t, t)
	}
	VPADDD(t, acc, acc)
}

// codeScalar emits out += f(q[0], c[0]) for the element at qp, cp.
func codeScalar(k codeKind, qp, cp, out reg.GPVirtual) {
	a, b := GP32(), GP32()
	MOVBLZX(Mem{Base: cp}, b)
	switch k {
	case codeL2:
		MOVWLZX(Mem{Base: qp}, a)
		SUBL(b, a)
		MOVWLSX(a.As16(), a) // the difference wraps in int16, as in Go
		IMULL(a, a)
	case codeDot:
		MOVBLSX(Mem{Base: qp}, a)
		IMULL(b, a)
	case codeDot16:
		MOVWLSX(Mem{Base: qp}, a)
		IMULL(b, a)
	}
	ADDL(a, out.As32())
}

// codeBodyAVX2 is codeBody with AVX2: the reduction of n elements of query
// qp against code cp into out (int32). qp, cp and n are consumed.
func codeBodyAVX2(k codeKind, qp, cp, n, out reg.GPVirtual) {
	lbl := labels()
	per, qb := k.perAVX2(), k.qBytes()
	var cs codeConsts
	if k == codeDot && splitDotU8 {
		r := GP32()
		MOVL(U32(0x7f7f7f7f), r)
		x := XMM()
		VMOVD(r, x)
		cs.low7 = YMM()
		VPBROADCASTD(x, cs.low7)
		cs.ones = YMM()
		VPCMPEQW(cs.ones, cs.ones, cs.ones)
		VPSRLW(U8(15), cs.ones, cs.ones)
	}
	CMPQ(n, U32(per))
	JB(LabelRef(lbl("scalar")))
	acc := make([]reg.VecVirtual, codeUnroll)
	for i := range acc {
		acc[i] = YMM()
		VPXOR(acc[i], acc[i], acc[i])
	}
	codeLoops(lbl, per, qb, qp, cp, n, acc, func(qm, cm Mem, acc reg.VecVirtual) {
		codeStepAVX2(k, qm, cm, acc, cs, nil)
	})

	// 0 < n < per elements left, and at least per before them: step over
	// the last per elements, counting only the last n.
	Label(lbl("tail"))
	TESTQ(n, n)
	JZ(LabelRef(lbl("sum")))
	mp := GP64()
	LEAQ(codeMask, mp)
	mask := YMM()
	VMOVDQU(Mem{Base: mp, Index: n, Scale: uint8(k.maskScale())}, mask)
	SUBQ(U32(per), n) // -(elements already counted)
	LEAQ(Mem{Base: qp, Index: n, Scale: uint8(qb)}, qp)
	LEAQ(Mem{Base: cp, Index: n, Scale: 1}, cp)
	codeStepAVX2(k, Mem{Base: qp}, Mem{Base: cp}, acc[1], cs, mask)

	Label(lbl("sum"))
	codeSum(acc, func(y reg.VecVirtual) reg.VecVirtual {
		x := XMM()
		VEXTRACTI128(U8(1), y, x)
		VPADDD(x, y.AsX(), x)
		return x
	}, out)
	JMP(LabelRef(lbl("done")))

	// Fewer than per elements in all: one at a time.
	Label(lbl("scalar"))
	XORL(out.As32(), out.As32())
	TESTQ(n, n)
	JZ(LabelRef(lbl("done")))
	Label(lbl("one"))
	codeScalar(k, qp, cp, out)
	ADDQ(U8(qb), qp)
	INCQ(cp)
	DECQ(n)
	JNZ(LabelRef(lbl("one")))
	Label(lbl("done"))
}
