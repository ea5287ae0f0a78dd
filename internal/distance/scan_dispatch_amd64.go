//go:build !purego

package distance

// The scan kernels follow the float set's level (dispatch_amd64.go): a
// switch, not a function variable, so slices do not escape.

var avx512Scan = scanImplementation{
	name:      "avx512",
	width:     32,
	l2SqBound: l2SqBoundAVX512,
	dotBound:  dotBoundAVX512,
	panel:     panelAVX512,
}

var avx2Scan = scanImplementation{
	name:      "avx2",
	width:     16,
	l2SqBound: l2SqBoundAVX2,
	dotBound:  dotBoundAVX2,
	panel:     panelAVX2,
}

// scanSupported lists every scan implementation this CPU can run, best
// first.
func scanSupported() []scanImplementation { return upToLevel(genericScan, avx2Scan, avx512Scan) }

func scanWidth() int {
	switch level {
	case levelAVX512:
		return avx512Scan.width
	case levelAVX2:
		return avx2Scan.width
	}
	return genericPanelWidth
}

func l2SqBound(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	switch level {
	case levelAVX512:
		return l2SqBoundAVX512(q, base, bound, idx, dist)
	case levelAVX2:
		return l2SqBoundAVX2(q, base, bound, idx, dist)
	}
	return l2SqBoundGeneric(q, base, bound, idx, dist)
}

func dotBound(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	switch level {
	case levelAVX512:
		return dotBoundAVX512(q, base, bound, idx, dist)
	case levelAVX2:
		return dotBoundAVX2(q, base, bound, idx, dist)
	}
	return dotBoundGeneric(q, base, bound, idx, dist)
}

func panelScan(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int {
	switch level {
	case levelAVX512:
		return panelAVX512(panel, base, add, scale, bound, idx, mask, dist)
	case levelAVX2:
		return panelAVX2(panel, base, add, scale, bound, idx, mask, dist)
	}
	return panelGeneric(panel, base, add, scale, bound, idx, mask, dist)
}
