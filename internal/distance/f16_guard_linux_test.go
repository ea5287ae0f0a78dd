package distance

import (
	"math/rand/v2"
	"testing"
)

// TestF16NoReadPastEnd runs the float16 kernels on sources, destinations,
// queries and rows that end at a guard page, so that a read or write of
// one element too many faults.
func TestF16NoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	for _, im := range f16Supported() {
		for _, d := range lengths {
			q, x := guarded(t, r, d), guardedOf(t, r, d, randHalf)
			im.f16ToF32(guarded(t, r, d), x)
			im.f32ToF16(guardedOf(t, r, d, randHalf), q)
			xf := widen(x)
			if want, scale := refDot(q, xf); !near(im.dotF16(q, x), want, scale) {
				t.Fatalf("%s/dotF16 d=%d: got %v, want %v", im.name, d, im.dotF16(q, x), want)
			}
			if want, scale := refL2Sq(q, xf); !near(im.l2SqF16(q, x), want, scale) {
				t.Fatalf("%s/l2SqF16 d=%d: got %v, want %v", im.name, d, im.l2SqF16(q, x), want)
			}
			base := guardedOf(t, r, 3*d, randHalf)
			out := make([]float32, 2)
			im.dotF16Gather(q, base, []uint32{2, 0}, out)
			im.l2SqF16Gather(q, base, []uint32{1, 2}, out)
			if want, scale := refL2Sq(q, widen(base[2*d:])); !near(out[1], want, scale) {
				t.Fatalf("%s/l2SqF16Gather d=%d: got %v, want %v", im.name, d, out[1], want)
			}
		}
	}
}
