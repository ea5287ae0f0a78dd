package pq

import "github.com/needlevdb/needle/internal/index/flat"

// Table is an ADC lookup table: row j holds, for each centroid c of
// subspace j, the query's contribution t[j][c]; the distance to a code is
// the sum over j of t[j][code[j]]. Rows past the codebook size are
// padding. A Table of M rows comes from NewTable.
type Table [][KsubMax]float32

// NewTable returns a zero Table of m rows.
func NewTable(m int) Table { return make(Table, m) }

// Table fills t (M() rows) with the ADC table of query x (len Dim()) for
// the quantizer's metric: |x_j - c|² for flat.L2, -<x_j, c> for
// flat.InnerProduct, where x_j is the j-th subvector and c a centroid.
func (q *Quantizer) Table(x []float32, t Table) {
	q.check(x, t)
	if q.metric == flat.L2 {
		q.l2Table(x, t)
		return
	}
	q.DotTable(x, -1, t)
}

// L2Table fills t with |x_j - c|² whatever the quantizer's metric.
func (q *Quantizer) L2Table(x []float32, t Table) {
	q.check(x, t)
	q.l2Table(x, t)
}

func (q *Quantizer) l2Table(x []float32, t Table) {
	ds := q.dsub
	for j := range q.m {
		row := &t[j]
		clear(row[:])
		for s := range ds {
			xv := x[j*ds+s]
			ct := (*[KsubMax]float32)(q.centT[(j*ds+s)*KsubMax:])
			for c := 0; c < KsubMax; c += 4 {
				d0, d1, d2, d3 := xv-ct[c], xv-ct[c+1], xv-ct[c+2], xv-ct[c+3]
				row[c] += d0 * d0
				row[c+1] += d1 * d1
				row[c+2] += d2 * d2
				row[c+3] += d3 * d3
			}
		}
		for c := q.ksub; c < KsubMax; c++ {
			row[c] = inf
		}
	}
}

// DotTable fills t with scale * <x_j, c> (zero in the padding rows).
func (q *Quantizer) DotTable(x []float32, scale float32, t Table) {
	q.check(x, t)
	ds := q.dsub
	for j := range q.m {
		row := &t[j]
		clear(row[:])
		for s := range ds {
			xv := scale * x[j*ds+s]
			ct := (*[KsubMax]float32)(q.centT[(j*ds+s)*KsubMax:])
			for c := 0; c < KsubMax; c += 4 {
				row[c] += xv * ct[c]
				row[c+1] += xv * ct[c+1]
				row[c+2] += xv * ct[c+2]
				row[c+3] += xv * ct[c+3]
			}
		}
	}
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
	for j := range dst {
		d, x, y := &dst[j], &a[j], &b[j]
		for c := 0; c < KsubMax; c += 4 {
			d[c] = x[c] + y[c]
			d[c+1] = x[c+1] + y[c+1]
			d[c+2] = x[c+2] + y[c+2]
			d[c+3] = x[c+3] + y[c+3]
		}
	}
}
