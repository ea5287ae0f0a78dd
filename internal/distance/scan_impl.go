package distance

//go:generate go run -C _asm . -set scan -out ../scan_amd64.s -stubs ../scan_amd64_stubs.go -pkg distance

// scanImplementation is one complete set of scan kernels (scan.go). Tests
// iterate over scanSupported().
type scanImplementation struct {
	name      string
	width     int // queries per panel
	l2SqBound func(q, base []float32, bound float32, idx []uint32, dist []float32) int
	dotBound  func(q, base []float32, bound float32, idx []uint32, dist []float32) int
	panel     func(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int
}

// genericPanelWidth is the panel width of the pure-Go kernels.
const genericPanelWidth = 16

var genericScan = scanImplementation{
	name:      "generic",
	width:     genericPanelWidth,
	l2SqBound: l2SqBoundGeneric,
	dotBound:  dotBoundGeneric,
	panel:     panelGeneric,
}
