//go:build amd64 && !purego

package pq

import "golang.org/x/sys/cpu"

// hasAVX512 selects the generated kernels of table_amd64.s. BenchmarkTable
// (M=16, d=128, 2-core AVX-512 VM): DotTable 11.6 us with the Go loop,
// 1.06 us with the kernel; AddTables 954 ns and 130 ns.
var hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

func addRows(dst, a, b []float32) {
	if hasAVX512 && len(dst)%64 == 0 && len(a) >= len(dst) && len(b) >= len(dst) {
		addTablesAVX512(dst, a, b)
		return
	}
	addRowsGeneric(dst, a, b)
}

func dotRows(x, centT, add, t []float32, dsub int, scale float32) {
	m := len(t) / KsubMax
	if !hasAVX512 || len(x) < m*dsub || len(centT) < m*dsub*KsubMax || add != nil && len(add) < len(t) {
		dotRowsGeneric(x, centT, add, t, dsub, scale)
		return
	}
	if add != nil {
		dotTableAddAVX512(x, centT, add, t, dsub, scale)
	} else {
		dotTableAVX512(x, centT, t, dsub, scale)
	}
}
