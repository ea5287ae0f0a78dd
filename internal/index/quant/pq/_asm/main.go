// Command _asm generates the AVX-512 table kernels of package pq with avo.
//
// Run it from package pq with `go generate`, or by hand:
//
//	cd internal/index/quant/pq/_asm && go run . -out ../table_amd64.s -stubs ../table_amd64_stubs.go -pkg pq
//
// The output is deterministic; check_generated.sh verifies that the
// committed files are up to date. The kernels build ADC lookup tables
// (rows of 256 float32 = 16 zmm registers): dotTable* compute
// t[j][c] = (add[j][c] +) Σ_s (scale·x[j·dsub+s]) · centT[(j·dsub+s)·256+c]
// with one FMA per zmm, and addTables adds two tables. The code scan
// itself stays in Go: a gather-based AVX-512 scan measured 3.0 ns per
// 16-byte code for the gathers alone on the development VM, no better
// than the Go loop's 3.5 ns.
package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	"github.com/mmcloughlin/avo/reg"
)

// row is the number of floats of a table row (pq.KsubMax).
const row = 256

func main() {
	ConstraintExpr("amd64,!purego")
	genAdd()
	genDotTable(false)
	genDotTable(true)
	Generate()
}

// genAdd: dst[i] = a[i] + b[i] for i < len(dst), len(dst) a multiple of 64.
func genAdd() {
	TEXT("addTablesAVX512", NOSPLIT, "func(dst, a, b []float32)")
	Doc("addTablesAVX512 sets dst[i] = a[i] + b[i] for i < len(dst), a multiple of 64; a and b are at least as long.")
	d := Load(Param("dst").Base(), GP64()).(reg.GPVirtual)
	n := Load(Param("dst").Len(), GP64()).(reg.GPVirtual)
	a := Load(Param("a").Base(), GP64()).(reg.GPVirtual)
	b := Load(Param("b").Base(), GP64()).(reg.GPVirtual)
	SHRQ(Imm(6), n)
	Label("add_loop")
	TESTQ(n, n)
	JZ(LabelRef("add_done"))
	var z [4]reg.VecVirtual
	for i := range z {
		z[i] = ZMM()
		VMOVUPS(Mem{Base: a, Disp: 64 * i}, z[i])
	}
	for i := range z {
		VADDPS(Mem{Base: b, Disp: 64 * i}, z[i], z[i])
	}
	for i := range z {
		VMOVUPS(z[i], Mem{Base: d, Disp: 64 * i})
	}
	ADDQ(U32(256), a)
	ADDQ(U32(256), b)
	ADDQ(U32(256), d)
	DECQ(n)
	JMP(LabelRef("add_loop"))
	Label("add_done")
	VZEROUPPER()
	RET()
}

// genDotTable: for each row j < len(t)/256 and centroid c < 256,
// t[j][c] = [add[j][c] +] Σ_{s<dsub} (scale·x[j·dsub+s])·centT[(j·dsub+s)·256+c].
func genDotTable(withAdd bool) {
	name, sig := "dotTableAVX512", "func(x, centT, t []float32, dsub int, scale float32)"
	if withAdd {
		name, sig = "dotTableAddAVX512", "func(x, centT, add, t []float32, dsub int, scale float32)"
	}
	TEXT(name, NOSPLIT, sig)
	if withAdd {
		Doc(name + " is dotTableAVX512 plus add[j][c]; add is as long as t.")
	} else {
		Doc(name+" sets t[j][c] = Σ_{s<dsub} (scale·x[j·dsub+s])·centT[(j·dsub+s)·256+c] for the len(t)/256 rows j of t;",
			"x holds len(t)/256·dsub floats and centT 256 times as many.")
	}
	xp := Load(Param("x").Base(), GP64()).(reg.GPVirtual)
	cp := Load(Param("centT").Base(), GP64()).(reg.GPVirtual)
	tp := Load(Param("t").Base(), GP64()).(reg.GPVirtual)
	m := Load(Param("t").Len(), GP64()).(reg.GPVirtual)
	SHRQ(Imm(8), m)
	var ap reg.GPVirtual
	if withAdd {
		ap = Load(Param("add").Base(), GP64()).(reg.GPVirtual)
	}
	dsub := Load(Param("dsub"), GP64()).(reg.GPVirtual)
	sx := Load(Param("scale"), XMM())
	scale := ZMM()
	VBROADCASTSS(sx, scale)
	acc := make([]reg.VecVirtual, row/16)
	for i := range acc {
		acc[i] = ZMM()
	}
	s := GP64()
	Label(name + "_row")
	TESTQ(m, m)
	JZ(LabelRef(name + "_done"))
	for i := range acc {
		if withAdd {
			VMOVUPS(Mem{Base: ap, Disp: 64 * i}, acc[i])
		} else {
			VPXORD(acc[i], acc[i], acc[i])
		}
	}
	MOVQ(dsub, s)
	Label(name + "_sub")
	TESTQ(s, s)
	JZ(LabelRef(name + "_store"))
	xv := ZMM()
	VBROADCASTSS(Mem{Base: xp}, xv)
	VMULPS(scale, xv, xv)
	for i := range acc {
		VFMADD231PS(Mem{Base: cp, Disp: 64 * i}, xv, acc[i])
	}
	ADDQ(U32(4), xp)
	ADDQ(U32(4*row), cp)
	DECQ(s)
	JMP(LabelRef(name + "_sub"))
	Label(name + "_store")
	for i := range acc {
		VMOVUPS(acc[i], Mem{Base: tp, Disp: 64 * i})
	}
	ADDQ(U32(4*row), tp)
	if withAdd {
		ADDQ(U32(4*row), ap)
	}
	DECQ(m)
	JMP(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}
