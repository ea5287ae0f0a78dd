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
	for _, im := range gatherSupported() {
		for _, d := range lengths {
			const rows = 37
			q, base := poisoned(r, d), poisoned(r, d*rows)
			for _, n := range []int{0, 1, 2, 3, 5, 16, 33} {
				ids := gatherIDs(r, n, rows)
				out := make([]float32, n+1)
				out[n] = 42 // must stay untouched
				im.l2SqGather(q, base, ids, out[:n])
				for i, id := range ids {
					want, scale := refL2Sq(q, base[int(id)*d:int(id+1)*d])
					if !near(out[i], want, scale) {
						t.Fatalf("%s/l2SqGather d=%d n=%d i=%d: got %v, want %v", im.name, d, n, i, out[i], want)
					}
				}
				im.dotGather(q, base, ids, out[:n])
				for i, id := range ids {
					want, scale := refDot(q, base[int(id)*d:int(id+1)*d])
					if !near(out[i], want, scale) {
						t.Fatalf("%s/dotGather d=%d n=%d i=%d: got %v, want %v", im.name, d, n, i, out[i], want)
					}
				}
				if out[n] != 42 {
					t.Fatalf("%s d=%d n=%d: wrote past len(ids)", im.name, d, n)
				}
			}
		}
	}
	// The exported wrappers dispatch to the same results.
	q, base := poisoned(r, 100), poisoned(r, 100*4)
	out := make([]float32, 2)
	L2SqGather(q, base, []uint32{3, 0}, out)
	if want, scale := refL2Sq(q, base[300:]); !near(out[0], want, scale) {
		t.Errorf("L2SqGather: got %v, want %v", out[0], want)
	}
	DotGather(q, base, []uint32{3, 0}, out)
	if want, scale := refDot(q, base[300:]); !near(out[0], want, scale) {
		t.Errorf("DotGather: got %v, want %v", out[0], want)
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

func refDotU8I16(q []int16, c []uint8) int32 {
	var s int64
	for i := range q {
		s += int64(q[i]) * int64(c[i])
	}
	return int32(s)
}

// wideQuery returns a DotU8I16 query using the full int16 range (sums
// wrap identically in every implementation), extremes first.
func wideQuery(r *rand.Rand, d int) []int16 {
	q := make([]int16, d)
	for i := range q {
		q[i] = int16(r.UintN(1 << 16))
	}
	if d > 2 {
		q[0], q[1] = -32768, 32767
	}
	return q
}

func randCodes(r *rand.Rand, n int) []uint8 {
	c := make([]uint8, n)
	for i := range c {
		c[i] = uint8(r.UintN(256))
	}
	return c
}

// codeQueries returns an L2 query in [-255, 510] and a dot query in
// [-128, 127] of length d, with the extremes at the front.
func codeQueries(r *rand.Rand, d int) ([]int16, []int8) {
	q16 := make([]int16, d)
	q8 := make([]int8, d)
	for i := range q16 {
		q16[i] = int16(r.IntN(766) - 255)
		q8[i] = int8(r.IntN(256) - 128)
	}
	if d > 2 {
		q16[0], q16[1] = -255, 510
		q8[0], q8[1] = -128, 127
	}
	return q16, q8
}

func TestCodeKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 24))
	for _, im := range gatherSupported() {
		for _, d := range append(lengths, 3000, 8192) {
			q16, q8 := codeQueries(r, d)
			const rows = 9
			stride := d + r.IntN(70)
			codes := randCodes(r, stride*rows)
			if d > 2 {
				codes[0], codes[1] = 255, 0
			}
			if got, want := im.l2SqU8(q16, codes), refL2SqU8(q16, codes); got != want {
				t.Fatalf("%s/l2SqU8 d=%d: got %d, want %d", im.name, d, got, want)
			}
			if got, want := im.dotU8(q8, codes), refDotU8(q8, codes); got != want {
				t.Fatalf("%s/dotU8 d=%d: got %d, want %d", im.name, d, got, want)
			}
			w16 := wideQuery(r, d)
			if got, want := im.dotU8I16(w16, codes), refDotU8I16(w16, codes); got != want {
				t.Fatalf("%s/dotU8I16 d=%d: got %d, want %d", im.name, d, got, want)
			}
			for _, n := range []int{0, 1, 4, 17} {
				ids := gatherIDs(r, n, rows)
				out := make([]int32, n+1)
				out[n] = 42
				im.l2SqU8Gather(q16, codes, stride, ids, out[:n])
				for i, id := range ids {
					if want := refL2SqU8(q16, codes[int(id)*stride:]); out[i] != want {
						t.Fatalf("%s/l2SqU8Gather d=%d stride=%d i=%d: got %d, want %d", im.name, d, stride, i, out[i], want)
					}
				}
				im.dotU8Gather(q8, codes, stride, ids, out[:n])
				for i, id := range ids {
					if want := refDotU8(q8, codes[int(id)*stride:]); out[i] != want {
						t.Fatalf("%s/dotU8Gather d=%d stride=%d i=%d: got %d, want %d", im.name, d, stride, i, out[i], want)
					}
				}
				im.dotU8I16Gather(w16, codes, stride, ids, out[:n])
				for i, id := range ids {
					if want := refDotU8I16(w16, codes[int(id)*stride:]); out[i] != want {
						t.Fatalf("%s/dotU8I16Gather d=%d stride=%d i=%d: got %d, want %d", im.name, d, stride, i, out[i], want)
					}
				}
				if out[n] != 42 {
					t.Fatalf("%s d=%d n=%d: wrote past len(ids)", im.name, d, n)
				}
			}
		}
	}
	// The exported wrappers agree with the reference.
	w16 := wideQuery(r, 100)
	c100 := randCodes(r, 300)
	if got, want := DotU8I16(w16, c100), refDotU8I16(w16, c100); got != want {
		t.Errorf("DotU8I16: got %d, want %d", got, want)
	}
	o1 := make([]int32, 1)
	DotU8I16Gather(w16, c100, 100, []uint32{2}, o1)
	if want := refDotU8I16(w16, c100[200:]); o1[0] != want {
		t.Errorf("DotU8I16Gather: got %d, want %d", o1[0], want)
	}
	q16, q8 := codeQueries(r, 100)
	codes := randCodes(r, 300)
	if got, want := L2SqU8(q16, codes), refL2SqU8(q16, codes); got != want {
		t.Errorf("L2SqU8: got %d, want %d", got, want)
	}
	if got, want := DotU8(q8, codes), refDotU8(q8, codes); got != want {
		t.Errorf("DotU8: got %d, want %d", got, want)
	}
	out := make([]int32, 1)
	L2SqU8Gather(q16, codes, 100, []uint32{2}, out)
	if want := refL2SqU8(q16, codes[200:]); out[0] != want {
		t.Errorf("L2SqU8Gather: got %d, want %d", out[0], want)
	}
	DotU8Gather(q8, codes, 100, []uint32{2}, out)
	if want := refDotU8(q8, codes[200:]); out[0] != want {
		t.Errorf("DotU8Gather: got %d, want %d", out[0], want)
	}
}

// FuzzCodeKernels compares every implementation of the code kernels with
// the reference on arbitrary bytes.
func FuzzCodeKernels(f *testing.F) {
	f.Add([]byte{1, 2, 3}, []byte{4, 5, 6, 7})
	f.Add(make([]byte, 130), make([]byte, 70))
	f.Fuzz(func(t *testing.T, qb, cb []byte) {
		n := min(len(qb)/2, len(cb))
		q16 := make([]int16, n)
		q8 := make([]int8, n)
		for i := range q16 {
			q16[i] = int16(uint16(qb[2*i])|uint16(qb[2*i+1])<<8)%766 - 255
			q8[i] = int8(qb[i])
		}
		for _, im := range gatherSupported() {
			if got, want := im.l2SqU8(q16, cb), refL2SqU8(q16, cb); got != want {
				t.Fatalf("%s/l2SqU8 n=%d: got %d, want %d", im.name, n, got, want)
			}
			if got, want := im.dotU8(q8, cb), refDotU8(q8, cb); got != want {
				t.Fatalf("%s/dotU8 n=%d: got %d, want %d", im.name, n, got, want)
			}
			w := make([]int16, n)
			for i := range w {
				w[i] = int16(uint16(qb[2*i]) | uint16(qb[2*i+1])<<8)
			}
			if got, want := im.dotU8I16(w, cb), refDotU8I16(w, cb); got != want {
				t.Fatalf("%s/dotU8I16 n=%d: got %d, want %d", im.name, n, got, want)
			}
		}
	})
}

func TestGatherBounds(t *testing.T) {
	q := make([]float32, 4)
	base := make([]float32, 8)
	out := make([]float32, 2)
	mustPanic(t, "float id out of range", func() { L2SqGather(q, base, []uint32{2}, out) })
	mustPanic(t, "short out", func() { DotGather(q, base, []uint32{0, 1, 1}, out) })
	codes := make([]uint8, 20)
	o32 := make([]int32, 2)
	mustPanic(t, "code row out of range", func() { L2SqU8Gather(make([]int16, 8), codes, 10, []uint32{2}, o32) })
	mustPanic(t, "stride < len(q)", func() { DotU8Gather(make([]int8, 8), codes, 4, []uint32{0}, o32) })
	mustPanic(t, "short code", func() { L2SqU8(make([]int16, 8), codes[:7]) })
}

// TestCodeKernelsExtremes runs the code kernels on constant queries and
// codes at the ends of their ranges, where a pair sum in a narrow lane
// would saturate or overflow (VPMADDUBSW's int16 pair sums in the AVX2
// dotU8), and on L2 queries outside [-255, 510] where the int16 difference
// wraps (identically in every implementation).
func TestCodeKernelsExtremes(t *testing.T) {
	r := rand.New(rand.NewPCG(27, 28))
	for _, im := range gatherSupported() {
		for _, d := range append(lengths, 4096) {
			for _, cv := range []uint8{0, 1, 127, 128, 254, 255} {
				c := make([]uint8, d)
				for i := range c {
					c[i] = cv
				}
				for _, qv := range []int8{-128, -127, -1, 0, 1, 127} {
					q := make([]int8, d)
					for i := range q {
						q[i] = qv
					}
					if got, want := im.dotU8(q, c), refDotU8(q, c); got != want {
						t.Fatalf("%s/dotU8 d=%d q=%d c=%d: got %d, want %d", im.name, d, qv, cv, got, want)
					}
				}
				for _, qv := range []int16{-32768, -32513, -255, 0, 510, 32767} {
					q := make([]int16, d)
					for i := range q {
						q[i] = qv
					}
					if got, want := im.l2SqU8(q, c), refL2SqU8Wrap(q, c); got != want {
						t.Fatalf("%s/l2SqU8 d=%d q=%d c=%d: got %d, want %d", im.name, d, qv, cv, got, want)
					}
					if got, want := im.dotU8I16(q, c), refDotU8I16(q, c); got != want {
						t.Fatalf("%s/dotU8I16 d=%d q=%d c=%d: got %d, want %d", im.name, d, qv, cv, got, want)
					}
				}
			}
			// Random full-range queries: l2SqU8 wraps its differences.
			w, c := wideQuery(r, d), randCodes(r, d)
			if got, want := im.l2SqU8(w, c), refL2SqU8Wrap(w, c); got != want {
				t.Fatalf("%s/l2SqU8 d=%d wide query: got %d, want %d", im.name, d, got, want)
			}
		}
	}
}

// refL2SqU8Wrap is refL2SqU8 with the difference wrapped to int16, as the
// kernels compute it for queries outside [-255, 510].
func refL2SqU8Wrap(q []int16, c []uint8) int32 {
	var s int64
	for i := range q {
		d := int64(q[i] - int16(c[i]))
		s += d * d
	}
	return int32(s)
}
