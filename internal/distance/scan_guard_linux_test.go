package distance

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestScanNoReadPastEnd runs the scan kernels on queries, panels, bases and
// adds that end at a guard page.
func TestScanNoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(43, 44))
	for _, im := range scanSupported() {
		for _, d := range lengths {
			for _, n := range []int{1, 3, 4, 5, 13} {
				q, base := guarded(t, r, d), guarded(t, r, d*n)
				for _, k := range boundKernels {
					verifyBound(t, fmt.Sprintf("%s/%sBound d=%d n=%d", im.name, k.name, d, n), k, k.get(im), q, base, n, 0)
				}
				w := im.width
				panel, add, bound := guarded(t, r, d*w), guarded(t, r, n), guarded(t, r, w)
				idx, mask, dist := make([]uint32, n), make([]uint32, n), make([]float32, n*w)
				im.panel(panel, base, add, -2, bound, idx, mask, dist)
			}
		}
	}
}
