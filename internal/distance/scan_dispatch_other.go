//go:build !amd64 || purego

package distance

func scanSupported() []scanImplementation { return []scanImplementation{genericScan} }

func scanWidth() int { return genericPanelWidth }

func l2SqBound(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	return l2SqBoundGeneric(q, base, bound, idx, dist)
}

func dotBound(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	return dotBoundGeneric(q, base, bound, idx, dist)
}

func panelScan(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int {
	return panelGeneric(panel, base, add, scale, bound, idx, mask, dist)
}
