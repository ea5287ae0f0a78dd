package hnsw

import (
	"fmt"
	"math"

	"github.com/needlevdb/needle/internal/index/flat"
)

// quantizer maps a float32 vector to one unsigned byte per dimension:
// c[i] = clamp(round((x[i]-lo[i]) / step), 0, 255). The offset is per
// dimension, the step is one for all dimensions, so that the squared L2
// distance between codes is step² times the squared L2 distance of the
// reconstructions lo + step*c — the graph can then be built and searched
// in integer arithmetic.
type quantizer struct {
	lo   []float32
	step float32
	inv  float32 // 1/step
}

// trainSample is the most vectors Train looks at.
const trainSample = 100_000

// clipFraction is the fraction of each dimension's sample values that
// may fall outside its range at each end: a range fitted to all values is
// stretched by a few outliers (a Gaussian's extremes), which coarsens the
// step for every value; clipped values are clamped to 0 or 255 (and only
// steer the traversal: results are rescored in float32). 0.0005 cut the
// step of clustered-200k-128 by a quarter (HNSW_BENCH_DATA TestCurve).
const clipFraction = 0.0005

// histBins is the resolution of the per-dimension histogram the clipped
// range is read from.
const histBins = 2048

// newQuantizer fits the per-dimension ranges of the vectors rows(i) for
// i < n (a strided sample of at most trainSample of them): each range
// covers all but clipFraction of the values at either end.
func newQuantizer(dim, n int, row func(i int) []float32) (*quantizer, error) {
	if n == 0 {
		return nil, fmt.Errorf("hnsw: Train needs at least one vector")
	}
	lo := make([]float32, dim)
	hi := make([]float32, dim)
	for d := range lo {
		lo[d], hi[d] = float32(math.Inf(1)), float32(math.Inf(-1))
	}
	stride := max(1, n/trainSample)
	count := 0
	for i := 0; i < n; i += stride {
		for d, v := range row(i) {
			lo[d] = min(lo[d], v)
			hi[d] = max(hi[d], v)
		}
		count++
	}
	for d := range lo {
		if math.IsInf(float64(lo[d]), 0) || math.IsInf(float64(hi[d]), 0) ||
			math.IsNaN(float64(lo[d])) || math.IsNaN(float64(hi[d])) {
			return nil, fmt.Errorf("hnsw: Train: dimension %d has no finite range", d)
		}
	}
	// Second pass: per-dimension histograms over [lo, hi], then the
	// clipped range from their tails.
	hist := make([]uint32, dim*histBins)
	for i := 0; i < n; i += stride {
		for d, v := range row(i) {
			hist[d*histBins+bin(v, lo[d], hi[d])]++
		}
	}
	cut := uint32(clipFraction * float64(count))
	var span float32
	for d := range lo {
		h := hist[d*histBins : (d+1)*histBins]
		w := (hi[d] - lo[d]) / histBins
		a, sum := 0, uint32(0)
		for ; a < histBins-1 && sum+h[a] <= cut; a++ {
			sum += h[a]
		}
		b, sum := histBins-1, uint32(0)
		for ; b > a && sum+h[b] <= cut; b-- {
			sum += h[b]
		}
		lo[d], hi[d] = lo[d]+float32(a)*w, lo[d]+float32(b+1)*w
		span = max(span, hi[d]-lo[d])
	}
	step := span / 255
	if !(step > 0) || math.IsInf(float64(step), 0) {
		step = 1
	}
	return &quantizer{lo: lo, step: step, inv: 1 / step}, nil
}

// bin returns v's histogram bin in [lo, hi].
func bin(v, lo, hi float32) int {
	if hi <= lo {
		return 0
	}
	b := int(float64(v-lo) / float64(hi-lo) * histBins)
	return min(max(b, 0), histBins-1)
}

func newQuantizerFrom(lo []float32, step float32) (*quantizer, error) {
	if !(step > 0) || math.IsInf(float64(step), 0) {
		return nil, fmt.Errorf("quantizer step %v", step)
	}
	for _, v := range lo {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, fmt.Errorf("quantizer offset %v", v)
		}
	}
	return &quantizer{lo: lo, step: step, inv: 1 / step}, nil
}

// codeStride is the bytes per code row: the dimension rounded up to a
// cache line, so rows are line-aligned and the kernels need no tail.
func codeStride(dim int) int { return (dim + 63) &^ 63 }

// encode writes x's code into dst (len(dst) >= len(x); the rest of dst is
// left as it is — zero in a fresh row).
func (z *quantizer) encode(x []float32, dst []uint8) {
	dst = dst[:len(x)]
	for i, v := range x {
		c := math.Round(float64((v - z.lo[i]) * z.inv))
		dst[i] = uint8(min(max(c, 0), 255))
	}
}

// query holds a query prepared for one search: the float vector, and for
// Int8 its quantized forms and the affine map from integer kernel results
// to distances (dist = add + mul*int).
type query struct {
	f        []float32
	q16      []int16 // L2: (q-lo)/step rounded, clamped to [-255, 510], zero-padded to the code stride
	q8       []int8  // InnerProduct: q/t rounded, t = max|q|/127, zero-padded
	add, mul float32
}

// prepare fills qr for q. The caller holds grow for reading (x.quant is
// set before any insert and never changes afterwards).
func (x *Index) prepare(qr *query, q []float32) {
	qr.f = q
	z := x.quant
	if z == nil {
		return
	}
	n := x.codeStride
	if x.cfg.Metric == flat.L2 {
		if cap(qr.q16) < n {
			qr.q16 = make([]int16, n)
		}
		qr.q16 = qr.q16[:n]
		for i, v := range q {
			c := math.Round(float64((v - z.lo[i]) * z.inv))
			qr.q16[i] = int16(min(max(c, -255), 510))
		}
		clear(qr.q16[len(q):])
		qr.add, qr.mul = 0, z.step*z.step
		return
	}
	if cap(qr.q8) < n {
		qr.q8 = make([]int8, n)
	}
	qr.q8 = qr.q8[:n]
	var amax, qlo float32
	for i, v := range q {
		amax = max(amax, float32(math.Abs(float64(v))))
		qlo += v * z.lo[i]
	}
	t := amax / 127
	inv := float32(0)
	if t > 0 {
		inv = 1 / t
	}
	for i, v := range q {
		qr.q8[i] = int8(math.Round(float64(v * inv)))
	}
	clear(qr.q8[len(q):])
	// dot(q, lo + step*c) = qlo + step * sum(q*c) ≈ qlo + step*t * sum(q8*c)
	qr.add, qr.mul = -qlo, -z.step*t
}
