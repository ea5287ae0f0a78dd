package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The scan set (scan_amd64.s): kernels for exact search that return only
// the base vectors good enough to matter, so the Go caller does not loop
// over every score.
//
//   - <kind>Bound<ISA>: one query against a run of base vectors, four per
//     loop iteration (independent accumulator chains per vector, one
//     transpose-and-add reduction for the four), keeping the vectors whose
//     score passes a bound.
//   - panel<ISA>: a panel of W queries stored transposed (one float of each
//     query per dimension, side by side) against base vectors, B at a time:
//     a register-blocked matrix-multiply micro-kernel in which each base
//     float is broadcast and multiplied with W query floats, so the scores
//     come out with queries in lanes and need no horizontal reduction.
//     Each base vector's W scores are compared with W per-query bounds.

func genScanSet() {
	envInt("SCAN_PF", &boundPrefetch)
	declareIota()
	for _, s := range []*isa{avx512(), avx2()} {
		for _, k := range []kind{kindDot, kindL2Sq} {
			genBound(s, k)
		}
		genPanel(s)
	}
}

// Comparison predicates of VCMPPS (ordered, non-signalling: NaN fails).
const (
	cmpLE = 0x12 // LE_OQ
	cmpGE = 0x1d // GE_OQ
)

// boundPred is the predicate that keeps a score: distances at most the
// bound, dot products at least it.
func boundPred(k kind) uint8 {
	if k == kindDot {
		return cmpGE
	}
	return cmpLE
}

var iota4 Mem

// declareIota emits the constant {0, 1, 2, 3} (int32), the lane offsets of
// the indices of a group of four base vectors.
func declareIota() {
	iota4 = GLOBL("scaniota", RODATA|NOPTR)
	for i := 0; i < 4; i++ {
		DATA(4*i, U32(uint32(i)))
	}
}

// boundPrefetch: while the Bound kernels score a group of four vectors,
// they prefetch the same number of lines, as they consume them, from
// 4*len(q)*4 + boundPrefetch bytes past the group's start: the next group
// (plus boundPrefetch bytes). Negative disables it; the SCAN_PF
// environment variable overrides it when tuning. Interleaved runs of
// Search over clustered-1M-128 (1M x 128, 512 MB) against a paired stream
// read on the 2-core Xeon VM (internal/distance/BENCHMARKS.md), median
// fraction of stream bandwidth over 5 rounds: none 0.86, 0 0.91, 6144
// 0.94 (within the noise of 0), 14336 0.88; no cost on L2-resident bases.
var boundPrefetch = 0

// boundPrefetchMaxRow is the largest row (bytes) for which the Bound
// kernels prefetch; they skip it for longer rows, whose groups are long
// enough streams for the hardware prefetchers, and where a group ahead
// (beyond 16 KiB) no longer fits in L1 beside the current one: with
// prefetch, an L2-resident base at d=1536 scanned at 99-105 GB/s against
// 127-135 without (min of 2000 calls), while d=784 over 188 MB
// (fashion-mnist) ran at stream bandwidth either way.
const boundPrefetchMaxRow = 1024

// boundAcc is the number of accumulators per base vector in the Bound
// kernels' four-vector groups (8 in all).
const boundAcc = 2

// genBound emits func <kind>Bound<ISA>(q, base []float32, bound float32,
// idx []uint32, dist []float32) int.
func genBound(s *isa, k kind) {
	name := k.name() + "Bound" + s.suffix // dotBoundAVX512, ...
	TEXT(name, NOSPLIT, "func(q, base []float32, bound float32, idx []uint32, dist []float32) int")
	Pragma("noescape")
	keep := "at most"
	if k == kindDot {
		keep = "at least"
	}
	Doc(fmt.Sprintf("%s computes %s of q and each of the len(idx)", name, k.what()),
		"vectors of len(q) floats stored back to back in base and, for each i whose",
		fmt.Sprintf("score is %s bound, in increasing order, writes i to idx[c] and the", keep),
		"score to dist[c]; it returns c, using "+s.suffix+". The caller guarantees",
		"len(dist) >= len(idx) and len(base) >= len(idx)*len(q).")
	qbase := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	d := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("base").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("idx").Len(), GP64()).(reg.GPVirtual)
	bnd := XMM()
	VBROADCASTSS(paramAddr("bound"), bnd)
	c, j := GP64(), GP64()
	XORQ(c, c)
	XORQ(j, j)
	s.setTail(d)
	rowb := GP64()
	MOVQ(d, rowb)
	SHLQ(U8(2), rowb)
	var pfd reg.GPVirtual // prefetch distance from a group's start; 0: none
	if boundPrefetch >= 0 {
		pfd = GP64()
		XORQ(pfd, pfd)
		CMPQ(rowb, U32(boundPrefetchMaxRow))
		JA(LabelRef("nopf"))
		LEAQ(Mem{Base: rowb, Index: rowb, Scale: 2}, pfd) // 3 rows
		LEAQ(Mem{Base: pfd, Index: rowb, Scale: 1, Disp: boundPrefetch}, pfd)
		Label("nopf")
	}
	var jv, four reg.VecVirtual
	if s.lanes == 16 {
		jv, four = XMM(), XMM()
		VMOVUPS(iota4, jv)
		t := GP32()
		MOVL(U32(4), t)
		VPBROADCASTD(t, four)
	}

	Label("group")
	t := GP64()
	LEAQ(Mem{Base: j, Disp: 4}, t)
	CMPQ(t, n)
	JA(LabelRef("single"))
	sums := boundGroup(s, k, qbase, bp, rowb, d, pfd)
	pred := U8(boundPred(k))
	ip := Load(Param("idx").Base(), GP64())
	dp := Load(Param("dist").Base(), GP64())
	if s.lanes == 16 {
		km := K()
		VCMPPS(pred, bnd, sums, km)
		o := XMM()
		VCOMPRESSPS_Z(sums, km, o)
		VMOVUPS(o, Mem{Base: dp, Index: c, Scale: 4})
		VPCOMPRESSD_Z(jv, km, o)
		VMOVUPS(o, Mem{Base: ip, Index: c, Scale: 4})
		VPADDD(four, jv, jv)
		r := GP32()
		KMOVW(km, r)
		POPCNTL(r, r)
		ADDQ(r.As64(), c)
	} else {
		m := XMM()
		VCMPPS(pred, bnd, sums, m)
		r := GP32()
		VMOVMSKPS(m, r)
		TESTL(r, r)
		JZ(LabelRef("gnext"))
		for l := 0; l < 4; l++ {
			skip := fmt.Sprintf("lane%d", l)
			BTL(U8(l), r)
			JCC(LabelRef(skip))
			if l == 0 {
				VMOVSS(sums, Mem{Base: dp, Index: c, Scale: 4})
			} else {
				VEXTRACTPS(U8(l), sums, Mem{Base: dp, Index: c, Scale: 4})
			}
			jl := GP64()
			LEAQ(Mem{Base: j, Disp: l}, jl)
			MOVL(jl.As32(), Mem{Base: ip, Index: c, Scale: 4})
			INCQ(c)
			Label(skip)
		}
		Label("gnext")
	}
	LEAQ(Mem{Base: bp, Index: rowb, Scale: 4}, bp)
	ADDQ(U8(4), j)
	JMP(LabelRef("group"))

	// Fewer than four vectors left: one at a time.
	Label("single")
	CMPQ(j, n)
	JAE(LabelRef("end"))
	qp, m, rp := GP64(), GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(d, m)
	MOVQ(bp, rp)
	acc := newAcc(s)
	body(s, k, qp, rp, m, acc, false, 0)
	x := reduce(s, acc)
	// Keep x <= bound (L2) or x >= bound (dot); NaN (parity) fails.
	if k == kindDot {
		VUCOMISS(x, bnd)
	} else {
		VUCOMISS(bnd, x)
	}
	JPS(LabelRef("snext"))
	JHI(LabelRef("snext"))
	{
		ip := Load(Param("idx").Base(), GP64())
		dp := Load(Param("dist").Base(), GP64())
		VMOVSS(x, Mem{Base: dp, Index: c, Scale: 4})
		MOVL(j.As32(), Mem{Base: ip, Index: c, Scale: 4})
		INCQ(c)
	}
	Label("snext")
	ADDQ(rowb, bp)
	INCQ(j)
	JMP(LabelRef("single"))

	Label("end")
	Store(c, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// boundGroup emits the scoring of the four base vectors at bp (rows of
// rowb bytes) against the query at qbase (d floats) and returns their four
// scores in the low lanes of an XMM register.
func boundGroup(s *isa, k kind, qbase, bp, rowb, d, pfd reg.GPVirtual) reg.VecVirtual {
	vb := s.vecBytes()
	r0, r2, qp, m := GP64(), GP64(), GP64(), GP64()
	var pf reg.GPVirtual
	if pfd != nil {
		pf = GP64()
		LEAQ(Mem{Base: bp, Index: pfd, Scale: 1}, pf)
	}
	// prefetch emits prefetches of the lines that a step of the given
	// number of chunks consumes, ahead at pf.
	npf := 0
	prefetch := func(chunks int) {
		if pf == nil {
			return
		}
		npf++
		skip := fmt.Sprintf("nopf%d", npf)
		TESTQ(pfd, pfd)
		JZ(LabelRef(skip))
		for off := 0; off < 4*chunks*vb; off += 64 {
			PREFETCHT0(Mem{Base: pf, Disp: off})
		}
		ADDQ(U32(4*chunks*vb), pf)
		Label(skip)
	}
	MOVQ(bp, r0)
	LEAQ(Mem{Base: bp, Index: rowb, Scale: 2}, r2)
	MOVQ(qbase, qp)
	MOVQ(d, m)
	row := func(v, disp int) Mem {
		switch v {
		case 0:
			return Mem{Base: r0, Disp: disp}
		case 1:
			return Mem{Base: r0, Index: rowb, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: r2, Disp: disp}
		}
		return Mem{Base: r2, Index: rowb, Scale: 1, Disp: disp}
	}
	zero := s.vec()
	s.zero(zero)
	var acc [4][boundAcc]reg.VecVirtual
	for v := range acc {
		for a := range acc[v] {
			acc[v][a] = s.vec()
			s.copy(zero, acc[v][a]) // see panelBlocks
		}
	}
	chunk := func(disp, a int) {
		x := s.vec()
		VMOVUPS(Mem{Base: qp, Disp: disp}, x)
		for v := 0; v < 4; v++ {
			k.accumulate(s, x, row(v, disp), acc[v][a], false)
		}
	}
	advance := func(bytes int) {
		ADDQ(U32(bytes), qp)
		ADDQ(U32(bytes), r0)
		ADDQ(U32(bytes), r2)
	}
	Label("gloop")
	CMPQ(m, U32(boundAcc*s.lanes))
	JB(LabelRef("grest"))
	for a := 0; a < boundAcc; a++ {
		chunk(a*vb, a)
	}
	prefetch(boundAcc)
	advance(boundAcc * vb)
	SUBQ(U32(boundAcc*s.lanes), m)
	JMP(LabelRef("gloop"))

	Label("grest")
	for a := 0; a < boundAcc-1; a++ {
		CMPQ(m, U32(s.lanes))
		JB(LabelRef("gtail"))
		chunk(0, a)
		prefetch(1)
		advance(vb)
		SUBQ(U32(s.lanes), m)
	}

	Label("gtail")
	TESTQ(m, m)
	JZ(LabelRef("gdone"))
	x := s.vec()
	s.load(Mem{Base: qp}, x)
	for v := 0; v < 4; v++ {
		y := s.vec()
		s.load(row(v, 0), y)
		k.accumulate(s, x, y, acc[v][boundAcc-1], false)
	}

	Label("gdone")
	var sums [4]reg.VecVirtual
	for v := range acc {
		for a := 1; a < boundAcc; a++ {
			VADDPS(acc[v][a], acc[v][0], acc[v][0])
		}
		sums[v] = acc[v][0]
	}
	return s.hsum4(sums)
}

// Panel shapes: W = 16*panelRegs(s) queries per panel (lanes of panelRegs
// vector registers) and panelBlock(s) base vectors per block, so a block
// keeps panelRegs*panelBlock accumulators in registers. Per dimension the
// micro-kernel loads panelRegs query vectors and broadcasts panelBlock base
// floats for panelRegs*panelBlock FMAs: AVX-512 2 + 12 loads for 24 FMAs,
// AVX2 2 + 6 for 12, so the FMA ports, not the load ports, bound it.
// Measured (min of 300 calls on an L2-resident tile, 2-core Xeon VM; see
// internal/distance/BENCHMARKS.md): AVX-512 runs at 0.80-0.86 of FMA peak
// at dims 128-1536 with blocks of 8, 12 or 13 alike; broadcasting inside
// the FMAs (VFMADD231PS with a {1to16} memory operand, 24 loads per step
// instead of 14) fell to 0.71-0.73. AVX2 reaches about half the AVX-512
// peak, i.e. its own ymm peak.
func panelRegs(s *isa) int { return 2 }

func panelBlock(s *isa) int {
	if s.lanes == 16 {
		return 12
	}
	return 6
}

// panelUnroll is how many dimensions one iteration of the micro-kernel's
// loop covers.
const panelUnroll = 4

// genPanel emits func panel<ISA>(panel, base, add []float32, scale float32,
// bound []float32, idx, mask []uint32, dist []float32) int.
func genPanel(s *isa) {
	w := s.lanes * panelRegs(s)
	name := "panel" + s.suffix
	TEXT(name, NOSPLIT, "func(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s scores the len(idx) vectors of d = len(panel)/%d floats stored", name, w),
		fmt.Sprintf("back to back in base against the %d queries of panel (panel[i*%d+l] is", w, w),
		"element i of query l) using "+s.suffix+": s[l] = add[j] + scale*dot(query l,",
		"vector j), without add if it is nil. For each j in increasing order for",
		"which some s[l] <= bound[l], it writes j to idx[c], the bit mask of those",
		fmt.Sprintf("lanes to mask[c] and s to dist[c*%d:(c+1)*%d], and returns c. The caller", w, w),
		"guarantees the lengths: base, add and mask hold len(idx) entries,",
		fmt.Sprintf("bound %d and dist %d*len(idx).", w, w))
	// rowb = 4*d bytes per base vector, d = len(panel)/w.
	rowb := Load(Param("panel").Len(), GP64()).(reg.GPVirtual)
	SHRQ(U8(log2(w)-2), rowb)
	bp := Load(Param("base").Base(), GP64()).(reg.GPVirtual)
	c, j := GP64(), GP64()
	XORQ(c, c)
	XORQ(j, j)
	for _, b := range []int{panelBlock(s), 4, 1} {
		if b > panelBlock(s) || (b == 4 && panelBlock(s) == 4) {
			continue
		}
		panelBlocks(s, b, bp, rowb, c, j)
	}
	Label("end")
	Store(c, ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// panelBlocks emits the loop over blocks of b base vectors: while at least
// b vectors are left, score b of them and record the passing ones.
func panelBlocks(s *isa, b int, bp, rowb, c, j reg.GPVirtual) {
	vb := s.vecBytes()
	pr := panelRegs(s)
	w := pr * s.lanes
	p := fmt.Sprintf("b%d", b)
	Label(p)
	t := GP64()
	LEAQ(Mem{Base: j, Disp: b}, t)
	n := Load(Param("idx").Len(), GP64())
	CMPQ(t, n)
	JA(LabelRef(p + "next"))

	pp := Load(Param("panel").Base(), GP64()).(reg.GPVirtual)
	m := GP64()
	MOVQ(rowb, m)
	SHRQ(U8(2), m)
	// Row addressing: rows 4g..4g+3 are r[g], r[g]+rowb, r[g]+2*rowb,
	// r[g]+3*rowb.
	groups := (b + 3) / 4
	r := make([]reg.GPVirtual, groups)
	for g := range r {
		r[g] = GP64()
		if g == 0 {
			MOVQ(bp, r[g])
		} else {
			LEAQ(Mem{Base: r[g-1], Index: rowb, Scale: 4}, r[g])
		}
	}
	var rowb3 reg.GPVirtual
	if b > 3 {
		rowb3 = GP64()
		LEAQ(Mem{Base: rowb, Index: rowb, Scale: 2}, rowb3)
	}
	row := func(v, disp int) Mem {
		base := r[v/4]
		switch v % 4 {
		case 0:
			return Mem{Base: base, Disp: disp}
		case 1:
			return Mem{Base: base, Index: rowb, Scale: 1, Disp: disp}
		case 2:
			return Mem{Base: base, Index: rowb, Scale: 2, Disp: disp}
		}
		return Mem{Base: base, Index: rowb3, Scale: 1, Disp: disp}
	}
	// Zero the accumulators by copying one zeroed register: avo does not
	// treat VPXORD r, r, r as defining r, so zeroing each accumulator that
	// way would keep them all live from the function's entry.
	zero := s.vec()
	s.zero(zero)
	acc := make([][]reg.VecVirtual, b)
	for v := range acc {
		acc[v] = make([]reg.VecVirtual, pr)
		for q := range acc[v] {
			acc[v][q] = s.vec()
			s.copy(zero, acc[v][q])
		}
	}
	// step emits one dimension: panel row at pp+disp*w, base floats at +disp.
	step := func(u int) {
		qv := make([]reg.VecVirtual, pr)
		for q := range qv {
			qv[q] = s.vec()
			VMOVUPS(Mem{Base: pp, Disp: u*4*w + q*vb}, qv[q])
		}
		for v := 0; v < b; v++ {
			x := s.vec()
			VBROADCASTSS(row(v, 4*u), x)
			for q := range qv {
				VFMADD231PS(x, qv[q], acc[v][q])
			}
		}
	}
	advance := func(dims int) {
		ADDQ(U32(dims*4*w), pp)
		for _, rg := range r {
			ADDQ(U8(4*dims), rg)
		}
	}
	Label(p + "loop")
	CMPQ(m, U8(panelUnroll))
	JB(LabelRef(p + "rest"))
	for u := 0; u < panelUnroll; u++ {
		step(u)
	}
	advance(panelUnroll)
	SUBQ(U8(panelUnroll), m)
	JMP(LabelRef(p + "loop"))
	Label(p + "rest")
	TESTQ(m, m)
	JZ(LabelRef(p + "done"))
	step(0)
	advance(1)
	DECQ(m)
	JMP(LabelRef(p + "rest"))

	Label(p + "done")
	panelRecord(s, p, acc, c, j)
	LEAQ(Mem{Base: j, Disp: b}, j)
	adv := GP64()
	IMUL3Q(U32(b), rowb, adv)
	ADDQ(adv, bp)
	JMP(LabelRef(p))
	Label(p + "next")
}

// panelRecord emits the scaling, comparison and recording of the scores
// in acc (one row of panelRegs registers per base vector j+v).
func panelRecord(s *isa, p string, acc [][]reg.VecVirtual, c, j reg.GPVirtual) {
	vb := s.vecBytes()
	pr := panelRegs(s)
	w := pr * s.lanes
	sc := s.vec()
	VBROADCASTSS(paramAddr("scale"), sc)
	addp := Load(Param("add").Base(), GP64()).(reg.GPVirtual)
	boundp := Load(Param("bound").Base(), GP64()).(reg.GPVirtual)
	ip := Load(Param("idx").Base(), GP64()).(reg.GPVirtual)
	mp := Load(Param("mask").Base(), GP64()).(reg.GPVirtual)
	dp := Load(Param("dist").Base(), GP64()).(reg.GPVirtual)
	// Scale, then add if add is not nil.
	TESTQ(addp, addp)
	JZ(LabelRef(p + "noadd"))
	for v := range acc {
		x := s.vec()
		VBROADCASTSS(Mem{Base: addp, Index: j, Scale: 4, Disp: 4 * v}, x)
		for q := range acc[v] {
			VFMADD213PS(x, sc, acc[v][q])
		}
	}
	JMP(LabelRef(p + "scaled"))
	Label(p + "noadd")
	for v := range acc {
		for q := range acc[v] {
			VMULPS(sc, acc[v][q], acc[v][q])
		}
	}
	Label(p + "scaled")
	for v := range acc {
		o := GP64()
		MOVQ(c, o)
		SHLQ(U8(log2(4*w)), o)
		mk := GP32()
		for q := range acc[v] {
			a := acc[v][q]
			VMOVUPS(a, Mem{Base: dp, Index: o, Scale: 1, Disp: q * vb})
			bm := Mem{Base: boundp, Disp: q * vb}
			r := mk
			if q > 0 {
				r = GP32()
			}
			if s.lanes == 16 {
				km := K()
				VCMPPS(U8(cmpLE), bm, a, km)
				KMOVW(km, r)
			} else {
				t := s.vec()
				VCMPPS(U8(cmpLE), bm, a, t)
				VMOVMSKPS(t, r)
			}
			if q > 0 {
				SHLL(U8(q*s.lanes), r)
				ORL(r, mk)
			}
		}
		MOVL(mk, Mem{Base: mp, Index: c, Scale: 4})
		jv := GP64()
		LEAQ(Mem{Base: j, Disp: v}, jv)
		MOVL(jv.As32(), Mem{Base: ip, Index: c, Scale: 4})
		// c += (mk != 0): NEG sets the carry flag iff its operand is not 0.
		NEGL(mk)
		ADCQ(U8(0), c)
	}
}

func log2(x int) int {
	n := 0
	for 1<<n < x {
		n++
	}
	if 1<<n != x {
		panic("log2 of a non-power of two")
	}
	return n
}

// copy emits dst = src for full vector registers.
func (s *isa) copy(src, dst reg.VecVirtual) { VMOVAPS(src, dst) }

// paramAddr returns the stack address of a scalar parameter. (Loading a
// float parameter with Load emits MOVSS, which cannot reach the registers
// X16-X31 that the allocator may choose in AVX-512 code.)
func paramAddr(name string) Mem {
	a, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return a.Addr
}
