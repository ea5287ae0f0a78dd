package binary

import (
	"fmt"
	"math"

	"github.com/needlevdb/needle/internal/index/flat"
)

// trainSigns learns the Symmetric statistics: the centre (the sample's per-dimension mean,
// or zeros) and the mean radius ‖x - center‖ of the sample.
func (q *Quantizer) trainSigns(vecs flat.Vectors, opt Options) error {
	size := opt.SampleSize
	if size <= 0 {
		size = DefaultSampleSize
	}
	sample := sampleSlots(vecs.Slots(), size, opt.Seed)
	d := vecs.Dim
	q.cent = opt.Centering
	q.center = make([]float32, d)
	if opt.Centering == CenterMean {
		acc := make([]float64, d)
		for _, s := range sample {
			for i, x := range vecs.Row(s) {
				acc[i] += float64(x)
			}
		}
		for i := range acc {
			q.center[i] = float32(acc[i] / float64(len(sample)))
		}
	}
	var radius float64
	for _, s := range sample {
		var ss float64
		for i, x := range vecs.Row(s) {
			r := float64(x - q.center[i])
			ss += r * r
		}
		radius += math.Sqrt(ss)
	}
	q.radius = float32(radius / float64(len(sample)))
	return q.validateSigns()
}

// validateSigns checks the Symmetric statistics are finite (the training data may hold NaN
// or Inf).
func (q *Quantizer) validateSigns() error {
	for i, c := range q.center {
		if math.IsNaN(float64(c)) || math.IsInf(float64(c), 0) {
			return fmt.Errorf("dimension %d: centre %v not finite", i, c)
		}
	}
	if r := float64(q.radius); math.IsNaN(r) || math.IsInf(r, 0) || r < 0 {
		return fmt.Errorf("radius %v not finite", r)
	}
	return nil
}

// Encode writes the Symmetric code of v (len(v) == Dim()) into dst (len(dst) == Words()): bit
// i%64 of word i/64 is set iff v[i] is above the centre of dimension i. Bits past Dim are
// zero. It panics on Asymmetric quantizers, whose codes depend on the centroid (EncodeAll).
func (q *Quantizer) Encode(v []float32, dst []uint64) {
	if len(v) != q.dim || len(dst) != words(q.dim) {
		panic("BUG: binary: Encode with a vector or code of the wrong length")
	}
	if q.query != Symmetric {
		panic("BUG: binary: Encode of a single vector with an asymmetric quantizer")
	}
	encode(v, q.center, dst)
}

func encode(v, center []float32, dst []uint64) {
	center = center[:len(v)]
	for w := range dst {
		lo := w * 64
		hi := min(lo+64, len(v))
		var word uint64
		for i, x := range v[lo:hi] {
			if x > center[lo+i] {
				word |= 1 << uint(i)
			}
		}
		dst[w] = word
	}
}

// encodeSigns writes the Symmetric codes of slots lo..hi-1 of vecs into c, and under L2 each
// slot's ‖x - center‖².
func (q *Quantizer) encodeSigns(vecs flat.Vectors, c *Codes, lo, hi int) {
	for s := lo; s < hi; s++ {
		v := vecs.Row(uint32(s))
		encode(v, q.center, c.Code(uint32(s)))
		if c.aux != nil {
			var rr float64
			for i, x := range v {
				r := float64(x - q.center[i])
				rr += r * r
			}
			c.aux[s] = float32(rr)
		}
	}
}
