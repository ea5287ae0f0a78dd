package distance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// lengths are the awkward sizes every kernel is checked at: around every
// vector width (8, 16), unroll step (32, 64) and common embedding sizes.
var lengths = []int{0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 255, 256, 257, 768, 1536}

// relTol bounds |got-want| relative to the sum of the absolute values of
// the terms. float32 summation of up to 1536 terms in any order stays far
// inside it for random data; a kernel that drops or double-counts a lane
// does not.
const relTol = 1e-5

type pairFunc func(a, b []float32) float32

type refFunc func(a, b []float32) (sum, scale float64)

func refDot(a, b []float32) (sum, scale float64) {
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		sum += p
		scale += math.Abs(p)
	}
	return sum, scale
}

func refL2Sq(a, b []float32) (sum, scale float64) {
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		sum += d * d
	}
	return sum, sum
}

func refL1(a, b []float32) (sum, scale float64) {
	for i := range a {
		sum += math.Abs(float64(a[i]) - float64(b[i]))
	}
	return sum, sum
}

func near(got float32, want, scale float64) bool {
	g := float64(got)
	if math.IsNaN(g) || math.IsInf(g, 0) {
		return false
	}
	return math.Abs(g-want) <= relTol*scale+1e-30
}

// poisoned returns n random floats in [-1, 1) whose backing array goes on
// with NaNs, so a kernel that reads past the end produces NaN.
func poisoned(r *rand.Rand, n int) []float32 {
	return poisonedOf(r, n, randUnit, float32(math.NaN()))
}

// poisonedOf returns n values drawn by next whose backing array goes on
// with 64 copies of poison, which a kernel that reads past the end sees.
func poisonedOf[T any](r *rand.Rand, n int, next func(*rand.Rand) T, poison T) []T {
	s := make([]T, n+64)
	for i := range s {
		if i < n {
			s[i] = next(r)
		} else {
			s[i] = poison
		}
	}
	return s[:n:n]
}

// randUnit returns a random float in [-1, 1).
func randUnit(r *rand.Rand) float32 { return 2*r.Float32() - 1 }

type kernel struct {
	name string
	ref  refFunc
	get  func(implementation) pairFunc
}

var kernels = []kernel{
	{"dot", refDot, func(im implementation) pairFunc { return im.dot }},
	{"l2Sq", refL2Sq, func(im implementation) pairFunc { return im.l2Sq }},
	{"l1", refL1, func(im implementation) pairFunc { return im.l1 }},
}

func TestKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, im := range supported() {
		for _, k := range kernels {
			f := k.get(im)
			for _, n := range lengths {
				for rep := 0; rep < 3; rep++ {
					a, b := poisoned(r, n), poisoned(r, n)
					want, scale := k.ref(a, b)
					if got := f(a, b); !near(got, want, scale) {
						t.Errorf("%s/%s n=%d: got %v, want %v (scale %v)", im.name, k.name, n, got, want, scale)
					}
				}
			}
		}
	}
}

// TestKernelsUnaligned runs the kernels on slices starting at every float
// offset within a cache line.
func TestKernelsUnaligned(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := poisoned(r, 1600+16)
	for _, im := range supported() {
		for _, k := range kernels {
			f := k.get(im)
			for off := 0; off < 16; off++ {
				for _, n := range []int{17, 100, 129, 1536} {
					a := buf[off : off+n]
					b := buf[16-off : 16-off+n]
					want, scale := k.ref(a, b)
					if got := f(a, b); !near(got, want, scale) {
						t.Errorf("%s/%s off=%d n=%d: got %v, want %v", im.name, k.name, off, n, got, want)
					}
				}
			}
		}
	}
}

type batchKernel struct {
	name  string
	pair  func(implementation) pairFunc
	batch func(implementation) func(q, base, out []float32)
}

var batchKernels = []batchKernel{
	{"dot", func(im implementation) pairFunc { return im.dot }, func(im implementation) func(q, base, out []float32) { return im.dotBatch }},
	{"l2Sq", func(im implementation) pairFunc { return im.l2Sq }, func(im implementation) func(q, base, out []float32) { return im.l2SqBatch }},
	{"l1", func(im implementation) pairFunc { return im.l1 }, func(im implementation) func(q, base, out []float32) { return im.l1Batch }},
}

var counts = []int{0, 1, 2, 3, 5, 17}

func TestBatchMatchesPair(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, im := range supported() {
		for _, k := range batchKernels {
			pair, batch := k.pair(im), k.batch(im)
			for _, d := range lengths {
				for _, cnt := range counts {
					q, base := poisoned(r, d), poisoned(r, d*cnt)
					out := make([]float32, cnt+1)
					out[cnt] = 42 // must survive: out[:cnt] is all that may be written
					batch(q, base, out[:cnt])
					for i := 0; i < cnt; i++ {
						want := pair(q, base[i*d:(i+1)*d])
						if out[i] != want {
							t.Errorf("%s/%sBatch d=%d cnt=%d: out[%d]=%v, pair gives %v", im.name, k.name, d, cnt, i, out[i], want)
						}
					}
					if out[cnt] != 42 {
						t.Errorf("%s/%sBatch d=%d cnt=%d: wrote past out", im.name, k.name, d, cnt)
					}
				}
			}
		}
	}
}

type batch4Func func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)

func TestBatch4MatchesBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, im := range supported() {
		for _, k := range []struct {
			name   string
			ref    refFunc
			batch  func(q, base, out []float32)
			batch4 batch4Func
		}{
			{"dot", refDot, im.dotBatch, im.dotBatch4},
			{"l2Sq", refL2Sq, im.l2SqBatch, im.l2SqBatch4},
		} {
			for _, d := range lengths {
				for _, cnt := range counts {
					var qs [4][]float32
					for j := range qs {
						qs[j] = poisoned(r, d)
					}
					base := poisoned(r, d*cnt)
					var outs [4][]float32
					for j := range outs {
						outs[j] = make([]float32, cnt)
					}
					k.batch4(qs[0], qs[1], qs[2], qs[3], base, outs[0], outs[1], outs[2], outs[3])
					for j := range qs {
						single := make([]float32, cnt)
						k.batch(qs[j], base, single)
						for i := range single {
							_, scale := k.ref(qs[j], base[i*d:(i+1)*d])
							if !near(outs[j][i], float64(single[i]), scale) {
								t.Errorf("%s/%sBatch4 d=%d cnt=%d q%d: out[%d]=%v, Batch gives %v", im.name, k.name, d, cnt, j, i, outs[j][i], single[i])
							}
						}
					}
				}
			}
		}
	}
}

// TestExported checks that the exported functions use the best supported
// implementation and match it exactly.
func TestExported(t *testing.T) {
	best := supported()[0]
	if Impl() != best.name {
		t.Fatalf("Impl() = %q, best supported is %q", Impl(), best.name)
	}
	r := rand.New(rand.NewPCG(9, 10))
	const d, cnt = 129, 5
	q, base := poisoned(r, d), poisoned(r, d*cnt)
	for _, c := range []struct {
		name      string
		got, want pairFunc
	}{{"Dot", Dot, best.dot}, {"L2Sq", L2Sq, best.l2Sq}, {"L1", L1, best.l1}} {
		if g, w := c.got(q, base[:d]), c.want(q, base[:d]); g != w {
			t.Errorf("%s = %v, %s impl gives %v", c.name, g, best.name, w)
		}
	}
	for _, c := range []struct {
		name      string
		got, want func(q, base, out []float32)
	}{{"DotBatch", DotBatch, best.dotBatch}, {"L2SqBatch", L2SqBatch, best.l2SqBatch}, {"L1Batch", L1Batch, best.l1Batch}} {
		g, w := make([]float32, cnt), make([]float32, cnt)
		c.got(q, base, g)
		c.want(q, base, w)
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s = %v, %s impl gives %v", c.name, g, best.name, w)
		}
	}
	for _, c := range []struct {
		name      string
		got, want batch4Func
	}{{"DotBatch4", DotBatch4, best.dotBatch4}, {"L2SqBatch4", L2SqBatch4, best.l2SqBatch4}} {
		var g, w [4][]float32
		for j := range g {
			g[j], w[j] = make([]float32, cnt), make([]float32, cnt)
		}
		c.got(q, q, q, q, base, g[0], g[1], g[2], g[3])
		c.want(q, q, q, q, base, w[0], w[1], w[2], w[3])
		if fmt.Sprint(g) != fmt.Sprint(w) {
			t.Errorf("%s = %v, %s impl gives %v", c.name, g, best.name, w)
		}
	}
}

func TestNormAndNormalize(t *testing.T) {
	if got := Norm([]float32{3, 4}); got != 5 {
		t.Errorf("Norm(3,4) = %v, want 5", got)
	}
	if got := Norm(nil); got != 0 {
		t.Errorf("Norm(nil) = %v, want 0", got)
	}
	zero := make([]float32, 33)
	Normalize(zero)
	for i, v := range zero {
		if v != 0 {
			t.Fatalf("Normalize(zero)[%d] = %v, want 0", i, v)
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range lengths[1:] {
		a := poisoned(r, n)
		b := append([]float32(nil), a...)
		Normalize(a)
		if got := Norm(a); math.Abs(float64(got)-1) > 1e-5 {
			t.Errorf("n=%d: Norm(Normalize(a)) = %v, want 1", n, got)
		}
		// Cosine similarity is Dot of normalised vectors.
		want, _ := refDot(b, b)
		if got := Dot(a, b); math.Abs(float64(got)-math.Sqrt(want)) > 1e-4*math.Sqrt(want) {
			t.Errorf("n=%d: Dot(unit a, a) = %v, want |a| = %v", n, got, math.Sqrt(want))
		}
	}
}

// mustPanic fails t unless f panics.
func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	f()
}

func TestBatchPanicsOnShortBase(t *testing.T) {
	q, base, out := make([]float32, 8), make([]float32, 15), make([]float32, 2)
	mustPanic(t, "DotBatch", func() { DotBatch(q, base, out) })
	mustPanic(t, "L2SqBatch", func() { L2SqBatch(q, base, out) })
	mustPanic(t, "L1Batch", func() { L1Batch(q, base, out) })
	mustPanic(t, "DotBatch4", func() { DotBatch4(q, q, q, q, base, out, out, out, out) })
	mustPanic(t, "L2SqBatch4 query lengths", func() {
		L2SqBatch4(q, q[:7], q, q, make([]float32, 16), out, out, out, out)
	})
	mustPanic(t, "L2SqBatch4 output lengths", func() {
		L2SqBatch4(q, q, q, q, make([]float32, 16), out, out, out[:1], out)
	})
	// Zero-length queries and outputs are fine.
	DotBatch(nil, nil, make([]float32, 3))
	DotBatch(q, nil, nil)
}

// randBytes returns n random bytes, a fuzz seed.
func randBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// fuzzFloats decodes data, two bytes (little-endian int16) a value, into
// floats of int16/64: exact in float32, no overflow, many scales.
func fuzzFloats(data []byte) []float32 {
	v := make([]float32, len(data)/2)
	for i := range v {
		v[i] = float32(int16(uint16(data[2*i])|uint16(data[2*i+1])<<8)) / 64
	}
	return v
}

// FuzzKernels compares every supported implementation with the generic one
// on vectors decoded from the input: pair kernels on its two halves, batch
// kernels on a dimension chosen by the first byte.
func FuzzKernels(f *testing.F) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, n := range []int{0, 1, 5, 34, 66, 130, 258, 1030} {
		f.Add(randBytes(r, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v := fuzzFloats(data)
		n := len(v) / 2
		a, b := v[:n], v[n:2*n]
		for _, im := range supported() {
			for _, k := range kernels {
				want, scale := k.ref(a, b)
				if got := k.get(im)(a, b); !near(got, want, scale) {
					t.Fatalf("%s/%s n=%d: got %v, want %v", im.name, k.name, n, got, want)
				}
			}
		}
		if n == 0 {
			return
		}
		d := 1 + int(data[0])%n
		cnt := n / d
		base := b[:cnt*d]
		qs := [4][]float32{a[:d], a[n-d:], b[:d], b[n-d:]}
		for _, im := range supported() {
			for _, k := range []struct {
				name   string
				ref    refFunc
				batch  func(q, base, out []float32)
				batch4 batch4Func
			}{
				{"dot", refDot, im.dotBatch, im.dotBatch4},
				{"l2Sq", refL2Sq, im.l2SqBatch, im.l2SqBatch4},
				{"l1", refL1, im.l1Batch, nil},
			} {
				var outs [4][]float32
				for j := range outs {
					outs[j] = make([]float32, cnt)
				}
				if k.batch4 != nil {
					k.batch4(qs[0], qs[1], qs[2], qs[3], base, outs[0], outs[1], outs[2], outs[3])
				}
				single := make([]float32, cnt)
				for j, q := range qs {
					k.batch(q, base, single)
					for i := 0; i < cnt; i++ {
						want, scale := k.ref(q, base[i*d:(i+1)*d])
						if !near(single[i], want, scale) {
							t.Fatalf("%s/%sBatch d=%d q%d[%d]: got %v, want %v", im.name, k.name, d, j, i, single[i], want)
						}
						if k.batch4 != nil && !near(outs[j][i], want, scale) {
							t.Fatalf("%s/%sBatch4 d=%d q%d[%d]: got %v, want %v", im.name, k.name, d, j, i, outs[j][i], want)
						}
					}
				}
			}
		}
	})
}

// TestNoAllocs checks that the kernels neither allocate nor make their
// arguments escape: the local slices below stay on the stack only if the
// compiler can prove that (the dispatch switch exists for this).
func TestNoAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var q, base, out [64]float32
		sink = Dot(q[:], base[:]) + L2Sq(q[:], base[:]) + L1(q[:], base[:]) + Norm(q[:])
		Normalize(q[:])
		DotBatch(q[:8], base[:], out[:8])
		L2SqBatch(q[:8], base[:], out[:8])
		L1Batch(q[:8], base[:], out[:8])
		DotBatch4(q[:8], q[8:16], q[16:24], q[24:32], base[:], out[:8], out[8:16], out[16:24], out[24:32])
		L2SqBatch4(q[:8], q[8:16], q[16:24], q[24:32], base[:], out[:8], out[8:16], out[16:24], out[24:32])
	})
	if allocs != 0 {
		t.Errorf("kernels allocate %v times per run, want 0", allocs)
	}
}
