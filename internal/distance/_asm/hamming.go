package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The bits set (hamming_amd64.s): Hamming distance between binary codes
// of 64-bit words with AVX-512 VPOPCNTDQ. A step XORs eight words of the
// query with eight of the code and counts bits per word (VPOPCNTQ) into
// 64-bit lanes; the tail (len % 8 words) is one opmask-masked step, so
// nothing past either slice is read. Binary codes are short (2 words at
// 128 dimensions, 12 at 768), so a row is usually one or two steps and a
// horizontal sum; the mask is computed once per call, not per row.

func genBitsSet() {
	envInt("HAMMING_SCALAR", &hammingScalarMax) // for A/B experiments only
	genHamming()
	genHammingBatch()
	genHammingGather()
}

// hammingUnroll is the steps per iteration of the main loop (accumulators).
// Each step loads two vectors, so the two load ports bound it at one step
// per cycle, which one VPADDQ chain sustains; two leave slack and rows are
// short.
const hammingUnroll = 2

// hammingScalarMax is the longest code (words) that the kernels score a
// word at a time with POPCNT instead of with one masked vector step and a
// horizontal sum; 0 disables it. HAMMING_SCALAR overrides it for A/B runs.
// Interleaved A/B on the 2-core AVX-512 VM (min of 8 runs, HammingBatch of
// 4096 codes in L2): 2 words 7.7 us vector, 4.9 us scalar; 4 words 7.6 and
// 7.5 us (a tie); 6 words 8.0 and 10.4 us. Single pairs: 2 words 4.6 and
// 3.2 ns, 4 words 4.2 and 3.9 ns.
var hammingScalarMax = 2

// hammingBody emits out = the Hamming distance of the n words at ap and bp
// (tail mask k for n%8). ap, bp and n are consumed.
func hammingBody(ap, bp, n reg.GPVirtual, k reg.Register, out reg.GPVirtual) {
	lbl := labels()
	if hammingScalarMax > 0 {
		CMPQ(n, U8(hammingScalarMax))
		JBE(LabelRef(lbl("scalar")))
	}
	acc := make([]reg.VecVirtual, hammingUnroll)
	for i := range acc {
		acc[i] = ZMM()
		VPXORQ(acc[i], acc[i], acc[i])
	}
	step := func(am, bm Mem, acc reg.VecVirtual) {
		t := ZMM()
		VMOVDQU64(am, t)
		VPXORQ(bm, t, t)
		VPOPCNTQ(t, t)
		VPADDQ(t, acc, acc)
	}
	Label(lbl("loop"))
	CMPQ(n, U32(8*hammingUnroll))
	JB(LabelRef(lbl("rest")))
	for i := range acc {
		step(Mem{Base: ap, Disp: 64 * i}, Mem{Base: bp, Disp: 64 * i}, acc[i])
	}
	ADDQ(U32(64*hammingUnroll), ap)
	ADDQ(U32(64*hammingUnroll), bp)
	SUBQ(U32(8*hammingUnroll), n)
	JMP(LabelRef(lbl("loop")))

	Label(lbl("rest"))
	for i := 0; i < hammingUnroll-1; i++ {
		CMPQ(n, U8(8))
		JB(LabelRef(lbl("tail")))
		step(Mem{Base: ap}, Mem{Base: bp}, acc[i])
		ADDQ(U8(64), ap)
		ADDQ(U8(64), bp)
		SUBQ(U8(8), n)
	}

	Label(lbl("tail"))
	TESTQ(n, n)
	JZ(LabelRef(lbl("sum")))
	t, u := ZMM(), ZMM()
	VMOVDQU64_Z(Mem{Base: ap}, k, t)
	VMOVDQU64_Z(Mem{Base: bp}, k, u)
	VPXORQ(u, t, t)
	VPOPCNTQ(t, t)
	VPADDQ(t, acc[hammingUnroll-1], acc[hammingUnroll-1])

	Label(lbl("sum"))
	for i := 1; i < hammingUnroll; i++ {
		VPADDQ(acc[i], acc[0], acc[0])
	}
	y := YMM()
	VEXTRACTI64X4(U8(1), acc[0], y)
	VPADDQ(y, acc[0].AsY(), y)
	x := XMM()
	VEXTRACTI32X4(U8(1), y, x)
	VPADDQ(x, y.AsX(), x)
	s := XMM()
	VPSHUFD(U8(0x4e), x, s)
	VPADDQ(s, x, x)
	VMOVQ(x, out)
	if hammingScalarMax == 0 {
		return
	}
	JMP(LabelRef(lbl("done")))

	// Short codes: a word at a time with POPCNT.
	Label(lbl("scalar"))
	XORQ(out, out)
	TESTQ(n, n)
	JZ(LabelRef(lbl("done")))
	Label(lbl("word"))
	w := GP64()
	MOVQ(Mem{Base: ap}, w)
	XORQ(Mem{Base: bp}, w)
	POPCNTQ(w, w)
	ADDQ(w, out)
	ADDQ(U8(8), ap)
	ADDQ(U8(8), bp)
	DECQ(n)
	JNZ(LabelRef(lbl("word")))
	Label(lbl("done"))
}

// genHamming emits func hammingAVX512(a, b []uint64) int.
func genHamming() {
	TEXT("hammingAVX512", NOSPLIT, "func(a, b []uint64) int")
	Pragma("noescape")
	Doc("hammingAVX512 returns the number of bits that differ between a and b",
		"using AVX-512 VPOPCNTDQ. Only len(a) words are read; len(b) >= len(a) is",
		"the caller's.")
	ap := Load(Param("a").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("a").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("b").Base(), GP64()).(reg.GPVirtual)
	k := tailOpmask(n, 8)
	r := GP64()
	hammingBody(ap, bp, n, k, r)
	Store(r, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// genHammingBatch emits func hammingBatchAVX512(q, codes []uint64, out
// []int32): out[i] = Hamming(q, codes[i*len(q):]) for i < len(out).
func genHammingBatch() {
	TEXT("hammingBatchAVX512", NOSPLIT, "func(q, codes []uint64, out []int32)")
	Pragma("noescape")
	Doc("hammingBatchAVX512 writes the Hamming distance of q and each of the",
		"len(out) codes of len(q) words stored back to back in codes into out,",
		"using AVX-512 VPOPCNTDQ. The caller guarantees len(codes) >= len(out)*len(q).")
	qbase := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	d := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	cp := Load(Param("codes").Base(), GP64()).(reg.GPVirtual)
	op := Load(Param("out").Base(), GP64()).(reg.GPVirtual)
	cnt := Load(Param("out").Len(), GP64()).(reg.GPVirtual)
	TESTQ(cnt, cnt)
	JZ(LabelRef("end"))
	k := tailOpmask(d, 8)
	rowBytes := byteLen(d, 3)

	Label("row")
	qp, rp, n := GP64(), GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(cp, rp)
	MOVQ(d, n)
	r := GP64()
	hammingBody(qp, rp, n, k, r)
	MOVL(r.As32(), Mem{Base: op})
	ADDQ(rowBytes, cp)
	ADDQ(U8(4), op)
	DECQ(cnt)
	JNZ(LabelRef("row"))

	Label("end")
	VZEROUPPER()
	RET()
}

// genHammingGather emits func hammingGatherAVX512(q, codes []uint64, words
// int, ids []uint32, out []int32): out[i] = Hamming(q, row ids[i]), rows of
// words words, of which the first len(q) are read.
func genHammingGather() {
	TEXT("hammingGatherAVX512", NOSPLIT, "func(q, codes []uint64, words int, ids []uint32, out []int32)")
	Pragma("noescape")
	Doc("hammingGatherAVX512 writes the Hamming distance of q and the first len(q)",
		"words of row ids[i] of codes (rows of words words) into out[i] for each",
		"id, using AVX-512 VPOPCNTDQ, prefetching rows ahead. The caller guarantees",
		"every row is in range and len(out) >= len(ids).")
	var k reg.Register // tail mask, from setup
	emitGatherRows(loadGather("codes", "words"), gatherRows{
		emptyRows: true,
		setup: func(a gatherArgs) (reg.GPVirtual, reg.GPVirtual) {
			k = tailOpmask(a.d, 8)
			SHLQ(U8(3), a.stride)            // row bytes
			return a.stride, byteLen(a.d, 3) // bytes read per row
		},
		prefetch: prefetchSpan,
		score: int32Score(func(qp, rp, n, r reg.GPVirtual) {
			hammingBody(qp, rp, n, k, r)
		}),
	})
}
