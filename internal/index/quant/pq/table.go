package pq

import (
	"unsafe"

	"github.com/needlevdb/needle/internal/index/flat"
)

//go:generate go run -C _asm . -out ../table_amd64.s -stubs ../table_amd64_stubs.go -pkg pq

// Table is an ADC lookup table: row j holds, for each centroid c of
// subspace j, the query's contribution t[j][c]; the distance to a code is
// the sum over j of t[j][code[j]]. Rows past the codebook size are
// padding. A Table of M rows comes from NewTable; the table functions
// want a Table whose rows are contiguous in memory (NewTable's, or a
// subslice of one).
type Table [][KsubMax]float32

// NewTable returns a zero Table of m rows.
func NewTable(m int) Table { return make(Table, m) }

// floats views the rows of t as one float slice.
func (t Table) floats() []float32 {
	if len(t) == 0 {
		return nil
	}
	return unsafe.Slice(&t[0][0], len(t)*KsubMax)
}

// Table fills t (M() rows) with the ADC table of query x (len Dim()) for
// the quantizer's metric: |x_j - c|² for flat.L2, -<x_j, c> for
// flat.InnerProduct, where x_j is the j-th subvector and c a centroid.
func (q *Quantizer) Table(x []float32, t Table) {
	if q.metric == flat.L2 {
		q.L2Table(x, t)
		return
	}
	q.DotTable(x, -1, t)
}

// L2Table fills t with |x_j - c|² whatever the quantizer's metric,
// computed as |x_j|² + |c|² - 2<x_j, c> (+Inf in the padding).
func (q *Quantizer) L2Table(x []float32, t Table) {
	q.DotTableAdd(x, -2, q.norms, t)
	ds := q.dsub
	for j := range t {
		var n float32
		for _, v := range x[j*ds : (j+1)*ds] {
			n += v * v
		}
		row := &t[j]
		for c := range row {
			row[c] += n
		}
	}
}

// DotTable fills t with scale * <x_j, c> (zero in the padding).
func (q *Quantizer) DotTable(x []float32, scale float32, t Table) {
	q.check(x, t)
	dotRows(x, q.centT, nil, t.floats(), q.dsub, scale)
}

// DotTableAdd fills t with add[j][c] + scale * <x_j, c>; add has M() rows
// and may be t itself.
func (q *Quantizer) DotTableAdd(x []float32, scale float32, add, t Table) {
	q.check(x, t)
	if len(add) != len(t) {
		panic("BUG: pq: DotTableAdd of tables with different numbers of rows")
	}
	dotRows(x, q.centT, add.floats(), t.floats(), q.dsub, scale)
}

// Norms returns, for each subspace j and centroid c, |c|² (+Inf in the
// padding); do not modify.
func (q *Quantizer) Norms() Table { return q.norms }

func (q *Quantizer) check(x []float32, t Table) {
	if len(x) != q.dim || len(t) != q.m {
		panic("BUG: pq: table for a query of the wrong dimension or of the wrong number of rows")
	}
}

// AddTables sets dst[j][c] = a[j][c] + b[j][c]; the three have the same
// number of rows.
func AddTables(dst, a, b Table) {
	if len(a) != len(dst) || len(b) != len(dst) {
		panic("BUG: pq: AddTables of tables with different numbers of rows")
	}
	addRows(dst.floats(), a.floats(), b.floats())
}

// addRowsGeneric is the reference of addTablesAVX512.
func addRowsGeneric(dst, a, b []float32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		dst[i] = a[i] + b[i]
	}
}

// dotRowsGeneric is the reference of dotTableAVX512 (add == nil) and
// dotTableAddAVX512: t[j][c] = add[j][c] + Σ_s (scale·x[j·dsub+s]) ·
// centT[(j·dsub+s)·256+c] for the len(t)/256 rows of t.
func dotRowsGeneric(x, centT, add, t []float32, dsub int, scale float32) {
	for j := 0; j < len(t)/KsubMax; j++ {
		row := (*[KsubMax]float32)(t[j*KsubMax:])
		if add != nil {
			copy(row[:], add[j*KsubMax:(j+1)*KsubMax])
		} else {
			clear(row[:])
		}
		for s := range dsub {
			xv := scale * x[j*dsub+s]
			ct := (*[KsubMax]float32)(centT[(j*dsub+s)*KsubMax:])
			for c := 0; c < KsubMax; c += 4 {
				row[c] += xv * ct[c]
				row[c+1] += xv * ct[c+1]
				row[c+2] += xv * ct[c+2]
				row[c+3] += xv * ct[c+3]
			}
		}
	}
}
