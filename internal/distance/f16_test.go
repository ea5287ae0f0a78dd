package distance

import (
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"testing"
)

// refHalfValue is the value of the half h computed from its definition in
// float64 (not by bit shuffling, as halfToFloat does); NaN for NaNs.
func refHalfValue(h uint16) float64 {
	s := 1.0
	if h&0x8000 != 0 {
		s = -1
	}
	e, m := int(h>>10)&0x1f, float64(h&0x3ff)
	switch {
	case e == 0x1f && m != 0:
		return math.NaN()
	case e == 0x1f:
		return math.Inf(int(s))
	case e == 0:
		return s * math.Ldexp(m, -24)
	}
	return s * math.Ldexp(1024+m, e-25)
}

// refHalfBits is the float32 bit pattern F16ToF32 must produce for h: the
// exact value, or for a NaN the quiet NaN with the half's payload on top.
func refHalfBits(h uint16) uint32 {
	v := refHalfValue(h)
	if math.IsNaN(v) {
		return uint32(h&0x8000)<<16 | 0x7fc00000 | uint32(h&0x3ff)<<13
	}
	return math.Float32bits(float32(v)) // exact: a half has 11 bits
}

// TestF16ToF32Exhaustive checks the conversion of every one of the 65536
// halves, the generic reference against the definition and every
// implementation against both.
func TestF16ToF32Exhaustive(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	for i := range src {
		if got, want := math.Float32bits(halfToFloat(src[i])), refHalfBits(src[i]); got != want {
			t.Fatalf("halfToFloat(%#04x) = %#08x, want %#08x", src[i], got, want)
		}
	}
	for _, im := range f16Supported() {
		dst := make([]float32, len(src))
		im.f16ToF32(dst, src)
		for i, f := range dst {
			if got, want := math.Float32bits(f), refHalfBits(src[i]); got != want {
				t.Fatalf("%s/f16ToF32(%#04x) = %#08x, want %#08x", im.name, src[i], got, want)
			}
		}
	}
}

// halfValues holds the values of the halves 0..0x7c00 in increasing order
// (0x7c00, +Inf, stands for 65536, the next power of two, so that rounding
// past 65504 can be decided like any other).
var halfValues = func() []float64 {
	v := make([]float64, 0x7c01)
	for h := range 0x7c00 {
		v[h] = refHalfValue(uint16(h))
	}
	v[0x7c00] = 65536
	return v
}()

// refFloatToHalf rounds f to the nearest half, ties to even, by searching
// the table of half values (independent of floatToHalf's bit arithmetic).
func refFloatToHalf(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	if math.IsNaN(float64(f)) {
		return sign | 0x7e00 | uint16(b&0x7fffff>>13)
	}
	a := math.Abs(float64(f))
	if a >= 65520 { // 65504 + half its ulp: ties to the even neighbour, Inf
		return sign | 0x7c00
	}
	i := sort.SearchFloat64s(halfValues, a) // first value >= a
	if halfValues[i] == a {
		return sign | uint16(i)
	}
	lo, hi := i-1, i
	dlo, dhi := a-halfValues[lo], halfValues[hi]-a
	switch {
	case dlo < dhi:
		return sign | uint16(lo)
	case dhi < dlo:
		return sign | uint16(hi)
	case lo&1 == 0:
		return sign | uint16(lo)
	}
	return sign | uint16(hi)
}

// f32ToF16Cases returns floats around every half (the half, its midpoint
// with the next one, and their float32 neighbours), of both signs, with
// random bit patterns and special values.
func f32ToF16Cases(r *rand.Rand) []float32 {
	var c []float32
	add := func(f float32) {
		c = append(c, f, -f)
	}
	for h := 0; h < 0x7c00; h++ {
		v := float32(halfValues[h])
		m := float32((halfValues[h] + halfValues[h+1]) / 2) // exact: 12 bits
		add(v)
		add(math.Nextafter32(v, 0))
		add(math.Nextafter32(v, math.MaxFloat32))
		add(m)
		add(math.Nextafter32(m, 0))
		add(math.Nextafter32(m, math.MaxFloat32))
	}
	for range 1 << 20 {
		c = append(c, math.Float32frombits(r.Uint32()))
	}
	for _, b := range []uint32{
		0x7f800000, 0x7f800001, 0x7f802000, 0x7fc00000, 0x7fc00001, 0x7fffffff, 0x7fbfffff,
		0x00000001, 0x007fffff, 0x00800000, 0x7f7fffff, 0x33000000, 0x33000001, 0x337fffff,
		0x33800000, 0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000,
	} {
		add(math.Float32frombits(b))
	}
	return c
}

// TestF32ToF16 checks the rounding of floats to halves, the generic
// reference against the table search and every implementation against
// both, bit for bit.
func TestF32ToF16(t *testing.T) {
	src := f32ToF16Cases(rand.New(rand.NewPCG(71, 72)))
	for _, f := range src {
		if got, want := floatToHalf(f), refFloatToHalf(f); got != want {
			t.Fatalf("floatToHalf(%g = %#08x) = %#04x, want %#04x", f, math.Float32bits(f), got, want)
		}
	}
	for _, im := range f16Supported() {
		dst := make([]uint16, len(src))
		im.f32ToF16(dst, src)
		for i, h := range dst {
			if want := refFloatToHalf(src[i]); h != want {
				t.Fatalf("%s/f32ToF16(%g = %#08x) = %#04x, want %#04x", im.name, src[i], math.Float32bits(src[i]), h, want)
			}
		}
	}
}

// TestF16RoundTrip checks that every half survives the trip through
// float32 (NaNs come back quiet).
func TestF16RoundTrip(t *testing.T) {
	src := make([]uint16, 1<<16)
	for i := range src {
		src[i] = uint16(i)
	}
	for _, im := range f16Supported() {
		f := make([]float32, len(src))
		back := make([]uint16, len(src))
		im.f16ToF32(f, src)
		im.f32ToF16(back, f)
		for i, h := range src {
			want := h
			if h&0x7c00 == 0x7c00 && h&0x3ff != 0 {
				want |= 0x200
			}
			if back[i] != want {
				t.Fatalf("%s: %#04x -> %g -> %#04x, want %#04x", im.name, h, f[i], back[i], want)
			}
		}
	}
}

// TestF16ConvertLengths runs the conversions at the awkward lengths and
// checks that nothing past len(src) is written.
func TestF16ConvertLengths(t *testing.T) {
	r := rand.New(rand.NewPCG(73, 74))
	for _, im := range f16Supported() {
		for _, n := range lengths {
			f := poisoned(r, n)
			h := make([]uint16, n+20)
			for i := range h {
				h[i] = 0xabcd
			}
			im.f32ToF16(h, f)
			for i := range h {
				want := uint16(0xabcd)
				if i < n {
					want = refFloatToHalf(f[i])
				}
				if h[i] != want {
					t.Fatalf("%s/f32ToF16 n=%d: h[%d] = %#04x, want %#04x", im.name, n, i, h[i], want)
				}
			}
			g := make([]float32, n+20)
			for i := range g {
				g[i] = 42
			}
			im.f16ToF32(g, h[:n])
			for i := range g {
				want := float32(42)
				if i < n {
					want = math.Float32frombits(refHalfBits(h[i]))
				}
				if g[i] != want {
					t.Fatalf("%s/f16ToF32 n=%d: g[%d] = %v, want %v", im.name, n, i, g[i], want)
				}
			}
		}
	}
}

// poisonedHalves returns n halves of random values in [-1, 1) whose backing
// array goes on with NaN halves, so a kernel reading past the end
// produces NaN.
func poisonedHalves(r *rand.Rand, n int) []uint16 { return poisonedOf(r, n, randHalf, 0x7e00) }

// randHalf returns a random half in [-1, 1).
func randHalf(r *rand.Rand) uint16 { return floatToHalf(randUnit(r)) }

func widen(h []uint16) []float32 {
	f := make([]float32, len(h))
	for i := range h {
		f[i] = math.Float32frombits(refHalfBits(h[i]))
	}
	return f
}

func TestF16Kernels(t *testing.T) {
	r := rand.New(rand.NewPCG(75, 76))
	for _, im := range f16Supported() {
		for _, n := range lengths {
			for rep := 0; rep < 3; rep++ {
				q, x := poisoned(r, n), poisonedHalves(r, n)
				xf := widen(x)
				want, scale := refDot(q, xf)
				if got := im.dotF16(q, x); !near(got, want, scale) {
					t.Errorf("%s/dotF16 n=%d: got %v, want %v", im.name, n, got, want)
				}
				want, scale = refL2Sq(q, xf)
				if got := im.l2SqF16(q, x); !near(got, want, scale) {
					t.Errorf("%s/l2SqF16 n=%d: got %v, want %v", im.name, n, got, want)
				}
			}
		}
	}
}

func TestF16Gather(t *testing.T) {
	r := rand.New(rand.NewPCG(77, 78))
	for _, im := range f16Supported() {
		for _, d := range lengths {
			const rows = 37
			q, base := poisoned(r, d), poisonedHalves(r, d*rows)
			for _, n := range []int{0, 1, 2, 3, 5, 16, 33} {
				ids := gatherIDs(r, n, rows)
				out := make([]float32, n+1)
				out[n] = 42
				im.l2SqF16Gather(q, base, ids, out[:n])
				for i, id := range ids {
					want, scale := refL2Sq(q, widen(base[int(id)*d:int(id+1)*d]))
					if !near(out[i], want, scale) {
						t.Fatalf("%s/l2SqF16Gather d=%d n=%d i=%d: got %v, want %v", im.name, d, n, i, out[i], want)
					}
				}
				im.dotF16Gather(q, base, ids, out[:n])
				for i, id := range ids {
					want, scale := refDot(q, widen(base[int(id)*d:int(id+1)*d]))
					if !near(out[i], want, scale) {
						t.Fatalf("%s/dotF16Gather d=%d n=%d i=%d: got %v, want %v", im.name, d, n, i, out[i], want)
					}
				}
				if out[n] != 42 {
					t.Fatalf("%s d=%d n=%d: wrote past len(ids)", im.name, d, n)
				}
			}
		}
	}
}

// TestF16Exported checks that the exported functions use the best
// supported implementation.
func TestF16Exported(t *testing.T) {
	best := f16Supported()[0]
	if F16Impl() != best.name {
		t.Fatalf("F16Impl() = %q, best supported is %q", F16Impl(), best.name)
	}
	r := rand.New(rand.NewPCG(79, 80))
	const d = 100
	q, base := poisoned(r, d), poisonedHalves(r, 4*d)
	if g, w := DotF16(q, base[:d]), best.dotF16(q, base[:d]); g != w {
		t.Errorf("DotF16 = %v, %s gives %v", g, best.name, w)
	}
	if g, w := L2SqF16(q, base[:d]), best.l2SqF16(q, base[:d]); g != w {
		t.Errorf("L2SqF16 = %v, %s gives %v", g, best.name, w)
	}
	out, want := make([]float32, 2), make([]float32, 2)
	ids := []uint32{3, 0}
	DotF16Gather(q, base, ids, out)
	best.dotF16Gather(q, base, ids, want)
	if out[0] != want[0] || out[1] != want[1] {
		t.Errorf("DotF16Gather = %v, %s gives %v", out, best.name, want)
	}
	L2SqF16Gather(q, base, ids, out)
	best.l2SqF16Gather(q, base, ids, want)
	if out[0] != want[0] || out[1] != want[1] {
		t.Errorf("L2SqF16Gather = %v, %s gives %v", out, best.name, want)
	}
	h := make([]uint16, d)
	F32ToF16(h, q)
	f := make([]float32, d)
	F16ToF32(f, h)
	for i := range q {
		if h[i] != refFloatToHalf(q[i]) || math.Float32bits(f[i]) != refHalfBits(h[i]) {
			t.Fatalf("F32ToF16/F16ToF32 [%d]: %v -> %#04x -> %v", i, q[i], h[i], f[i])
		}
	}
}

func TestF16Panics(t *testing.T) {
	q, h, out := make([]float32, 8), make([]uint16, 12), make([]float32, 2)
	mustPanic(t, "F16ToF32 short dst", func() { F16ToF32(q, h) })
	mustPanic(t, "F32ToF16 short dst", func() { F32ToF16(h[:7], q) })
	mustPanic(t, "DotF16 lengths", func() { DotF16(q, h) })
	mustPanic(t, "L2SqF16 lengths", func() { L2SqF16(q, h[:7]) })
	mustPanic(t, "DotF16Gather id out of range", func() { DotF16Gather(q, h, []uint32{1}, out) })
	mustPanic(t, "L2SqF16Gather short out", func() { L2SqF16Gather(q, h, []uint32{0, 0, 0}, out) })
}

// FuzzF16 compares every implementation with the references on halves
// and floats decoded from the input: conversions bit for bit, dot and L2
// within float32 rounding (finite halves only).
func FuzzF16(f *testing.F) {
	f.Add([]byte{0, 0x3c, 0, 0x7c, 1, 0x7c, 0, 0x80})
	r := rand.New(rand.NewPCG(81, 82))
	for _, n := range []int{34, 66, 130, 514} {
		f.Add(randBytes(r, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		h := make([]uint16, len(data)/2)
		for i := range h {
			h[i] = uint16(data[2*i]) | uint16(data[2*i+1])<<8
		}
		fl := make([]float32, len(data)/4)
		for i := range fl {
			fl[i] = math.Float32frombits(uint32(h[2*i]) | uint32(h[2*i+1])<<16)
		}
		for _, im := range f16Supported() {
			g := make([]float32, len(h))
			im.f16ToF32(g, h)
			for i := range g {
				if math.Float32bits(g[i]) != refHalfBits(h[i]) {
					t.Fatalf("%s/f16ToF32(%#04x) = %#08x", im.name, h[i], math.Float32bits(g[i]))
				}
			}
			o := make([]uint16, len(fl))
			im.f32ToF16(o, fl)
			for i := range o {
				if want := refFloatToHalf(fl[i]); o[i] != want {
					t.Fatalf("%s/f32ToF16(%#08x) = %#04x, want %#04x", im.name, math.Float32bits(fl[i]), o[i], want)
				}
			}
		}
		// Dot and L2 on finite halves against a query of small integers.
		x := make([]uint16, 0, len(h))
		for _, v := range h {
			if v&0x7c00 != 0x7c00 {
				x = append(x, v)
			}
		}
		q := make([]float32, len(x))
		for i := range q {
			q[i] = float32(int(data[i%len(data)]) - 128)
		}
		xf := widen(x)
		for _, im := range f16Supported() {
			want, scale := refDot(q, xf)
			if got := im.dotF16(q, x); !near(got, want, scale) {
				t.Fatalf("%s/dotF16 n=%d: got %v, want %v", im.name, len(x), got, want)
			}
			want, scale = refL2Sq(q, xf)
			if got := im.l2SqF16(q, x); !near(got, want, scale) {
				t.Fatalf("%s/l2SqF16 n=%d: got %v, want %v", im.name, len(x), got, want)
			}
		}
	})
}

// TestF16NoAllocs checks that the float16 kernels neither allocate nor
// make their arguments escape.
func TestF16NoAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var q, out [32]float32
		var h [64]uint16
		ids := [2]uint32{1, 0}
		F32ToF16(h[:], q[:])
		F16ToF32(q[:], h[:32])
		sink = DotF16(q[:], h[:32]) + L2SqF16(q[:], h[32:])
		DotF16Gather(q[:], h[:], ids[:], out[:])
		L2SqF16Gather(q[:], h[:], ids[:], out[:])
	})
	if allocs != 0 {
		t.Errorf("float16 kernels allocate %v times per run, want 0", allocs)
	}
}

// TestF32ToF16Exhaustive compares every implementation with the generic
// one on all 2^32 floats. It takes a minute or more, so it runs only with
// NEEDLE_F16_EXHAUSTIVE=1.
func TestF32ToF16Exhaustive(t *testing.T) {
	if os.Getenv("NEEDLE_F16_EXHAUSTIVE") == "" {
		t.Skip("set NEEDLE_F16_EXHAUSTIVE=1 to convert all 2^32 floats")
	}
	impls := f16Supported()
	src := make([]float32, 1<<16)
	want, got := make([]uint16, len(src)), make([]uint16, len(src))
	for hi := uint32(0); hi < 1<<16; hi++ {
		for lo := range src {
			src[lo] = math.Float32frombits(hi<<16 | uint32(lo))
		}
		f32ToF16Generic(want, src)
		for _, im := range impls {
			im.f32ToF16(got, src)
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s/f32ToF16(%#08x) = %#04x, generic gives %#04x", im.name, math.Float32bits(src[i]), got[i], want[i])
				}
			}
		}
	}
}
