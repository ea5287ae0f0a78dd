package binary

import (
	"fmt"
	"math"

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
)

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
	q.rot = randomRotation(q.dim, opt.Seed)
	q.blk = blocks(q.dim)
	return q.validateResidual()
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

// rotatedCentroids returns R·c of every centroid c, back to back.
func (q *Quantizer) rotatedCentroids(workers int) []float32 {
	d := q.dim
	rc := make([]float32, len(q.cents))
	parallel(q.k, workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			rotate(q.rot, q.blk, q.Centroid(i), rc[i*d:(i+1)*d])
		}
	})
	return rc
}

// encodeResidual writes the codes of slots lo..hi-1 of vecs into c: each slot's nearest
// centroid c_k, the signs of y = R·(x - c_k), and the two floats of its estimate (see Scorer):
// with x̄ = sign(y)/√d, A = ‖r‖/<x̄, y/‖r‖> and B = A·<R·c_k, x̄>,
//
//   - L2: e = ‖r‖² + 2B and w = 2A;
//   - inner product: e = B - <c_k, r> and w = A.
func (q *Quantizer) encodeResidual(vecs flat.Vectors, c *Codes, rc []float32, lo, hi int) {
	d := q.dim
	ids := make([]int32, hi-lo)
	kmeans.NewAssigner(q.cents, d, flat.L2).Assign(vecs.Data[lo*d:hi*d], ids, nil)
	const batch = 32 // residuals rotated together (rotateBatch)
	rs, ys := make([]float32, batch*d), make([]float32, batch*d)
	for b0 := lo; b0 < hi; b0 += batch {
		b1 := min(b0+batch, hi)
		for s := b0; s < b1; s++ {
			x, cen := vecs.Row(uint32(s)), q.Centroid(int(ids[s-lo]))
			r := rs[(s-b0)*d : (s-b0+1)*d]
			for i, v := range x {
				r[i] = v - cen[i]
			}
		}
		rotateBatch(q.rot, q.blk, d, rs[:(b1-b0)*d], ys[:(b1-b0)*d])
		for s := b0; s < b1; s++ {
			k := int(ids[s-lo])
			q.finishResidual(c, s, k, rs[(s-b0)*d:(s-b0+1)*d], ys[(s-b0)*d:(s-b0+1)*d], rc[k*d:(k+1)*d])
		}
	}
}

// finishResidual writes slot s's code and floats from its centroid k, residual r, rotated
// residual y = R·r and rotated centroid rck = R·c_k.
func (q *Quantizer) finishResidual(c *Codes, s, k int, r, y, rck []float32) {
	cen := q.Centroid(k)
	var rr, cr float64
	for i, v := range r {
		rr += float64(v) * float64(v)
		cr += float64(cen[i]) * float64(v)
	}
	code := c.Code(uint32(s))
	clear(code)
	var sa, bc float64 // Σ|y_i| = √d·<x̄, y>, and √d·<R·c_k, x̄>
	for i, v := range y {
		if v >= 0 {
			code[i/64] |= 1 << uint(i%64)
			sa += float64(v)
			bc += float64(rck[i])
		} else {
			sa -= float64(v)
			bc -= float64(rck[i])
		}
	}
	sd := math.Sqrt(float64(q.dim))
	var a float64
	if norm := math.Sqrt(rr); norm > 0 {
		a = norm / max(sa/(sd*norm), minIPO)
	}
	b := a * bc / sd
	c.cid[s] = uint16(k)
	if q.metric == flat.L2 {
		c.aux[2*s], c.aux[2*s+1] = float32(rr+2*b), float32(2*a)
	} else {
		c.aux[2*s], c.aux[2*s+1] = float32(b-cr), float32(a)
	}
}
