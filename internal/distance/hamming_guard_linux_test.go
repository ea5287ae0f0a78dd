package distance

import (
	"math/rand/v2"
	"testing"
)

// TestHammingNoReadPastEnd runs the Hamming kernels on queries and codes
// that end at a guard page.
func TestHammingNoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(61, 62))
	for _, im := range bitsSupported() {
		for _, d := range lengths {
			a, b := guardedOf(t, r, d, (*rand.Rand).Uint64), guardedOf(t, r, d, (*rand.Rand).Uint64)
			if got, want := im.hamming(a, b), refHamming(a, b); got != want {
				t.Fatalf("%s/hamming d=%d: got %d, want %d", im.name, d, got, want)
			}
			codes := guardedOf(t, r, 3*d, (*rand.Rand).Uint64)
			out := make([]int32, 3)
			im.hammingBatch(a, codes, out)
			if want := refHamming(a, codes[2*d:]); int(out[2]) != want {
				t.Fatalf("%s/hammingBatch d=%d: got %d, want %d", im.name, d, out[2], want)
			}
			im.hammingGather(a, codes, d, []uint32{2, 0}, out)
			if want := refHamming(a, codes[2*d:]); int(out[0]) != want {
				t.Fatalf("%s/hammingGather d=%d: got %d, want %d", im.name, d, out[0], want)
			}
		}
	}
}
