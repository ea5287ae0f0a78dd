package binary

import (
	"fmt"
	"math"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/kmeans"
)

// Limits and defaults of the Asymmetric (residual) codes.
const (
	// MaxCentroids is the largest number of centroids: a slot's centroid is a uint16.
	MaxCentroids = 1 << 16
	// MaxAutoCentroids caps AutoCentroids, which bounds the k-means cost of large sets.
	MaxAutoCentroids = 4096
	// SamplePerCentroid is the default k-means sample per centroid.
	SamplePerCentroid = 50
	// MaxKMeansSample caps the default k-means sample.
	MaxKMeansSample = 1 << 17
	// kmeansIterations is the number of Lloyd iterations: on clustered-100k-768-unit 5, 10
	// and 20 give the same recall (k-means converges in a few).
	kmeansIterations = 10
	// kmeansInitPerCentroid is the k-means++ seeding sample per centroid: seeding makes k
	// passes over it, and 4 per centroid instead of kmeans' default 16 cut the training time
	// of clustered-100k-768-unit from about 6 s to 3.5 s at the same recall.
	kmeansInitPerCentroid = 4
	// minIPO is the floor of <x̄, R·r/‖r‖>, the cosine between a residual and its code, so
	// that a degenerate residual cannot blow its scale up (it is about 0.8 for any residual
	// of a few dimensions or more).
	minIPO = 1e-3
	// extraBits is the size of a code's extras, the top 48 bits of its last word: the centroid
	// id (uint16) and the two float16 of the estimate (e, then w).
	extraBits = 48
)

// residualShape returns the number of sign bits B of an Asymmetric code of dimension dim and
// the uint64 words of the whole code, extras included. The code is 32 times smaller than
// the float32 vector: 64·⌊dim/64⌋ bits (dim bits when dim is a multiple of 64: 96 bytes at
// 768-d), of which the last 48 are the extras and the first B = 64·⌊dim/64⌋ − 48 the signs
// of a random projection of the residual to B dimensions (720 at 768-d, 94 %). Where that
// would keep fewer than 7/8 of the dimensions (below 384: at 256-d, 208 signs cost
// TestQuantizedSegments' recall 0.97 → 0.89) the code keeps them all and grows: B = dim and
// ⌈(dim+48)/64⌉ words (40 bytes at 256-d).
func residualShape(dim int) (bits, words int) {
	w := dim / 64
	if b := 64*w - extraBits; b > 0 && 8*b >= 7*dim {
		return b, w
	}
	return dim, (dim + extraBits + 63) / 64
}

// AutoCentroids returns the number of centroids Train chooses for n training vectors:
// 4·√n, at least 1 and at most n and MaxAutoCentroids. On clustered-100k-768-unit (1,000
// clusters) 1,000 centroids gave recall@10 0.86-0.88 (k-means merges some clusters and splits
// others), 1,265 (4·√n) 0.91-0.92 and 1,500 0.92 in the experiment that chose the design
// (numpy, Faiss k-means); this package measures 0.93-0.94 with 1,265.
func AutoCentroids(n int) int {
	k := int(math.Round(4 * math.Sqrt(float64(n))))
	return max(1, min(k, n, MaxAutoCentroids))
}

// trainResidual learns the Asymmetric quantizer: k-means centroids (L2, whatever the metric:
// they are there to make the residuals small) on a sample, and a random rotation.
func (q *Quantizer) trainResidual(vecs flat.Vectors, opt Options) error {
	n := vecs.Slots()
	k := opt.Centroids
	if k == 0 {
		k = AutoCentroids(n)
	}
	k = min(k, n)
	sample := opt.SampleSize
	if sample <= 0 {
		sample = min(SamplePerCentroid*k, MaxKMeansSample)
	}
	cents, err := kmeans.Train(vecs.Data, vecs.Dim, k, kmeans.Options{Seed: opt.Seed, Iterations: kmeansIterations,
		SampleSize: sample, Metric: flat.L2, Workers: opt.Workers, InitSize: kmeansInitPerCentroid * k})
	if err != nil {
		return err
	}
	q.cents, q.k = cents, k
	q.setShape()
	q.rot = randomRotation(q.dim, q.bits, opt.Seed)
	return q.validateResidual()
}

// setShape sets the derived shape of an Asymmetric quantizer of dimension q.dim: the sign
// bits, the projection's blocks and its kept rows per block.
func (q *Quantizer) setShape() {
	q.bits, _ = residualShape(q.dim)
	q.blk = blocks(q.dim)
	q.rows = keptRows(q.dim, q.bits)
}

// validateResidual checks the rotation and centroids are finite.
func (q *Quantizer) validateResidual() error {
	for i, x := range q.rot {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("rotation float %d is %v", i, x)
		}
	}
	for i, x := range q.cents {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return fmt.Errorf("centroid %d float %d is %v", i/q.dim, i%q.dim, x)
		}
	}
	return nil
}

// Centroid returns centroid i (shared, not a copy).
func (q *Quantizer) Centroid(i int) []float32 {
	return q.cents[i*q.dim : (i+1)*q.dim : (i+1)*q.dim]
}

// rotatedCentroids returns P·c of every centroid c, back to back (q.bits floats each).
func (q *Quantizer) rotatedCentroids(workers int) []float32 {
	b := q.bits
	rc := make([]float32, q.k*b)
	parallel(q.k, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rotate(q.rot, q.blk, q.rows, q.Centroid(i), rc[i*b:(i+1)*b])
		}
	})
	return rc
}

// encodeResidual writes the signs and centroid ids of slots lo..hi-1 of vecs into c and the
// two floats of each slot's estimate (see Scorer) into ew[2s], ew[2s+1], in float32 (finish
// turns them into float16 once the scales are known): with P the projection to B dimensions,
// r = x - c_k, y = P·r, x̄ = sign(y)/√B, A = ‖r‖²/(‖y‖·<x̄, y/‖y‖>) = ‖r‖²·√B/‖y‖₁ and
// B_k = A·<P·c_k, x̄>,
//
//   - L2: e = ‖r‖² + 2B_k and w = 2A;
//   - inner product: e = B_k - <c_k, r> and w = A.
func (q *Quantizer) encodeResidual(vecs flat.Vectors, c *Codes, rc, ew []float32, lo, hi int) {
	d, nb := q.dim, q.bits
	ids := make([]int32, hi-lo)
	kmeans.NewAssigner(q.cents, d, flat.L2).Assign(vecs.Data[lo*d:hi*d], ids, nil)
	const batch = 32 // residuals rotated together (rotateBatch)
	rs, ys := make([]float32, batch*d), make([]float32, batch*nb)
	for b0 := lo; b0 < hi; b0 += batch {
		b1 := min(b0+batch, hi)
		for s := b0; s < b1; s++ {
			x, cen := vecs.Row(uint32(s)), q.Centroid(int(ids[s-lo]))
			r := rs[(s-b0)*d : (s-b0+1)*d]
			for i, v := range x {
				r[i] = v - cen[i]
			}
		}
		rotateBatch(q.rot, q.blk, q.rows, d, nb, rs[:(b1-b0)*d], ys[:(b1-b0)*nb])
		for s := b0; s < b1; s++ {
			k := int(ids[s-lo])
			q.finishResidual(c, ew, s, k, rs[(s-b0)*d:(s-b0+1)*d], ys[(s-b0)*nb:(s-b0+1)*nb], rc[k*nb:(k+1)*nb])
		}
	}
}

// finishResidual writes slot s's signs and centroid id from its centroid k, residual r,
// projected residual y = P·r and projected centroid rck = P·c_k, and its two floats into ew.
//
// The estimate of <q', r> (q' = q - c_k) is A·<P·q', x̄>. Within the B dimensions
// ‖y‖·<P·q', x̄>/<x̄, ŷ> estimates <P·q', y> without bias (RaBitQ), and for a random
// projection E[<P·q', P·r> | ‖P·r‖] = <q', r>·‖P·r‖²/‖r‖², so A = ‖r‖²/(‖y‖·<x̄, ŷ>) is
// unbiased given the residual's own projected norm; with B = dim it is RaBitQ's ‖r‖/<x̄, r̂>.
// Scaling by the expectation d/B of ‖r‖²/‖P·r‖² instead (A = (d/B)·‖y‖/<x̄, ŷ>) measured the
// same recall on clustered-100k-768-unit and FMEXPECT on fashion-mnist (doc.go).
func (q *Quantizer) finishResidual(c *Codes, ew []float32, s, k int, r, y, rck []float32) {
	cen := q.Centroid(k)
	var rr, cr float64
	for i, v := range r {
		rr += float64(v) * float64(v)
		cr += float64(cen[i]) * float64(v)
	}
	code := c.Code(uint32(s))
	clear(code)
	var sa, bc, yy float64 // ‖y‖₁ = √B·<x̄, y>, √B·<P·c_k, x̄> and ‖y‖²
	for i, v := range y {
		yy += float64(v) * float64(v)
		if v >= 0 {
			code[i/64] |= 1 << uint(i%64)
			sa += float64(v)
			bc += float64(rck[i])
		} else {
			sa -= float64(v)
			bc -= float64(rck[i])
		}
	}
	code[len(code)-1] |= uint64(k) << (64 - extraBits)
	sb := math.Sqrt(float64(q.bits))
	var a float64
	if yn := math.Sqrt(yy); yn > 0 {
		a = rr / (yn * max(sa/(sb*yn), minIPO))
	}
	b := a * bc / sb
	if q.metric == flat.L2 {
		ew[2*s], ew[2*s+1] = finite32(rr+2*b), finite32(2*a)
	} else {
		ew[2*s], ew[2*s+1] = finite32(b-cr), finite32(a)
	}
}

// finite32 converts a correction term to float32, saturating at ±MaxFloat32 (a finite vector
// of huge values can overflow ‖r‖²) and mapping NaN to 0, so that every stored term, and the
// segment's float16 scale chosen from them, is finite: Load rejects non-finite terms.
func finite32(x float64) float32 {
	switch {
	case x != x:
		return 0
	case x > math.MaxFloat32:
		return math.MaxFloat32
	case x < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return float32(x)
}

// halfScale returns the power of two that divides the values of max absolute value m before
// they are rounded to float16: m/scale < 2¹⁴, far from the float16 maximum (65,504), and
// values down to m·2⁻²⁸ stay normal (float16 keeps 11 significant bits whatever the scale).
func halfScale(m float64) float32 {
	if !(m > 0) || math.IsInf(m, 0) {
		return 1
	}
	_, exp := math.Frexp(m) // m < 2^exp
	return float32(math.Ldexp(1, min(max(exp-14, -126), 113)))
}

// storeHalves writes each slot's e/se and w/sw as float16 into the top 32 bits of its last
// word, for slots lo..hi-1.
func (c *Codes) storeHalves(ew []float32, lo, hi int) {
	ie, iw := 1/c.se, 1/c.sw
	for s := lo; s < hi; s++ {
		last := &c.data[(s+1)*c.words-1]
		e := uint64(distance.FloatToHalf(ew[2*s] * ie))
		w := uint64(distance.FloatToHalf(ew[2*s+1] * iw))
		*last = *last&(1<<32-1) | e<<32 | w<<48
	}
}
