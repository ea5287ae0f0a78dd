package distance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// boundFunc is the signature of the bound kernels.
type boundFunc func(q, base []float32, bound float32, idx []uint32, dist []float32) int

type boundKernel struct {
	name  string
	ref   refFunc
	above bool // keeps scores >= bound (dot) rather than <= bound
	get   func(scanImplementation) boundFunc
}

var boundKernels = []boundKernel{
	{"l2Sq", refL2Sq, false, func(im scanImplementation) boundFunc { return im.l2SqBound }},
	{"dot", refDot, true, func(im scanImplementation) boundFunc { return im.dotBound }},
}

// verifyBound runs a bound kernel on n vectors of base and checks its output
// against float64 references: every vector that clearly passes is kept,
// none that clearly fails is, kept indices increase and their scores are
// near the reference. Scores within the tolerance of the bound may go
// either way (implementations sum in different orders).
func verifyBound(t *testing.T, label string, k boundKernel, f boundFunc, q, base []float32, n int, bound float32) {
	t.Helper()
	d := len(q)
	idx := make([]uint32, n+1)
	dist := make([]float32, n+1)
	idx[n], dist[n] = 4242, 42 // must survive: only [:n] may be written
	c := f(q, base, bound, idx[:n], dist[:n])
	if c < 0 || c > n {
		t.Fatalf("%s: returned %d for %d vectors", label, c, n)
	}
	if idx[n] != 4242 || dist[n] != 42 {
		t.Fatalf("%s: wrote past idx or dist", label)
	}
	kept := make(map[uint32]float32, c)
	for i := 0; i < c; i++ {
		if i > 0 && idx[i] <= idx[i-1] {
			t.Fatalf("%s: idx not increasing: %v", label, idx[:c])
		}
		if int(idx[i]) >= n {
			t.Fatalf("%s: idx[%d] = %d out of range", label, i, idx[i])
		}
		kept[idx[i]] = dist[i]
	}
	for j := 0; j < n; j++ {
		want, scale := k.ref(q, base[j*d:(j+1)*d])
		tol := relTol*scale + 1e-30
		pass := want <= float64(bound)-tol
		fail := want > float64(bound)+tol
		if k.above {
			pass, fail = want >= float64(bound)+tol, want < float64(bound)-tol
		}
		got, ok := kept[uint32(j)]
		switch {
		case ok && fail:
			t.Fatalf("%s: kept %d (score %v, reference %v) against bound %v", label, j, got, want, bound)
		case !ok && pass:
			t.Fatalf("%s: dropped %d (reference %v) against bound %v", label, j, want, bound)
		case ok && !near(got, want, scale):
			t.Fatalf("%s: score of %d is %v, reference %v", label, j, got, want)
		}
	}
}

// boundsFor returns the bounds the tests try for scores of q against base:
// none passes, all pass, and about half pass.
func boundsFor(k boundKernel, q, base []float32, n int) []float32 {
	inf := float32(math.Inf(1))
	bs := []float32{inf, -inf}
	if n > 0 {
		d := len(q)
		mid, _ := k.ref(q, base[(n/2)*d:(n/2+1)*d])
		bs = append(bs, float32(mid))
	}
	return bs
}

var scanCounts = []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 33}

func TestBoundKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(31, 32))
	for _, im := range scanSupported() {
		for _, k := range boundKernels {
			f := k.get(im)
			for _, d := range lengths {
				for _, n := range scanCounts {
					q, base := poisoned(r, d), poisoned(r, d*n)
					for _, b := range boundsFor(k, q, base, n) {
						verifyBound(t, fmt.Sprintf("%s/%sBound d=%d n=%d bound=%v", im.name, k.name, d, n, b), k, f, q, base, n, b)
					}
				}
			}
		}
	}
}

// TestBoundKeepsAll checks that a bound of +Inf (L2) or -Inf (dot) keeps
// every vector.
func TestBoundKeepsAll(t *testing.T) {
	r := rand.New(rand.NewPCG(33, 34))
	inf := float32(math.Inf(1))
	for _, im := range scanSupported() {
		for _, d := range []int{1, 16, 100, 128, 784} {
			const n = 37
			q, base := poisoned(r, d), poisoned(r, d*n)
			idx, dist := make([]uint32, n), make([]float32, n)
			if c := im.l2SqBound(q, base, inf, idx, dist); c != n {
				t.Errorf("%s/l2SqBound d=%d: kept %d of %d with bound +Inf", im.name, d, c, n)
			}
			if c := im.dotBound(q, base, -inf, idx, dist); c != n {
				t.Errorf("%s/dotBound d=%d: kept %d of %d with bound -Inf", im.name, d, c, n)
			}
		}
	}
}

// panelRef returns the float64 reference scores of vector x against the
// queries, and the magnitude that scales their rounding error.
func panelRef(qs [][]float32, w int, x []float32, add, scale float64) (s, mag []float64) {
	s, mag = make([]float64, w), make([]float64, w)
	for l := range s {
		var dot, abs float64
		if l < len(qs) {
			for i := range x {
				p := float64(qs[l][i]) * float64(x[i])
				dot += p
				abs += math.Abs(p)
			}
		}
		s[l] = add + scale*dot
		mag[l] = math.Abs(add) + math.Abs(scale)*abs
	}
	return s, mag
}

type panelFunc func(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int

// verifyPanel packs qs into a panel of width w, runs f against n vectors of
// base and checks the output against float64 references (lanes whose score
// is within the tolerance of their bound may go either way).
func verifyPanel(t *testing.T, label string, w int, f panelFunc, qs [][]float32, base, add []float32, scale float32, bound []float32, n int) {
	t.Helper()
	d := len(base) / max(n, 1)
	if len(qs) > 0 {
		d = len(qs[0])
	}
	panel := make([]float32, d*w)
	packPanel(w, panel, qs)
	idx := make([]uint32, n+1)
	mask := make([]uint32, n+1)
	dist := make([]float32, (n+1)*w)
	idx[n], mask[n], dist[n*w] = 4242, 4242, 42
	c := f(panel, base, add, scale, bound, idx[:n], mask[:n], dist[:n*w])
	if c < 0 || c > n {
		t.Fatalf("%s: returned %d for %d vectors", label, c, n)
	}
	if idx[n] != 4242 || mask[n] != 4242 || dist[n*w] != 42 {
		t.Fatalf("%s: wrote past idx, mask or dist", label)
	}
	rec := make(map[uint32]int, c)
	for i := 0; i < c; i++ {
		if i > 0 && idx[i] <= idx[i-1] {
			t.Fatalf("%s: idx not increasing: %v", label, idx[:c])
		}
		if int(idx[i]) >= n || mask[i] == 0 || w < 32 && mask[i]>>w != 0 {
			t.Fatalf("%s: record %d: idx %d mask %#x", label, i, idx[i], mask[i])
		}
		rec[idx[i]] = i
	}
	for j := 0; j < n; j++ {
		var a float64
		if add != nil {
			a = float64(add[j])
		}
		want, mag := panelRef(qs, w, base[j*d:(j+1)*d], a, float64(scale))
		i, ok := rec[uint32(j)]
		for l := 0; l < w; l++ {
			tol := relTol*mag[l] + 1e-30
			pass := want[l] <= float64(bound[l])-tol
			fail := want[l] > float64(bound[l])+tol || math.IsNaN(float64(bound[l]))
			if !ok {
				if pass {
					t.Fatalf("%s: dropped vector %d, lane %d passes (reference %v, bound %v)", label, j, l, want[l], bound[l])
				}
				continue
			}
			got := dist[i*w+l]
			if !near(got, want[l], mag[l]) {
				t.Fatalf("%s: vector %d lane %d: score %v, reference %v", label, j, l, got, want[l])
			}
			bit := mask[i]>>l&1 == 1
			if bit && fail || !bit && pass {
				t.Fatalf("%s: vector %d lane %d: mask bit %v, reference %v, bound %v", label, j, l, bit, want[l], bound[l])
			}
		}
	}
}

var panelCounts = []int{0, 1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 17, 23, 24, 25, 37}

func TestPanelKernels(t *testing.T) {
	r := rand.New(rand.NewPCG(35, 36))
	inf := float32(math.Inf(1))
	for _, im := range scanSupported() {
		w := im.width
		for _, d := range lengths {
			for _, n := range panelCounts {
				for _, nq := range []int{1, w - 1, w} {
					qs := make([][]float32, nq)
					for l := range qs {
						qs[l] = poisoned(r, d)
					}
					base := poisoned(r, d*n)
					add := poisoned(r, n)
					for _, sc := range []float32{-2, -1, 0.5} {
						for _, a := range [][]float32{nil, add} {
							// Bounds: all pass, none pass, mixed (random lanes
							// at -Inf, +Inf, or a typical score).
							mixed := make([]float32, w)
							for l := range mixed {
								switch r.IntN(3) {
								case 0:
									mixed[l] = -inf
								case 1:
									mixed[l] = inf
								default:
									mixed[l] = (r.Float32() - 0.5) * float32(d) / 8
								}
							}
							all, none := make([]float32, w), make([]float32, w)
							for l := range all {
								all[l], none[l] = inf, -inf
							}
							for bi, b := range [][]float32{all, none, mixed} {
								label := fmt.Sprintf("%s/panel d=%d n=%d nq=%d scale=%v add=%v bounds=%d", im.name, d, n, nq, sc, a != nil, bi)
								verifyPanel(t, label, w, im.panel, qs, base, a, sc, b, n)
							}
						}
					}
				}
			}
		}
	}
}

// TestPanelAllPass checks that with bounds of +Inf every vector is
// recorded with every lane set.
func TestPanelAllPass(t *testing.T) {
	r := rand.New(rand.NewPCG(37, 38))
	for _, im := range scanSupported() {
		w := im.width
		const d, n = 33, 29
		qs := make([][]float32, w)
		for l := range qs {
			qs[l] = poisoned(r, d)
		}
		panel := make([]float32, d*w)
		packPanel(w, panel, qs)
		bound := make([]float32, w)
		for l := range bound {
			bound[l] = float32(math.Inf(1))
		}
		idx, mask, dist := make([]uint32, n), make([]uint32, n), make([]float32, n*w)
		if c := im.panel(panel, poisoned(r, d*n), nil, -1, bound, idx, mask, dist); c != n {
			t.Fatalf("%s: recorded %d of %d", im.name, c, n)
		}
		for i := range idx {
			if idx[i] != uint32(i) || mask[i] != uint32(1<<w-1) {
				t.Fatalf("%s: record %d: idx %d mask %#x", im.name, i, idx[i], mask[i])
			}
		}
	}
}

func TestPackPanel(t *testing.T) {
	panel := make([]float32, 3*4)
	for i := range panel {
		panel[i] = 9
	}
	packPanel(4, panel, [][]float32{{1, 2, 3}, {4, 5, 6}})
	want := []float32{1, 4, 0, 0, 2, 5, 0, 0, 3, 6, 0, 0}
	if fmt.Sprint(panel) != fmt.Sprint(want) {
		t.Fatalf("packPanel = %v, want %v", panel, want)
	}
	mustPanic(t, "too many queries", func() { packPanel(1, panel, [][]float32{{1}, {2}}) })
	mustPanic(t, "wrong length", func() { packPanel(4, panel, [][]float32{{1, 2}}) })
	mustPanic(t, "ragged panel", func() { packPanel(5, panel, nil) })
}

// TestScanExported checks that the exported scan functions use the best
// supported implementation and match it exactly.
func TestScanExported(t *testing.T) {
	best := scanSupported()[0]
	if PanelWidth() != best.width || best.name != Impl() {
		t.Fatalf("PanelWidth() = %d, best %s has %d (Impl %s)", PanelWidth(), best.name, best.width, Impl())
	}
	r := rand.New(rand.NewPCG(39, 40))
	const d, n = 129, 23
	q, base := poisoned(r, d), poisoned(r, d*n)
	for _, c := range []struct {
		name      string
		got, want boundFunc
		bound     float32
	}{{"L2SqBatchBelow", L2SqBatchBelow, best.l2SqBound, 43}, {"DotBatchAbove", DotBatchAbove, best.dotBound, 0}} {
		gi, wi := make([]uint32, n), make([]uint32, n)
		gd, wd := make([]float32, n), make([]float32, n)
		gc, wc := c.got(q, base, c.bound, gi, gd), c.want(q, base, c.bound, wi, wd)
		if gc != wc || fmt.Sprint(gi[:gc], gd[:gc]) != fmt.Sprint(wi[:wc], wd[:wc]) {
			t.Errorf("%s differs from %s impl", c.name, best.name)
		}
	}
	w := best.width
	qs := make([][]float32, w)
	for l := range qs {
		qs[l] = poisoned(r, d)
	}
	panel := make([]float32, d*w)
	PackPanel(panel, qs)
	bound := make([]float32, w)
	for l := range bound {
		bound[l] = r.Float32()
	}
	gi, wi, gm, wm := make([]uint32, n), make([]uint32, n), make([]uint32, n), make([]uint32, n)
	gd, wd := make([]float32, n*w), make([]float32, n*w)
	gc := PanelScan(panel, base, nil, -1, bound, gi, gm, gd)
	wc := best.panel(panel, base, nil, -1, bound, wi, wm, wd)
	if gc != wc || fmt.Sprint(gi[:gc], gm[:gc], gd[:gc*w]) != fmt.Sprint(wi[:wc], wm[:wc], wd[:wc*w]) {
		t.Errorf("PanelScan differs from %s impl", best.name)
	}
}

func TestScanPanicsOnShortSlices(t *testing.T) {
	q := make([]float32, 8)
	mustPanic(t, "L2SqBatchBelow short base", func() { L2SqBatchBelow(q, make([]float32, 15), 0, make([]uint32, 2), make([]float32, 2)) })
	mustPanic(t, "DotBatchAbove short dist", func() { DotBatchAbove(q, make([]float32, 16), 0, make([]uint32, 2), make([]float32, 1)) })
	w := PanelWidth()
	panel := make([]float32, 8*w)
	bound := make([]float32, w)
	ok := func() (base, add []float32, idx, mask []uint32, dist []float32) {
		return make([]float32, 16), make([]float32, 2), make([]uint32, 2), make([]uint32, 2), make([]float32, 2*w)
	}
	base, add, idx, mask, dist := ok()
	PanelScan(panel, base, add, -2, bound, idx, mask, dist)
	mustPanic(t, "PanelScan ragged panel", func() { PanelScan(panel[1:], base, add, -2, bound, idx, mask, dist) })
	mustPanic(t, "PanelScan short base", func() { PanelScan(panel, base[1:], add, -2, bound, idx, mask, dist) })
	mustPanic(t, "PanelScan short add", func() { PanelScan(panel, base, add[1:], -2, bound, idx, mask, dist) })
	mustPanic(t, "PanelScan short bound", func() { PanelScan(panel, base, add, -2, bound[1:], idx, mask, dist) })
	mustPanic(t, "PanelScan short mask", func() { PanelScan(panel, base, add, -2, bound, idx, mask[1:], dist) })
	mustPanic(t, "PanelScan short dist", func() { PanelScan(panel, base, add, -2, bound, idx, mask, dist[1:]) })
}

func TestScanNoAllocs(t *testing.T) {
	w := PanelWidth()
	allocs := testing.AllocsPerRun(100, func() {
		var q, base, dist [64]float32
		var idx, mask [8]uint32
		var panel [32 * 2]float32
		var bound [32]float32
		L2SqBatchBelow(q[:8], base[:], 1, idx[:], dist[:8])
		DotBatchAbove(q[:8], base[:], 1, idx[:], dist[:8])
		PanelScan(panel[:2*w], base[:], nil, -1, bound[:w], idx[:1], mask[:1], dist[:w])
	})
	if allocs != 0 {
		t.Errorf("scan kernels allocate %v times per run, want 0", allocs)
	}
}

// FuzzScanKernels checks every supported implementation's bound and panel
// kernels against the float64 references on vectors decoded from the
// input: the first byte picks the dimension, the second the bound.
func FuzzScanKernels(f *testing.F) {
	r := rand.New(rand.NewPCG(41, 42))
	for _, n := range []int{2, 5, 34, 66, 130, 258, 1030, 4100} {
		f.Add(randBytes(r, n))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 2 {
			return
		}
		v := fuzzFloats(data[2:])
		if len(v) < 2 {
			return
		}
		d := 1 + int(data[0])%(len(v)/2)
		q, base := v[:d], v[d:]
		n := len(base) / d
		for _, im := range scanSupported() {
			for _, k := range boundKernels {
				ref, _ := k.ref(q, base[:d])
				bound := float32(ref) * float32(data[1]) / 128
				verifyBound(t, fmt.Sprintf("%s/%sBound d=%d n=%d", im.name, k.name, d, n), k, k.get(im), q, base, n, bound)
			}
			w := im.width
			qs := make([][]float32, 0, w)
			for off := 0; off+d <= len(v) && len(qs) < w; off += 1 + int(data[1])%d {
				qs = append(qs, v[off:off+d])
			}
			bound := make([]float32, w)
			for l := range bound {
				s, _ := panelRef(qs, w, base[(l%n)*d:(l%n+1)*d], 0, -1)
				bound[l] = float32(s[l])
			}
			verifyPanel(t, fmt.Sprintf("%s/panel d=%d n=%d nq=%d", im.name, d, n, len(qs)), w, im.panel, qs, base[:n*d], nil, -1, bound, n)
		}
	})
}
