//go:build !amd64 || purego

package pq

// Without assembly the table kernels are the Go loops.

const hasAVX512 = false

func addRows(dst, a, b []float32) { addRowsGeneric(dst, a, b) }

func dotRows(x, centT, add, t []float32, dsub int, scale float32) {
	dotRowsGeneric(x, centT, add, t, dsub, scale)
}
