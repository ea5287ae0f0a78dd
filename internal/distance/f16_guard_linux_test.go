package distance

import (
	"math/rand/v2"
	"testing"
	"unsafe"
)

// guardedHalves returns n halves of random values in [-1, 1) that end
// exactly where an inaccessible page begins.
func guardedHalves(t *testing.T, r *rand.Rand, n int) []uint16 {
	t.Helper()
	b := guardedBytes(t, 2*n)
	if n == 0 {
		return nil
	}
	h := unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), n)
	for i := range h {
		h[i] = floatToHalf(2*r.Float32() - 1)
	}
	return h
}

// TestF16NoReadPastEnd runs the float16 kernels on sources, destinations,
// queries and rows that end at a guard page, so that a read or write of
// one element too many faults.
func TestF16NoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(83, 84))
	for _, im := range f16Supported() {
		for _, d := range lengths {
			q, x := guarded(t, r, d), guardedHalves(t, r, d)
			im.f16ToF32(guarded(t, r, d), x)
			im.f32ToF16(guardedHalves(t, r, d), q)
			xf := widen(x)
			if want, scale := refDot(q, xf); !near(im.dotF16(q, x), want, scale) {
				t.Fatalf("%s/dotF16 d=%d: got %v, want %v", im.name, d, im.dotF16(q, x), want)
			}
			if want, scale := refL2Sq(q, xf); !near(im.l2SqF16(q, x), want, scale) {
				t.Fatalf("%s/l2SqF16 d=%d: got %v, want %v", im.name, d, im.l2SqF16(q, x), want)
			}
			base := guardedHalves(t, r, 3*d)
			out := make([]float32, 2)
			im.dotF16Gather(q, base, []uint32{2, 0}, out)
			im.l2SqF16Gather(q, base, []uint32{1, 2}, out)
			if want, scale := refL2Sq(q, widen(base[2*d:])); !near(out[1], want, scale) {
				t.Fatalf("%s/l2SqF16Gather d=%d: got %v, want %v", im.name, d, out[1], want)
			}
		}
	}
}
