package main

import (
	"fmt"
	"os"
	"strconv"

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
	if v := os.Getenv("GATHER_AHEAD"); v != "" { // for A/B experiments only
		gatherAhead, _ = strconv.Atoi(v)
	}
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
	l := fmt.Sprintf("pf%d", labelSeq())
	off := GP64()
	XORQ(off, off)
	Label(l)
	PREFETCHT0(Mem{Base: p, Index: off, Scale: 1})
	ADDQ(U8(64), off)
	CMPQ(off, n)
	JB(LabelRef(l))
}

// labelSeq numbers labels that a generator helper emits more than once.
var seq int

func labelSeq() int { seq++; return seq }

// rowAddr emits dst = base + uint64(ids[i]) * rowBytes for the id at ip+disp.
func rowAddr(dst, base, ip, rowBytes reg.GPVirtual, disp int) {
	MOVL(Mem{Base: ip, Disp: disp}, dst.As32())
	IMULQ(rowBytes, dst)
	ADDQ(base, dst)
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

// prefetchFirst emits prefetches of the first gatherAhead rows (as many as
// there are).
func prefetchFirst(base, ip, cnt, rowBytes, n reg.GPVirtual) {
	prefetchFirstWith(prefetchRow, base, ip, cnt, rowBytes, n)
}

// prefetchFirstWith is prefetchFirst with the row prefetch pf.
func prefetchFirstWith(pf func(p, n reg.GPVirtual), base, ip, cnt, rowBytes, n reg.GPVirtual) {
	l := fmt.Sprintf("pfdone%d", labelSeq())
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

// prefetchNext emits: if more than gatherAhead ids are left, prefetch the
// row of the id gatherAhead ahead (n bytes).
func prefetchNext(base, ip, cnt, rowBytes, n reg.GPVirtual) {
	prefetchNextWith(prefetchRow, base, ip, cnt, rowBytes, n)
}

// prefetchNextWith is prefetchNext with the row prefetch pf.
func prefetchNextWith(pf func(p, n reg.GPVirtual), base, ip, cnt, rowBytes, n reg.GPVirtual) {
	l := fmt.Sprintf("nopf%d", labelSeq())
	CMPQ(cnt, U8(gatherAhead))
	JBE(LabelRef(l))
	p := GP64()
	rowAddr(p, base, ip, rowBytes, 4*gatherAhead)
	pf(p, n)
	Label(l)
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
	qbase := Load(Param("q").Base(), GP64())
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
	SHLQ(U8(2), rowBytes)
	prefetchFirst(bp, ip, cnt, rowBytes, rowBytes)

	Label("row")
	prefetchNext(bp, ip, cnt, rowBytes, rowBytes)
	rp := GP64()
	rowAddr(rp, bp, ip, rowBytes, 0)
	qp, n := GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(d, n)
	acc := newAcc(s)
	body(s, k, qp, rp, n, acc, false, 0)
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
	id := labelSeq()
	lbl := func(s string) string { return fmt.Sprintf("%s%d", s, id) }
	per, qb := k.per(), k.qBytes()
	acc := make([]reg.VecVirtual, codeUnroll)
	for i := range acc {
		acc[i] = ZMM()
		VPXORD(acc[i], acc[i], acc[i])
	}
	Label(lbl("loop"))
	CMPQ(n, U32(per*codeUnroll))
	JB(LabelRef(lbl("rest")))
	for i := range acc {
		codeStep(k, Mem{Base: qp, Disp: i * per * qb}, Mem{Base: cp, Disp: i * per}, acc[i])
	}
	ADDQ(U32(per*codeUnroll*qb), qp)
	ADDQ(U32(per*codeUnroll), cp)
	SUBQ(U32(per*codeUnroll), n)
	JMP(LabelRef(lbl("loop")))

	Label(lbl("rest"))
	CMPQ(n, U32(per))
	JB(LabelRef(lbl("tail")))
	codeStep(k, Mem{Base: qp}, Mem{Base: cp}, acc[0])
	ADDQ(U32(per*qb), qp)
	ADDQ(U32(per), cp)
	SUBQ(U32(per), n)
	JMP(LabelRef(lbl("rest")))

	Label(lbl("tail"))
	TESTQ(n, n)
	JZ(LabelRef(lbl("sum")))
	codeTail(k, qp, cp, n, acc[1])

	Label(lbl("sum"))
	VPADDD(acc[1], acc[0], acc[0])
	VPADDD(acc[3], acc[2], acc[2])
	VPADDD(acc[2], acc[0], acc[0])
	y := YMM()
	VEXTRACTI64X4(U8(1), acc[0], y)
	VPADDD(y, acc[0].AsY(), y)
	x := XMM()
	VEXTRACTI32X4(U8(1), y, x)
	VPADDD(x, y.AsX(), x)
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
	qbase := Load(Param("q").Base(), GP64()).(reg.GPVirtual)
	d := Load(Param("q").Len(), GP64()).(reg.GPVirtual)
	bp := Load(Param("codes").Base(), GP64()).(reg.GPVirtual)
	stride := Load(Param("stride"), GP64()).(reg.GPVirtual)
	ip := Load(Param("ids").Base(), GP64()).(reg.GPVirtual)
	cnt := Load(Param("ids").Len(), GP64()).(reg.GPVirtual)
	op := Load(Param("out").Base(), GP64()).(reg.GPVirtual)
	TESTQ(cnt, cnt)
	JZ(LabelRef("end"))
	prefetchFirst(bp, ip, cnt, stride, d)

	Label("row")
	prefetchNext(bp, ip, cnt, stride, d)
	rp := GP64()
	rowAddr(rp, bp, ip, stride, 0)
	qp, n := GP64(), GP64()
	MOVQ(qbase, qp)
	MOVQ(d, n)
	r := GP64()
	s.body(k, qp, rp, n, r)
	MOVL(r.As32(), Mem{Base: op})
	ADDQ(U8(4), op)
	ADDQ(U8(4), ip)
	DECQ(cnt)
	JNZ(LabelRef("row"))

	Label("end")
	VZEROUPPER()
	RET()
}
