package distance

import (
	"math/rand/v2"
	"testing"
)

// gatherIDs returns n ids in [0, rows), repeats allowed, last one rows-1 so
// the final row is always read.
func gatherIDs(r *rand.Rand, n, rows int) []uint32 {
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = uint32(r.IntN(rows))
	}
	if n > 0 {
		ids[n-1] = uint32(rows - 1)
	}
	return ids
}

func TestGatherFloat(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	for _, d := range lengths {
		if d == 0 {
			continue
		}
		const rows = 37
		q, base := poisoned(r, d), poisoned(r, d*rows)
		for _, n := range []int{0, 1, 2, 3, 5, 16, 33} {
			ids := gatherIDs(r, n, rows)
			out := make([]float32, n)
			L2SqGather(q, base, ids, out)
			for i, id := range ids {
				want, scale := refL2Sq(q, base[int(id)*d:int(id+1)*d])
				if !near(out[i], want, scale) {
					t.Fatalf("L2SqGather d=%d n=%d i=%d: got %v, want %v", d, n, i, out[i], want)
				}
			}
			DotGather(q, base, ids, out)
			for i, id := range ids {
				want, scale := refDot(q, base[int(id)*d:int(id+1)*d])
				if !near(out[i], want, scale) {
					t.Fatalf("DotGather d=%d n=%d i=%d: got %v, want %v", d, n, i, out[i], want)
				}
			}
		}
	}
}

func refL2SqU8(q []int16, c []uint8) int32 {
	var s int64
	for i := range q {
		d := int64(q[i]) - int64(c[i])
		s += d * d
	}
	return int32(s)
}

func refDotU8(q []int8, c []uint8) int32 {
	var s int64
	for i := range q {
		s += int64(q[i]) * int64(c[i])
	}
	return int32(s)
}

func randCodes(r *rand.Rand, n int) []uint8 {
	c := make([]uint8, n)
	for i := range c {
		c[i] = uint8(r.UintN(256))
	}
	return c
}

func TestCodeKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, d := range append(lengths, 3000, 8192) {
		q16 := make([]int16, d)
		q8 := make([]int8, d)
		for i := range q16 {
			q16[i] = int16(r.IntN(766) - 255) // [-255, 510]
			q8[i] = int8(r.IntN(256) - 128)
		}
		// Extremes: the largest differences and products.
		if d > 2 {
			q16[0], q16[1] = -255, 510
			q8[0], q8[1] = -128, 127
		}
		const rows = 9
		stride := d + r.IntN(70)
		codes := randCodes(r, stride*rows)
		if d > 2 {
			codes[0], codes[1] = 255, 0
		}
		if got, want := L2SqU8(q16, codes), refL2SqU8(q16, codes); got != want {
			t.Fatalf("L2SqU8 d=%d: got %d, want %d", d, got, want)
		}
		if got, want := DotU8(q8, codes), refDotU8(q8, codes); got != want {
			t.Fatalf("DotU8 d=%d: got %d, want %d", d, got, want)
		}
		for _, n := range []int{0, 1, 4, 17} {
			ids := gatherIDs(r, n, rows)
			out := make([]int32, n)
			L2SqU8Gather(q16, codes, stride, ids, out)
			for i, id := range ids {
				if want := refL2SqU8(q16, codes[int(id)*stride:]); out[i] != want {
					t.Fatalf("L2SqU8Gather d=%d stride=%d i=%d: got %d, want %d", d, stride, i, out[i], want)
				}
			}
			DotU8Gather(q8, codes, stride, ids, out)
			for i, id := range ids {
				if want := refDotU8(q8, codes[int(id)*stride:]); out[i] != want {
					t.Fatalf("DotU8Gather d=%d stride=%d i=%d: got %d, want %d", d, stride, i, out[i], want)
				}
			}
		}
	}
}

func TestGatherBounds(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	q := make([]float32, 4)
	base := make([]float32, 8)
	out := make([]float32, 2)
	mustPanic("float id out of range", func() { L2SqGather(q, base, []uint32{2}, out) })
	mustPanic("short out", func() { DotGather(q, base, []uint32{0, 1, 1}, out) })
	codes := make([]uint8, 20)
	o32 := make([]int32, 2)
	mustPanic("code row out of range", func() { L2SqU8Gather(make([]int16, 8), codes, 10, []uint32{2}, o32) })
	mustPanic("stride < len(q)", func() { DotU8Gather(make([]int8, 8), codes, 4, []uint32{0}, o32) })
	mustPanic("short code", func() { L2SqU8(make([]int16, 8), codes[:7]) })
}
