package binary

import (
	"math"
	"math/bits"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
)

// scoreBlock is how many Hamming distances a symmetric scan computes per kernel call.
const scoreBlock = 256

// Scorer scores one query at a time against the Codes it came from; it implements
// quant.Scorer. It belongs to one goroutine at a time.
//
// With c the centre, s_i the mean |x_i - c_i| of the training sample, b_i = ±1 the code's
// bits, H the Hamming distance between the codes of q and x and d the dimension:
//
//   - inner product, asymmetric: -(<q, c> + sum_i (q_i-c_i)·s_i·b_i), which estimates
//     <q-c, x-c> and takes <c, x-c> for its mean, 0: weighting by q_i instead estimates
//     <c, x-c> from the bits too, much more noisily when the data has a common offset
//     (TestRecall's offset data: recall@10 0.81 against 0.89);
//   - inner product, symmetric: -(<q, c> + ‖q-c‖·r·cos(π·H/d)), r the mean ‖x-c‖
//     (the angle estimate of sign random projections);
//   - L2, asymmetric: ‖q-c‖² + α²·‖s‖² - 2·α·sum_i (q_i-c_i)·s_i·b_i, the squared distance
//     to the reconstruction c + α·(s⊙b), α the slot's least-squares scale;
//   - L2, symmetric: ‖q-c‖² + ‖x-c‖² - 2·‖q-c‖·‖x-c‖·cos(π·H/d).
//
// The asymmetric sums cost one lookup per code byte in 256-entry tables built by Reset.
type Scorer struct {
	c    *Codes
	base float32 // inner product: <q, c>
	qq   float32 // L2: ‖q-c‖²

	lut []float32 // asymmetric: 8·words tables of 256 entries, one per code byte

	qcode []uint64  // symmetric: the query's code
	sim   []float32 // symmetric: estimate of <q, x> by Hamming distance 0..dim
	hd    []int32   // symmetric: Hamming distance scratch
}

var _ quant.Scorer = (*Scorer)(nil)

// Reset prepares the scorer for query q (len(q) == Dim()).
func (s *Scorer) Reset(q []float32) {
	qz := s.c.q
	if len(q) != qz.dim {
		panic("BUG: binary: query of the wrong dimension")
	}
	var base, qq float64
	for i, x := range q {
		base += float64(x) * float64(qz.center[i])
		r := float64(x - qz.center[i])
		qq += r * r
	}
	s.base, s.qq = float32(base), float32(qq)
	if qz.metric == flat.L2 {
		s.base = 0
	}
	if qz.query == Symmetric {
		encode(q, qz.center, s.qcode)
		amp := math.Sqrt(qq)
		if qz.metric == flat.InnerProduct {
			amp *= float64(qz.radius) // L2 multiplies by each slot's own ‖x-c‖
		}
		for h := range s.sim {
			s.sim[h] = float32(float64(s.base) + amp*math.Cos(math.Pi*float64(h)/float64(qz.dim)))
		}
		return
	}
	buildLUT(s.lut, q, qz.center, qz.scale)
}

// buildLUT fills one 256-entry table per code byte: entry v of the table of byte j is
// sum_k w_(8j+k)·(+1 if bit k of v is set else -1), with w_i = (q_i - center_i)·scale_i (0 past
// the dimension).
func buildLUT(lut, q, center, scale []float32) {
	var w [8]float32
	for j := range len(lut) / 256 {
		t := (*[256]float32)(lut[j*256 : (j+1)*256])
		var sum float32
		for k := range w {
			w[k] = 0
			if i := 8*j + k; i < len(q) {
				w[k] = (q[i] - center[i]) * scale[i]
			}
			sum += w[k]
		}
		t[0] = -sum
		for v := 1; v < 256; v++ {
			low := v & -v
			t[v] = t[v^low] + 2*w[bits.TrailingZeros(uint(low))]
		}
	}
}

// lutSum returns the sum over the code's bytes of their table entries, added in the order
// of lutSum2 so that Score and ScoreRange agree to the bit.
func lutSum(lut []float32, code []uint64) float32 {
	var s0, s1 float32
	for wi, w := range code {
		t := (*[2048]float32)(lut[wi*2048 : wi*2048+2048])
		s0 += t[w&0xff] + t[256+(w>>8)&0xff] + t[512+(w>>16)&0xff] + t[768+(w>>24)&0xff]
		s1 += t[1024+(w>>32)&0xff] + t[1280+(w>>40)&0xff] + t[1536+(w>>48)&0xff] + t[1792+(w>>56)]
	}
	return s0 + s1
}

// lutSum2 is lutSum of two codes of equal length: interleaving two independent codes
// scores a sequential scan about 12 % faster than one at a time (BenchmarkScoreRange,
// 768-d: 25.5 against 29 ns per code on the 2-core AVX-512 VM).
func lutSum2(lut []float32, a, b []uint64) (float32, float32) {
	var s0, s1, s2, s3 float32
	b = b[:len(a)]
	for wi, w := range a {
		t := (*[2048]float32)(lut[wi*2048 : wi*2048+2048])
		v := b[wi]
		s0 += t[w&0xff] + t[256+(w>>8)&0xff] + t[512+(w>>16)&0xff] + t[768+(w>>24)&0xff]
		s1 += t[1024+(w>>32)&0xff] + t[1280+(w>>40)&0xff] + t[1536+(w>>48)&0xff] + t[1792+(w>>56)]
		s2 += t[v&0xff] + t[256+(v>>8)&0xff] + t[512+(v>>16)&0xff] + t[768+(v>>24)&0xff]
		s3 += t[1024+(v>>32)&0xff] + t[1280+(v>>40)&0xff] + t[1536+(v>>48)&0xff] + t[1792+(v>>56)]
	}
	return s0 + s1, s2 + s3
}

// asymDist turns the table sum of slot into a distance.
func (s *Scorer) asymDist(sum float32, slot int) float32 {
	if a := s.c.aux; a != nil {
		alpha := a[2*slot+1]
		return s.qq + alpha*(alpha*s.c.q.ss-2*sum)
	}
	return -(s.base + sum)
}

// symDist turns the Hamming distance h of slot into a distance.
func (s *Scorer) symDist(h int32, slot int) float32 {
	if a := s.c.aux; a != nil {
		r2 := a[2*slot]
		return s.qq + r2 - 2*sqrt32(r2)*s.sim[h]
	}
	return -s.sim[h]
}

func sqrt32(x float32) float32 { return float32(math.Sqrt(float64(x))) }

// Score writes the approximate distance from the query to the code of each of ids into
// out[:len(ids)].
func (s *Scorer) Score(ids []uint32, out []float32) {
	out = out[:len(ids)]
	c := s.c
	if c.q.query == Symmetric {
		for lo := 0; lo < len(ids); lo += scoreBlock {
			part := ids[lo:min(lo+scoreBlock, len(ids))]
			hd := s.hd[:len(part)]
			distance.HammingGather(s.qcode, c.data, c.words, part, hd)
			for i, h := range hd {
				out[lo+i] = s.symDist(h, int(part[i]))
			}
		}
		return
	}
	for i, id := range ids {
		out[i] = s.asymDist(lutSum(s.lut, c.Code(id)), int(id))
	}
}

// ScoreRange writes the approximate distances to the codes of slots first, first+1, ...,
// first+len(out)-1 into out.
func (s *Scorer) ScoreRange(first int, out []float32) {
	c := s.c
	if first < 0 || first+len(out) > c.n {
		panic("BUG: binary: ScoreRange past the codes")
	}
	codes := c.data[first*c.words : (first+len(out))*c.words]
	if c.q.query == Symmetric {
		for lo := 0; lo < len(out); lo += scoreBlock {
			hi := min(lo+scoreBlock, len(out))
			hd := s.hd[:hi-lo]
			distance.HammingBatch(s.qcode, codes[lo*c.words:hi*c.words], hd)
			for i, h := range hd {
				out[lo+i] = s.symDist(h, first+lo+i)
			}
		}
		return
	}
	w := c.words
	i := 0
	for ; i+1 < len(out); i += 2 {
		a, b := lutSum2(s.lut, codes[i*w:(i+1)*w], codes[(i+1)*w:(i+2)*w])
		out[i], out[i+1] = s.asymDist(a, first+i), s.asymDist(b, first+i+1)
	}
	if i < len(out) {
		out[i] = s.asymDist(lutSum(s.lut, codes[i*w:(i+1)*w]), first+i)
	}
}
