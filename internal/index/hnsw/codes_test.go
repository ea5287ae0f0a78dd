package hnsw

import (
	"bytes"
	"math"
	"runtime"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/topk"
)

// coarseCodes is a test codec: each coordinate rounded to a grid of step,
// scored in float32 — lossy enough that rescoring visibly matters.
type coarseCodes struct {
	v      Vectors
	metric flat.Metric
}

func newCoarse(v Vectors, m flat.Metric, step float64) *coarseCodes {
	d := make([]float32, len(v.Data))
	for i, x := range v.Data {
		d[i] = float32(math.Round(float64(x)/step) * step)
	}
	return &coarseCodes{v: Vectors{Dim: v.Dim, Data: d}, metric: m}
}

func (c *coarseCodes) Dim() int                   { return c.v.Dim }
func (c *coarseCodes) Len() int                   { return c.v.Slots() }
func (c *coarseCodes) CodeBytes() int             { return 4 * c.v.Dim }
func (c *coarseCodes) MemoryBytes() int64         { return int64(4 * len(c.v.Data)) }
func (c *coarseCodes) NewScorer() quant.Scorer    { return &coarseScorer{c: c} }
func (s *coarseScorer) Reset(q []float32)         { s.q = q; s.n++ }
func (s *coarseScorer) ScoreRange(int, []float32) { panic("unused") }

type coarseScorer struct {
	c *coarseCodes
	q []float32
	n int // Resets
}

func (s *coarseScorer) Score(ids []uint32, out []float32) {
	for i, id := range ids {
		r := s.c.v.Row(id)
		var d float32
		for j, x := range s.q {
			if s.c.metric == flat.L2 {
				d += (x - r[j]) * (x - r[j])
			} else {
				d -= x * r[j]
			}
		}
		out[i] = d
	}
}

func TestAttachedCodes(t *testing.T) {
	for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
		vr := variant{metric: m}
		base, qs := data(vr, 3000, 32, 11)
		x := build(t, base, Config{Metric: m, Seed: 1}, 1)
		want := truth(base, m, qs, 10, nil)
		plain := searchAll(x, qs, 10, 64, nil)

		step := 0.5 // coordinates ~N(0, 1)
		if m == flat.InnerProduct {
			step = 0.04 // unit vectors of 32 dimensions: coordinates ~0.18
		}
		if err := x.SetCodes(newCoarse(base, m, step)); err != nil {
			t.Fatal(err)
		}
		run := func(p SearchParams) [][]topk.Item {
			out := make([][]topk.Item, qs.Slots())
			for i := range out {
				out[i] = x.SearchWith(qs.Row(uint32(i)), p)
			}
			return out
		}
		approx := run(SearchParams{K: 10, Ef: 64, NoRescore: true})
		pool1 := run(SearchParams{K: 10, Ef: 64})
		pool4 := run(SearchParams{K: 10, Ef: 64, Oversampling: 4})
		ignored := run(SearchParams{K: 10, Ef: 64, IgnoreQuantization: true})
		ra, r1, r4, rp := recall(approx, want), recall(pool1, want), recall(pool4, want), recall(plain, want)
		t.Logf("metric %v: plain %.3f, codes unrescored %.3f, rescored %.3f, oversampling 4 %.3f", m, rp, ra, r1, r4)
		if r4 < 0.95 || r4 < ra+0.05 || r4 < r1 {
			t.Errorf("oversampled rescoring recall %.3f (unrescored %.3f, pool k %.3f)", r4, ra, r1)
		}
		if ri := recall(ignored, want); ri != rp {
			t.Errorf("IgnoreQuantization recall %.3f, float32 search %.3f", ri, rp)
		}
		// Rescored distances are exact; unrescored ones are the codes'.
		exactRows, approxRows := 0, 0
		for i := range pool4 {
			for _, it := range pool4[i] {
				if it.Dist != exactDist(base, m, qs.Row(uint32(i)), it.Slot) {
					exactRows++
				}
			}
			for _, it := range approx[i] {
				if it.Dist != exactDist(base, m, qs.Row(uint32(i)), it.Slot) {
					approxRows++
				}
			}
		}
		if exactRows != 0 || approxRows == 0 {
			t.Errorf("rescored results with inexact distances: %d; unrescored with approximate ones: %d", exactRows, approxRows)
		}
	}
}

func exactDist(v Vectors, m flat.Metric, q []float32, s uint32) float32 {
	return flat.Search(Vectors{Dim: v.Dim, Data: v.Row(s)}, m, q, flat.Params{K: 1, MaxDist: flat.NoLimit})[0].Dist
}

func TestSetCodesChecks(t *testing.T) {
	base, _ := data(variant{metric: flat.L2}, 200, 8, 3)
	x := build(t, base, Config{Metric: flat.L2}, 1)
	short := newCoarse(Vectors{Dim: 8, Data: base.Data[:100*8]}, flat.L2, 0.5)
	if err := x.SetCodes(short); err == nil {
		t.Error("codes covering half the slots were accepted")
	}
	if err := x.SetCodes(newCoarse(Vectors{Dim: 4, Data: base.Data[:4*200]}, flat.L2, 0.5)); err == nil {
		t.Error("codes of another dimension were accepted")
	}
}

func TestQuantileNarrowsRange(t *testing.T) {
	base, qs := data(variant{metric: flat.L2}, 3000, 32, 5)
	full := build(t, base, Config{Metric: flat.L2, Quantization: Int8}, 1)
	clipped := build(t, base, Config{Metric: flat.L2, Quantization: Int8, Quantile: 0.95}, 1)
	if !(clipped.quant.step < 0.8*full.quant.step) {
		t.Fatalf("quantile 0.95 step %v, full range %v: expected a clearly finer step", clipped.quant.step, full.quant.step)
	}
	want := truth(base, flat.L2, qs, 10, nil)
	if r := recall(searchAll(clipped, qs, 10, 64, nil), want); r < 0.95 {
		t.Errorf("recall with quantile 0.95: %.3f", r)
	}
}

// TestLosslessCodes: integer-valued vectors get exact int8 codes; L2 searches with on-grid
// queries then return exact distances without reading the float vectors (here: the float
// array is swapped for garbage after the build), across a save and load; one lossy vector or
// an off-grid query brings rescoring back.
func TestLosslessCodes(t *testing.T) {
	const n, d = 2000, 24
	base, qs := data(variant{metric: flat.L2}, n, d, 9)
	for i, v := range base.Data {
		base.Data[i] = float32(math.Round(float64(v) * 20)) // integers
	}
	for i, v := range qs.Data {
		qs.Data[i] = float32(math.Round(float64(v) * 20))
	}
	x := build(t, base, Config{Metric: flat.L2, Quantization: Int8}, 1)
	if x.lossy.Load() {
		t.Fatal("integer data produced lossy codes")
	}
	want := truth(base, flat.L2, qs, 10, nil)
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	garbage := Vectors{Dim: d, Data: make([]float32, len(base.Data))}
	for i := range garbage.Data {
		garbage.Data[i] = 1e6
	}
	y, err := Load(buf.Bytes(), garbage)
	if err != nil {
		t.Fatal(err)
	}
	got := searchAll(y, qs, 10, 64, nil)
	if r := recall(got, want); r < 0.95 {
		t.Fatalf("lossless recall %.3f", r)
	}
	for i := range got {
		for _, it := range got[i] {
			if e := exactDist(base, flat.L2, qs.Row(uint32(i)), it.Slot); math.Abs(float64(it.Dist-e)) > 1e-3*float64(e)+1e-3 {
				t.Fatalf("distance %v, exact %v", it.Dist, e)
			}
		}
	}
	// An off-grid query is rescored (and so reads the garbage vectors).
	q := append([]float32(nil), qs.Row(0)...)
	q[0] += 0.5
	if it := y.Search(q, 1, 64, nil); it[0].Dist < 1e6 {
		t.Errorf("off-grid query not rescored: %v", it[0].Dist)
	}
	// A non-integer vector makes the codes lossy.
	base.Data[5] += 0.25
	z := build(t, base, Config{Metric: flat.L2, Quantization: Int8}, 1)
	if !z.lossy.Load() {
		t.Error("a non-integer coordinate left the codes lossless")
	}
}

// TestOversamplingBounded: a huge limit times a huge oversampling must not size the search's
// lists beyond the index (one request could otherwise allocate gigabytes).
func TestOversamplingBounded(t *testing.T) {
	base, qs := data(variant{metric: flat.L2}, 1000, 8, 4)
	x := build(t, base, Config{Metric: flat.L2, Quantization: Int8}, 1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	items := x.SearchWith(qs.Row(0), SearchParams{K: 1000, Ef: 10, Oversampling: 1000})
	runtime.ReadMemStats(&after)
	if len(items) != 1000 {
		t.Fatalf("%d results", len(items))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("one search allocated %d bytes", grew)
	}
	// A limit beyond the index's slots, with oversampling: the pool is capped by the slots too.
	runtime.ReadMemStats(&before)
	items = x.SearchWith(qs.Row(0), SearchParams{K: 2_000_000, Ef: 10, Oversampling: 2})
	runtime.ReadMemStats(&after)
	if len(items) != 1000 {
		t.Fatalf("limit beyond the slots: %d results", len(items))
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Fatalf("a limit beyond the slots with oversampling allocated %d bytes", grew)
	}
}

// TestSmallIntegerRangeKeepsLevels: integer data spanning 0..3 gets a power-of-two step below
// one (still lossless), not a step of one that would round off-grid queries coarsely.
func TestSmallIntegerRangeKeepsLevels(t *testing.T) {
	base, _ := data(variant{metric: flat.L2}, 500, 8, 6)
	for i, v := range base.Data {
		base.Data[i] = float32(min(3, max(0, math.Round(float64(v)+1.5))))
	}
	x := build(t, base, Config{Metric: flat.L2, Quantization: Int8}, 1)
	if x.quant.step != 1.0/64 || x.lossy.Load() {
		t.Fatalf("step %v, lossy %v; want 1/64, lossless", x.quant.step, x.lossy.Load())
	}
}
