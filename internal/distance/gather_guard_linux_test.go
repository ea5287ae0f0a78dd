package distance

import (
	"math/rand/v2"
	"testing"
)

// TestGatherNoReadPastEnd runs the gather and code kernels on rows and
// queries that end at a guard page.
func TestGatherNoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(25, 26))
	for _, im := range gatherSupported() {
		for _, d := range lengths {
			// Float gather: the last row ends at the guard.
			q := guarded(t, r, d)
			base := guarded(t, r, 3*d)
			out := make([]float32, 2)
			im.l2SqGather(q, base, []uint32{0, 2}, out)
			im.dotGather(q, base, []uint32{2, 2}, out)

			// Code kernels: query and last code row end at the guard.
			qb := guardedBytes(t, 2*d)
			cb := guardedBytes(t, 3*d)
			for i := range cb {
				cb[i] = uint8(r.UintN(256))
			}
			q16 := bytesAs[int16](qb)
			for i := range q16 {
				q16[i] = int16(r.IntN(766) - 255)
			}
			if got, want := im.l2SqU8(q16, cb[2*d:]), refL2SqU8(q16, cb[2*d:]); got != want {
				t.Fatalf("%s/l2SqU8 d=%d: got %d, want %d", im.name, d, got, want)
			}
			o32 := make([]int32, 2)
			im.l2SqU8Gather(q16, cb, d, []uint32{0, 2}, o32)
			if got, want := im.dotU8I16(q16, cb[2*d:]), refDotU8I16(q16, cb[2*d:]); got != want {
				t.Fatalf("%s/dotU8I16 d=%d: got %d, want %d", im.name, d, got, want)
			}
			im.dotU8I16Gather(q16, cb, d, []uint32{2, 1}, o32)
			if want := refDotU8I16(q16, cb[2*d:]); o32[0] != want {
				t.Fatalf("%s/dotU8I16Gather d=%d: got %d, want %d", im.name, d, o32[0], want)
			}
			qs := bytesAs[int8](qb[d:])
			if got, want := im.dotU8(qs, cb[2*d:]), refDotU8(qs, cb[2*d:]); got != want {
				t.Fatalf("%s/dotU8 d=%d: got %d, want %d", im.name, d, got, want)
			}
			im.dotU8Gather(qs, cb, d, []uint32{1, 2}, o32)
			if want := refDotU8(qs, cb[2*d:]); o32[1] != want {
				t.Fatalf("%s/dotU8Gather d=%d: got %d, want %d", im.name, d, o32[1], want)
			}
		}
	}
}
