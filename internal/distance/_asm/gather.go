package main

import (
	"fmt"
	"os"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// The gather set (gather_amd64.s): kernels for graph search, which scores
// one query against a few rows picked by id from a large slot-major array.
// Each gather kernel prefetches the whole of the next row while it scores
// the current one, so the row fetches overlap with arithmetic. The uint8
// code kernels use AVX-512 VNNI: VPDPWSSD (int16 pairs, for L2 on widened
// codes) and VPDPBUSD (uint8 x int8 quads, for dot products); CPUs without
// it get the AVX2 forms of codeavx2.go (VPMADDWD, VPMADDUBSW).

func genGatherSet() {
	envInt("GATHER_AHEAD", &gatherAhead)   // for A/B experiments only
	if os.Getenv("CODE_DOT_WIDEN") != "" { // for A/B experiments only
		splitDotU8 = false
	}
	for _, s := range []*isa{avx512(), avx2()} {
		for _, k := range []kind{kindDot, kindL2Sq} {
			genGather(s, k)
		}
	}
	for _, k := range []codeKind{codeL2, codeDot, codeDot16} {
		genCode(codeVNNI, k, false)
		genCode(codeVNNI, k, true)
	}
	declareCodeMask()
	for _, k := range []codeKind{codeL2, codeDot, codeDot16} {
		genCode(codeAVX2, k, false)
		genCode(codeAVX2, k, true)
	}
	genPrefetch()
}

// genPrefetch emits func prefetchWords(p []uint32): a PREFETCHT0 of every
// cache line p touches, for a graph search to request the neighbour list it
// will read next while it scores the current one.
func genPrefetch() {
	TEXT("prefetchWords", NOSPLIT, "func(p []uint32)")
	Pragma("noescape")
	Doc("prefetchWords prefetches every cache line of p into L1.")
	p := Load(Param("p").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("p").Len(), GP64()).(reg.GPVirtual)
	TESTQ(n, n)
	JZ(LabelRef("end"))
	end := GP64()
	LEAQ(Mem{Base: p, Index: n, Scale: 4, Disp: -1}, end)
	ANDQ(I32(-64), p)
	Label("line")
	PREFETCHT0(Mem{Base: p})
	ADDQ(U8(64), p)
	CMPQ(p, end)
	JBE(LabelRef("line"))
	Label("end")
	RET()
}

// prefetchRow emits prefetches of every cache line of the n bytes at p.
func prefetchRow(p, n reg.GPVirtual) {
	l := labels()("pf")
	off := GP64()
	XORQ(off, off)
	Label(l)
	PREFETCHT0(Mem{Base: p, Index: off, Scale: 1})
	ADDQ(U8(64), off)
	CMPQ(off, n)
	JB(LabelRef(l))
}

// seq numbers the label sets of labels.
var seq int

// labels returns the namer of one emission's labels, for a helper that a
// function may emit more than once: each name gets the same fresh number
// ("loop" -> "loop7").
func labels() func(name string) string {
	seq++
	id := seq
	return func(name string) string { return fmt.Sprintf("%s%d", name, id) }
}

// rowAddr emits dst = base + uint64(ids[i]) * rowBytes for the id at ip+disp.
func rowAddr(dst, base, ip, rowBytes reg.GPVirtual, disp int) {
	MOVL(Mem{Base: ip, Disp: disp}, dst.As32())
	IMULQ(rowBytes, dst)
	ADDQ(base, dst)
}

// byteLen emits n << shift into a new register: the bytes of n elements of
// 1<<shift bytes each.
func byteLen(n reg.GPVirtual, shift uint8) reg.GPVirtual {
	r := GP64()
	MOVQ(n, r)
	SHLQ(U8(shift), r)
	return r
}

// gatherAhead is how many rows ahead of the one being scored the gather
// kernels prefetch (the first call prefetches rows 0..gatherAhead-1). A
// search expands a node and scores its 10-30 unvisited neighbours in one
// call; prefetching further ahead keeps more of their rows in flight. A/B
// on clustered-1M-128 (internal/index/hnsw TestCurve, thread CPU time,
// best of 3 interleaved runs on a loaded 2-core VM): ahead 2 -> 6 or 16
// raised ef=20 from 24.3k to 28.5k queries/s and ef=40 from 16.1k to 17.0k;
// fashion-mnist (13-line rows) did not change.
var gatherAhead = 8

// prefetchSpan emits prefetches of every cache line of the n > 0 bytes at
// p, also for spans that do not start on a line: prefetchRow's lines
// (from p, 64 bytes apart) and the line of the last byte. The trip count
// depends on n only, so the loop branch predicts. (Walking the lines from
// p rounded down made it depend on p's alignment; with rows of 48 bytes,
// half of them straddling, the mispredicted exits made HammingGather over
// an L2-resident array 2.6x slower than without prefetching: 225 ns
// against 86 per 32 rows.)
func prefetchSpan(p, n reg.GPVirtual) {
	prefetchRow(p, n)
	PREFETCHT0(Mem{Base: p, Index: n, Scale: 1, Disp: -1})
}

// prefetchFirst emits prefetches (pf, n bytes each) of the first
// gatherAhead rows (as many as there are).
func prefetchFirst(pf func(p, n reg.GPVirtual), base, ip, cnt, rowBytes, n reg.GPVirtual) {
	l := labels()("pfdone")
	for j := 0; j < gatherAhead; j++ {
		if j > 0 {
			CMPQ(cnt, U8(j))
			JBE(LabelRef(l))
		}
		p := GP64()
		rowAddr(p, base, ip, rowBytes, 4*j)
		pf(p, n)
	}
	Label(l)
}

// prefetchNext emits: if more than gatherAhead ids are left, prefetch (pf)
// the n bytes of the row of the id gatherAhead ahead.
func prefetchNext(pf func(p, n reg.GPVirtual), base, ip, cnt, rowBytes, n reg.GPVirtual) {
	l := labels()("nopf")
	CMPQ(cnt, U8(gatherAhead))
	JBE(LabelRef(l))
	p := GP64()
	rowAddr(p, base, ip, rowBytes, 4*gatherAhead)
	pf(p, n)
	Label(l)
}

// gatherArgs are the registers of a gather kernel's arguments: the query
// (pointer q, length d), the rows (base), the row stride argument (nil
// without one), the ids (pointer ids, count cnt) and out.
type gatherArgs struct {
	q, d, base, stride, ids, cnt, out reg.GPVirtual
}

// loadGather loads the arguments of a gather kernel func(q []Q, <base> []R,
// [<stride> int,] ids []uint32, out []O); stride is "" for a kernel without
// a stride argument.
func loadGather(base, stride string) gatherArgs {
	var a gatherArgs
	a.q = Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	a.d = Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	a.base = Load(Param(base).Base(), GP64()).(reg.GPVirtual)
	if stride != "" {
		a.stride = Load(Param(stride), GP64()).(reg.GPVirtual)
	}
	a.ids = Load(Param("ids").Base(), GP64()).(reg.GPVirtual)
	a.cnt = Load(Param("ids").Len(), GP64()).(reg.GPVirtual)
	a.out = Load(Param("out").Base(), GP64()).(reg.GPVirtual)
	return a
}

// gatherRows is what a gather kernel's row loop leaves to the kernel.
type gatherRows struct {
	// emptyRows stores 0 for every id when len(q) == 0, for scores that
	// need a non-empty row.
	emptyRows bool
	// setup emits the per-call state (after the checks for no ids and
	// empty rows) and returns the registers of the row stride and of the
	// bytes of a row to prefetch, both in bytes.
	setup func(a gatherArgs) (stride, span reg.GPVirtual)
	// prefetch emits prefetches of the n bytes at p: prefetchRow, or
	// prefetchSpan for rows that need not start on a cache line.
	prefetch func(p, n reg.GPVirtual)
	// score emits the kernel on the len(q) elements of the query at qp and
	// of the row at rp (qp, rp and n = len(q) consumed) and stores its
	// result at out.
	score func(qp, rp, n reg.GPVirtual, out Mem)
}

// emitGatherRows emits the rest of a gather kernel after loadGather: for
// each id, the address of its row, a prefetch of the row gatherAhead ids
// ahead (of the first rows before the loop), the row's score stored into
// out, then VZEROUPPER and RET.
func emitGatherRows(a gatherArgs, g gatherRows) {
	TESTQ(a.cnt, a.cnt)
	JZ(LabelRef("end"))
	if g.emptyRows {
		TESTQ(a.d, a.d)
		JZ(LabelRef("zero"))
	}
	stride, span := g.setup(a)
	prefetchFirst(g.prefetch, a.base, a.ids, a.cnt, stride, span)

	Label("row")
	prefetchNext(g.prefetch, a.base, a.ids, a.cnt, stride, span)
	rp := GP64()
	rowAddr(rp, a.base, a.ids, stride, 0)
	qp, n := GP64(), GP64()
	MOVQ(a.q, qp)
	MOVQ(a.d, n)
	g.score(qp, rp, n, Mem{Base: a.out})
	ADDQ(U8(4), a.out)
	ADDQ(U8(4), a.ids)
	DECQ(a.cnt)
	JNZ(LabelRef("row"))
	if g.emptyRows {
		JMP(LabelRef("end"))

		// Empty rows: every result is 0.
		Label("zero")
		MOVL(U32(0), Mem{Base: a.out})
		ADDQ(U8(4), a.out)
		DECQ(a.cnt)
		JNZ(LabelRef("zero"))
	}

	Label("end")
	VZEROUPPER()
	RET()
}

// int32Score is the gather score of emit, which leaves an integer result
// in r: it stores r's low 32 bits.
func int32Score(emit func(qp, rp, n, r reg.GPVirtual)) func(qp, rp, n reg.GPVirtual, out Mem) {
	return func(qp, rp, n reg.GPVirtual, out Mem) {
		r := GP64()
		emit(qp, rp, n, r)
		MOVL(r.As32(), out)
	}
}

// genGather emits func <kind>Gather<ISA>(q, base []float32, ids []uint32,
// out []float32): out[i] = f(q, row ids[i] of len(q) floats).
func genGather(s *isa, k kind) {
	name := k.name() + "Gather" + s.suffix
	TEXT(name, NOSPLIT, "func(q, base []float32, ids []uint32, out []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s writes %s of q and row ids[i] of base", name, k.what()),
		"(rows of len(q) floats) into out[i] for each id, using "+s.suffix+",",
		"prefetching each next row. The caller guarantees every row is in",
		"range and len(out) >= len(ids).")
	emitGatherRows(loadGather("base", ""), gatherRows{
		emptyRows: true,
		setup: func(a gatherArgs) (reg.GPVirtual, reg.GPVirtual) {
			s.setTail(a.d)
			rowBytes := byteLen(a.d, 2)
			return rowBytes, rowBytes
		},
		prefetch: prefetchRow,
		score: func(qp, rp, n reg.GPVirtual, out Mem) {
			acc := newAcc(s)
			body(s, k, qp, rp, n, acc, false, 0)
			VMOVSS(reduce(s, acc), out)
		},
	})
}

// codeKind is the operation of a uint8-code kernel.
type codeKind int

const (
	codeL2    codeKind = iota // sum (q16 - c)^2
	codeDot                   // sum q8 * c
	codeDot16                 // sum q16 * c
)

func (k codeKind) name() string { return [...]string{"l2SqU8", "dotU8", "dotU8I16"}[k] }

func (k codeKind) qtype() string { return [...]string{"int16", "int8", "int16"}[k] }

// qBytes is the size of one query element.
func (k codeKind) qBytes() int { return [...]int{2, 1, 2}[k] }

// per is the code bytes one ZMM step consumes: 32 widened to words (L2,
// dot16), or 64 bytes (dot).
func (k codeKind) per() int { return [...]int{32, 64, 32}[k] }

// codeUnroll is the accumulators (independent VNNI chains) of the code
// kernels' main loop; 4 covers the 4-5 cycle VPDP* latency at one per
// cycle.
const codeUnroll = 4

// vnni emits a VNNI multiply-accumulate (avo v0.5.0 lacks these opcodes):
// Go operand order "OP src, mul, acc", acc += dot-products of mul's and
// src's elements; for VPDPBUSD mul holds the unsigned bytes.
func vnni(op string, src Op, mul, acc reg.VecVirtual) {
	Instruction(&ir.Instruction{
		Opcode:   op,
		Operands: []Op{src, mul, acc},
		Inputs:   []Op{src, mul, acc},
		Outputs:  []Op{acc},
		ISA:      []string{"AVX512_VNNI"},
	})
}

// codeStep emits acc += f(q chunk at qm, code chunk at cm) for one ZMM step.
func codeStep(k codeKind, qm, cm Mem, acc reg.VecVirtual) {
	t := ZMM()
	switch k {
	case codeL2:
		VPMOVZXBW(cm, t)
		VPSUBW(qm, t, t)
		vnni("VPDPWSSD", t, t, acc)
	case codeDot:
		VMOVDQU64(cm, t)
		vnni("VPDPBUSD", qm, t, acc)
	case codeDot16:
		VPMOVZXBW(cm, t)
		vnni("VPDPWSSD", qm, t, acc)
	}
}

// codeTail emits acc += f over the last n (< per) elements, loaded with a
// mask so nothing past them is touched.
func codeTail(k codeKind, qp, cp, n reg.GPVirtual, acc reg.VecVirtual) {
	m := GP64()
	MOVQ(I32(-1), m)
	BZHIQ(n, m, m)
	kr := K()
	t, u := ZMM(), ZMM()
	switch k {
	case codeL2:
		KMOVD(m.As32(), kr)
		VPMOVZXBW_Z(Mem{Base: cp}, kr, t)
		VMOVDQU16_Z(Mem{Base: qp}, kr, u)
		VPSUBW(u, t, t)
		vnni("VPDPWSSD", t, t, acc)
	case codeDot:
		KMOVQ(m, kr)
		VMOVDQU8_Z(Mem{Base: cp}, kr, t)
		VMOVDQU8_Z(Mem{Base: qp}, kr, u)
		vnni("VPDPBUSD", u, t, acc)
	case codeDot16:
		KMOVD(m.As32(), kr)
		VPMOVZXBW_Z(Mem{Base: cp}, kr, t)
		VMOVDQU16_Z(Mem{Base: qp}, kr, u)
		vnni("VPDPWSSD", u, t, acc)
	}
}

// codeBody emits the reduction of n elements of query qp against code cp
// into a GP register (int32). qp, cp and n are consumed.
func codeBody(k codeKind, qp, cp, n reg.GPVirtual, out reg.GPVirtual) {
	lbl := labels()
	per, qb := k.per(), k.qBytes()
	acc := make([]reg.VecVirtual, codeUnroll)
	for i := range acc {
		acc[i] = ZMM()
		VPXORD(acc[i], acc[i], acc[i])
	}
	codeLoops(lbl, per, qb, qp, cp, n, acc, func(qm, cm Mem, acc reg.VecVirtual) {
		codeStep(k, qm, cm, acc)
	})

	Label(lbl("tail"))
	TESTQ(n, n)
	JZ(LabelRef(lbl("sum")))
	codeTail(k, qp, cp, n, acc[1])

	Label(lbl("sum"))
	codeSum(acc, func(z reg.VecVirtual) reg.VecVirtual {
		y := YMM()
		VEXTRACTI64X4(U8(1), z, y)
		VPADDD(y, z.AsY(), y)
		x := XMM()
		VEXTRACTI32X4(U8(1), y, x)
		VPADDD(x, y.AsX(), x)
		return x
	}, out)
}

// codeLoops emits the main loop of a code kernel, codeUnroll steps of per
// elements (qb bytes each in the query) a time, one into each accumulator,
// and then single steps into acc[0] while n >= per, after which it jumps
// to lbl("tail"). step emits one step (acc += f(q chunk at qm, code chunk
// at cm)). qp, cp and n advance past the elements stepped over.
func codeLoops(lbl func(string) string, per, qb int, qp, cp, n reg.GPVirtual, acc []reg.VecVirtual, step func(qm, cm Mem, acc reg.VecVirtual)) {
	Label(lbl("loop"))
	CMPQ(n, U32(per*codeUnroll))
	JB(LabelRef(lbl("rest")))
	for i := range acc {
		step(Mem{Base: qp, Disp: i * per * qb}, Mem{Base: cp, Disp: i * per}, acc[i])
	}
	ADDQ(U32(per*codeUnroll*qb), qp)
	ADDQ(U32(per*codeUnroll), cp)
	SUBQ(U32(per*codeUnroll), n)
	JMP(LabelRef(lbl("loop")))

	Label(lbl("rest"))
	CMPQ(n, U32(per))
	JB(LabelRef(lbl("tail")))
	step(Mem{Base: qp}, Mem{Base: cp}, acc[0])
	ADDQ(U32(per*qb), qp)
	ADDQ(U32(per), cp)
	SUBQ(U32(per), n)
	JMP(LabelRef(lbl("rest")))
}

// codeSum emits out = the sum of the int32 lanes of the codeUnroll
// accumulators; fold emits the sum of the 128-bit lanes of one vector
// into an XMM and returns it.
func codeSum(acc []reg.VecVirtual, fold func(v reg.VecVirtual) reg.VecVirtual, out reg.GPVirtual) {
	VPADDD(acc[1], acc[0], acc[0])
	VPADDD(acc[3], acc[2], acc[2])
	VPADDD(acc[2], acc[0], acc[0])
	x := fold(acc[0])
	t := XMM()
	VPSHUFD(U8(0x4e), x, t)
	VPADDD(t, x, x)
	VPSHUFD(U8(0xb1), x, t)
	VPADDD(t, x, x)
	VMOVD(x, out.As32())
}

// codeISA is one instruction set of the uint8-code kernels: a name suffix,
// the words the doc comments use for it, and the emitter of the reduction
// of n elements of query qp against code cp into the int32 out (qp, cp and
// n consumed).
type codeISA struct {
	suffix string
	desc   string
	body   func(k codeKind, qp, cp, n, out reg.GPVirtual)
}

var (
	codeVNNI = codeISA{"VNNI", "AVX-512 VNNI", codeBody}
	codeAVX2 = codeISA{"AVX2", "AVX2", codeBodyAVX2}
)

// genCode emits func <kind><ISA>(q []<qtype>, c []uint8) int32 or, with
// gather, func <kind>Gather<ISA>(q []<qtype>, codes []uint8, stride int,
// ids []uint32, out []int32).
func genCode(s codeISA, k codeKind, gather bool) {
	if !gather {
		name := k.name() + s.suffix
		TEXT(name, NOSPLIT, fmt.Sprintf("func(q []%s, c []uint8) int32", k.qtype()))
		Pragma("noescape")
		Doc(fmt.Sprintf("%s is %s with %s; len(c) >= len(q) is the caller's.", name, k.name(), s.desc))
		qp := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
		n := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
		cp := Load(Param("c").Base(), GP64()).(reg.GPVirtual)
		r := GP64()
		s.body(k, qp, cp, n, r)
		Store(r.As32(), ReturnIndex(0))
		VZEROUPPER()
		RET()
		return
	}
	name := k.name() + "Gather" + s.suffix
	TEXT(name, NOSPLIT, fmt.Sprintf("func(q []%s, codes []uint8, stride int, ids []uint32, out []int32)", k.qtype()))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s writes %s(q, codes[ids[i]*stride:]) into out[i] for each id", name, k.name()),
		fmt.Sprintf("with %s, prefetching each next row. The caller guarantees", s.desc),
		"every row is in range and len(out) >= len(ids).")
	emitGatherRows(loadGather("codes", "stride"), gatherRows{
		setup:    func(a gatherArgs) (reg.GPVirtual, reg.GPVirtual) { return a.stride, a.d },
		prefetch: prefetchRow,
		score: int32Score(func(qp, rp, n, r reg.GPVirtual) {
			s.body(k, qp, rp, n, r)
		}),
	})
}
