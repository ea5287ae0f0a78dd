package hnsw

import (
	"fmt"
	"math"
	"slices"

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

// newQuantizer fits the per-dimension ranges of the vectors rows(i) for
// i < n (a strided sample of at most trainSample of them). The ranges are
// the full min..max: clipping the 0.05 % tails made the step a quarter
// finer but the clipped coordinates' large errors cost recall (inner
// product on clustered-100k-768-unit, ef 10: 0.830 against 0.860 without)
// and break the bounded-error model the rescoring relies on. Vectors
// inserted after training that fall outside a range are clamped.
//
// quantile, when in (0, 1), clips each dimension's range to that central
// fraction of its values instead (Qdrant's scalar quantile), estimated on
// at most quantileSample vectors.
func newQuantizer(dim, n int, row func(i int) []float32, quantile float64) (*quantizer, error) {
	if n == 0 {
		return nil, fmt.Errorf("hnsw: Train needs at least one vector")
	}
	lo := make([]float32, dim)
	hi := make([]float32, dim)
	integral := false // every sampled coordinate is an integer
	if quantile > 0 && quantile < 1 {
		quantileRanges(dim, n, row, quantile, lo, hi)
	} else {
		integral = true
		for d := range lo {
			lo[d], hi[d] = float32(math.Inf(1)), float32(math.Inf(-1))
		}
		stride := max(1, n/trainSample)
		for i := 0; i < n; i += stride {
			for d, v := range row(i) {
				lo[d] = min(lo[d], v)
				hi[d] = max(hi[d], v)
				if integral && float32(math.Trunc(float64(v))) != v {
					integral = false
				}
			}
		}
	}
	var span float32
	for d := range lo {
		if math.IsInf(float64(lo[d]), 0) || math.IsInf(float64(hi[d]), 0) ||
			math.IsNaN(float64(lo[d])) || math.IsNaN(float64(hi[d])) {
			return nil, fmt.Errorf("hnsw: Train: dimension %d has no finite range", d)
		}
		span = max(span, hi[d]-lo[d])
	}
	step := span / 255
	if !(step > 0) || math.IsInf(float64(step), 0) {
		step = 1
	} else if integral && span <= 255 {
		// Integer data whose every range fits 256 levels (pixels, byte
		// embeddings): a power-of-two step 2^-j, the finest with
		// span·2^j ≤ 255, makes the codes exact (lossless), so L2 searches
		// with on-grid queries need no rescoring, and keeps as many levels
		// as the range allows for off-grid queries (0..3 data: step 1/64).
		step = 1
		for j := 0; j < 24 && 2*span/step <= 255; j++ {
			step /= 2
		}
	}
	return &quantizer{lo: lo, step: step, inv: 1 / step}, nil
}

// quantileSample is the most vectors quantileRanges sorts per dimension.
const quantileSample = 10_000

// quantileRanges sets lo[d], hi[d] to the (1-q)/2 and (1+q)/2 quantiles of
// dimension d over a strided sample of the vectors.
func quantileRanges(dim, n int, row func(i int) []float32, q float64, lo, hi []float32) {
	stride := max(1, n/quantileSample)
	m := (n + stride - 1) / stride
	col := make([]float32, 0, m)
	for d := 0; d < dim; d++ {
		col = col[:0]
		for i := 0; i < n; i += stride {
			col = append(col, row(i)[d])
		}
		slices.Sort(col)
		tail := int(float64(len(col)) * (1 - q) / 2)
		lo[d], hi[d] = col[tail], col[len(col)-1-tail]
	}
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
// left as it is — zero in a fresh row). It reports whether the code is
// exact: lo + step*c reproduces every coordinate of x.
func (z *quantizer) encode(x []float32, dst []uint8) (exact, clamped bool) {
	dst = dst[:len(x)]
	exact = true
	for i, v := range x {
		c := math.Round(float64((v - z.lo[i]) * z.inv))
		if c < 0 || c > 255 {
			clamped = true
		}
		b := uint8(min(max(c, 0), 255))
		dst[i] = b
		if z.lo[i]+z.step*float32(b) != v {
			exact = false
		}
	}
	return exact, clamped
}

// query holds a query prepared for one search: the float vector, and for
// Int8 its quantized form and the affine map from integer kernel results
// to distances (dist = add + mul*int).
type query struct {
	f []float32
	// q16 is, for L2, (q-lo)/step rounded and clamped to [-255, 510]; for
	// InnerProduct, q/t rounded (see prepare). Zero-padded to the code
	// stride.
	q16      []int16
	add, mul float32
	norm     float32 // |q| (InnerProduct)
	// exact (L2): the quantized query reproduces q exactly, so with lossless
	// codes the integer distances are the float distances.
	exact bool
}

// ipLevels is the int16 resolution of an inner-product query: |q16| ≤
// 8191. An int8 query (127 levels, VPDPBUSD) ranked candidates too
// coarsely on clustered-100k-768-unit: rescoring the best 3k capped recall
// at 0.9995, because true neighbours fell outside them.
const ipLevels = 8191

// ipSumBound keeps the sum of |q16| so low that sum(q16*c), c ≤ 255,
// cannot overflow int32 (DotU8I16 is exact below 8,400,000).
const ipSumBound = 8_000_000

// prepare fills qr for q. The caller holds grow for reading (x.quant is
// set before any insert and never changes afterwards).
func (x *Index) prepare(qr *query, q []float32) {
	qr.f = q
	z := x.quant
	if z == nil {
		return
	}
	n := x.codeStride
	if cap(qr.q16) < n {
		qr.q16 = make([]int16, n)
	}
	qr.q16 = qr.q16[:n]
	clear(qr.q16[len(q):])
	if x.cfg.Metric == flat.L2 {
		qr.exact = true
		for i, v := range q {
			c := math.Round(float64((v - z.lo[i]) * z.inv))
			c16 := int16(min(max(c, -255), 510))
			qr.q16[i] = c16
			if z.lo[i]+z.step*float32(c16) != v {
				qr.exact = false
			}
		}
		qr.add, qr.mul = 0, z.step*z.step
		return
	}
	qr.exact = false
	var amax, asum, qlo, sq float64
	for i, v := range q {
		a := math.Abs(float64(v))
		amax = max(amax, a)
		asum += a
		sq += a * a
		qlo += float64(v) * float64(z.lo[i])
	}
	qr.norm = float32(math.Sqrt(sq))
	t := max(amax/ipLevels, asum/float64(ipSumBound-len(q)))
	inv := 0.0
	if t > 0 {
		inv = 1 / t
	}
	for i, v := range q {
		qr.q16[i] = int16(math.Round(float64(v) * inv))
	}
	// dot(q, lo + step*c) = qlo + step * sum(q*c) ≈ qlo + step*t * sum(q16*c)
	qr.add, qr.mul = float32(-qlo), -z.step*float32(t)
}
