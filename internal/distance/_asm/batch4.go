package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// Chunks (vectors of each base vector) per loop iteration of the Batch4
// kernels. The main loop scores two base vectors at once against the four
// queries: each query chunk is loaded once into a register and used for
// both base vectors, so a chunk costs 2 base + 4 query loads for 8 FMAs
// (0.75 loads per FMA) instead of 1.25 with one base vector, which lifts
// the in-cache ceiling from the load ports to the FMA ports. AVX-512 keeps
// 2 chunks x 2 vectors x 4 queries = 16 accumulators in flight (32 ZMM
// registers); AVX2 has room for one chunk (8 accumulators, 16 YMM).
func pairChunks(s *isa) int {
	if s.lanes == 16 {
		return 2
	}
	return 1
}

// singleChunks is the same for the last base vector when the count is odd.
const singleChunks = 2

// genBatch4 emits func <kind>Batch4<ISA>(q0, q1, q2, q3, base, out0, out1,
// out2, out3 []float32): four queries against one pass over base.
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
		qs[i] = GP64()
		Load(Param(fmt.Sprintf("q%d", i)).Base(), qs[i])
	}
	d, bp, cnt, j := GP64(), GP64(), GP64(), GP64()
	Load(Param("q0").Len(), d)
	Load(Param("base").Base(), bp)
	Load(Param("out0").Len(), cnt)
	XORQ(j, j)
	s.setTail(d)

	// Two base vectors at a time.
	Label("pair")
	t := GP64()
	LEAQ(Mem{Base: j, Disp: 2}, t)
	CMPQ(t, cnt)
	JA(LabelRef("single"))
	b2 := GP64()
	LEAQ(Mem{Base: bp, Index: d, Scale: 4}, b2)
	i, n := GP64(), GP64()
	MOVQ(d, n)
	// Prefetch the next pair while scoring this one (see block4).
	p0, p1 := GP64(), GP64()
	LEAQ(Mem{Base: b2, Index: d, Scale: 4}, p0)
	LEAQ(Mem{Base: p0, Index: d, Scale: 4}, p1)
	sums := block4(s, k, []reg.GPVirtual{bp, b2}, qs, i, n, pairChunks(s), "pair", []reg.GPVirtual{p0, p1})
	LEAQ(Mem{Base: b2, Index: d, Scale: 4}, bp)
	store4(s, s.hsum4(sums[0]), j, 0)
	store4(s, s.hsum4(sums[1]), j, 1)
	ADDQ(U8(2), j)
	JMP(LabelRef("pair"))

	// At most one base vector is left.
	Label("single")
	CMPQ(j, cnt)
	JAE(LabelRef("end"))
	i1, n1 := GP64(), GP64()
	MOVQ(d, n1)
	sums = block4(s, k, []reg.GPVirtual{bp}, qs, i1, n1, singleChunks, "single", nil)
	store4(s, s.hsum4(sums[0]), j, 0)

	Label("end")
	VZEROUPPER()
	RET()
}

// block4 emits the accumulation of the n = d lanes of len(bases) base
// vectors against the four queries, with chunks vectors per base vector
// per loop iteration and a masked tail, and returns one accumulator per
// base vector and query. i is the byte offset into all vectors.
//
// The main loop also prefetches (PREFETCHT0, which never faults) the lines
// at offset i of the vectors that prefetch points to: the next pair of base
// vectors, a pair's scoring time ahead. Four queries per base vector make
// the scan slower per byte than a one-query scan, and the hardware
// prefetcher alone then kept too few lines in flight: on a 1 GiB base
// (d=768, 2-core Xeon VM with AVX-512) this lifted Batch4 from 10.6 to 12.3
// GB/s (dot) and 9.3 to 11.7 GB/s (L2Sq), against 14.8 GB/s for a plain
// stream, at no measurable cost in cache. The one-query kernels gained
// nothing from it (see batchPrefetch).
func block4(s *isa, k kind, bases []reg.GPVirtual, qs [4]reg.GPVirtual, i, n reg.GPVirtual, chunks int, p string, prefetch []reg.GPVirtual) [][4]reg.VecVirtual {
	vb := s.vecBytes()
	acc := make([][4][]reg.VecVirtual, len(bases)) // [base][query][chunk]
	for v := range acc {
		for q := range acc[v] {
			for c := 0; c < chunks; c++ {
				a := s.vec()
				s.zero(a)
				acc[v][q] = append(acc[v][q], a)
			}
		}
	}
	XORQ(i, i)

	// step accumulates one chunk at byte offset i+disp into chunk slot c.
	step := func(disp, c int, masked bool) {
		xs := make([]reg.VecVirtual, len(bases))
		for v, b := range bases {
			xs[v] = s.vec()
			m := Mem{Base: b, Index: i, Scale: 1, Disp: disp}
			if masked {
				s.load(m, xs[v])
			} else {
				VMOVUPS(m, xs[v])
			}
		}
		for q := range qs {
			m := Mem{Base: qs[q], Index: i, Scale: 1, Disp: disp}
			if len(bases) == 1 && !masked {
				k.accumulate(s, xs[0], m, acc[0][q][c], false)
				continue
			}
			t := s.vec()
			if masked {
				s.load(m, t)
			} else {
				VMOVUPS(m, t)
			}
			for v := range bases {
				k.accumulate(s, xs[v], t, acc[v][q][c], false)
			}
		}
	}

	Label(p + "loop")
	CMPQ(n, U32(chunks*s.lanes))
	JB(LabelRef(p + "rest"))
	for c := 0; c < chunks; c++ {
		step(c*vb, c, false)
	}
	for _, r := range prefetch {
		for off := 0; off < chunks*vb; off += 64 {
			PREFETCHT0(Mem{Base: r, Index: i, Scale: 1, Disp: off})
		}
	}
	ADDQ(U32(chunks*vb), i)
	SUBQ(U32(chunks*s.lanes), n)
	JMP(LabelRef(p + "loop"))

	Label(p + "rest")
	for c := 0; c < chunks-1; c++ {
		CMPQ(n, U32(s.lanes))
		JB(LabelRef(p + "tail"))
		step(0, c, false)
		ADDQ(U32(vb), i)
		SUBQ(U32(s.lanes), n)
	}

	Label(p + "tail")
	TESTQ(n, n)
	JZ(LabelRef(p + "done"))
	step(0, chunks-1, true)

	Label(p + "done")
	sums := make([][4]reg.VecVirtual, len(bases))
	for v := range acc {
		for q := range acc[v] {
			for c := 1; c < chunks; c++ {
				VADDPS(acc[v][q][c], acc[v][q][0], acc[v][q][0])
			}
			sums[v][q] = acc[v][q][0]
		}
	}
	return sums
}

// store4 writes lane q of r to out<q>[j+off] for q = 0..3.
func store4(s *isa, r reg.VecVirtual, j reg.GPVirtual, off int) {
	for q := 0; q < 4; q++ {
		o := GP64()
		Load(Param(fmt.Sprintf("out%d", q)).Base(), o)
		m := Mem{Base: o, Index: j, Scale: 4, Disp: 4 * off}
		if q == 0 {
			VMOVSS(r, m)
		} else {
			VEXTRACTPS(U8(q), r, m)
		}
	}
}
