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
// Asymmetric codes (RaBitQ): x = c_k + r with c_k the slot's centroid, P the random
// projection to B dimensions (the first rows of a random rotation; B = Bits()), x̄ =
// sign(P·r)/√B the code as a unit vector, A = ‖r‖²/(‖P·r‖·<x̄, P·r/‖P·r‖>) and B_k =
// A·<P·c_k, x̄>. The estimate of <q - c_k, r> is A·(<P·q, x̄> - <P·c_k, x̄>), unbiased for a
// random projection given ‖P·r‖, with an error that shrinks with ‖q - c_k‖·‖r‖ (and grows a
// little as B falls below the dimension). Each slot stores e and w as float16 in units of
// the codes' powers of two se and sw (encodeResidual), and with g_k the query's exact
// distance to the centroid, computed once per query and centroid touched (lazily, memoised):
//
//   - L2: ‖q - x‖² = ‖q - c_k‖² + ‖r‖² - 2<q - c_k, r> ≈ g_k + e - w·<P·q, x̄>, g_k = ‖q - c_k‖²,
//     e = ‖r‖² + 2B_k, w = 2A;
//   - inner product: -<q, x> = -<q, c_k> - <c_k, r> - <q - c_k, r> ≈ g_k + e - w·<P·q, x̄>,
//     g_k = -<q, c_k>, e = B_k - <c_k, r>, w = A.
//
// sw·<P·q, x̄> costs one lookup per byte of sign bits in 256-entry tables built by Reset from
// sw·P·q/√B, and the distance is g_k + se·e16 - w16·(that sum).
//
// Symmetric codes, with c the centre, H the Hamming distance between the codes of q and x
// and d the dimension:
//
//   - inner product: -(<q, c> + ‖q-c‖·r·cos(π·H/d)), r the mean ‖x-c‖ (the angle estimate of
//     sign random projections);
//   - L2: ‖q-c‖² + ‖x-c‖² - 2·‖q-c‖·‖x-c‖·cos(π·H/d).
type Scorer struct {
	c *Codes

	// Asymmetric.
	lut   []float32 // ⌈B/8⌉ tables of 256 entries, one per byte of sign bits
	qv    []float32 // the query
	u     []float32 // sw·P·q/√B
	memo  []float32 // g_k per centroid, valid where stamp[k] == gen
	stamp []uint32
	gen   uint32

	// Symmetric.
	qq    float32   // L2: ‖q-c‖²
	qcode []uint64  // the query's code
	sim   []float32 // estimate of <q, x> by Hamming distance 0..dim
	hd    []int32   // Hamming distance scratch
}

var _ quant.Scorer = (*Scorer)(nil)

// Reset prepares the scorer for query q (len(q) == Dim()).
func (s *Scorer) Reset(q []float32) {
	qz := s.c.q
	if len(q) != qz.dim {
		panic("BUG: binary: query of the wrong dimension")
	}
	if qz.query == Asymmetric {
		copy(s.qv, q)
		rotate(qz.rot, qz.blk, qz.rows, q, s.u)
		inv := s.c.sw * float32(1/math.Sqrt(float64(qz.bits)))
		for i := range s.u {
			s.u[i] *= inv
		}
		buildLUT(s.lut, s.u)
		s.gen++
		if s.gen == 0 { // wrapped: forget every stamp
			clear(s.stamp)
			s.gen = 1
		}
		return
	}
	var base, qq float64
	for i, x := range q {
		base += float64(x) * float64(qz.center[i])
		r := float64(x - qz.center[i])
		qq += r * r
	}
	s.qq = float32(qq)
	b32 := float32(base)
	if qz.metric == flat.L2 {
		b32 = 0
	}
	encode(q, qz.center, s.qcode)
	amp := math.Sqrt(qq)
	if qz.metric == flat.InnerProduct {
		amp *= float64(qz.radius) // L2 multiplies by each slot's own ‖x-c‖
	}
	for h := range s.sim {
		s.sim[h] = float32(float64(b32) + amp*math.Cos(math.Pi*float64(h)/float64(qz.dim)))
	}
}

// buildLUT fills one 256-entry table per code byte: entry v of the table of byte j is
// sum_k w_(8j+k)·(+1 if bit k of v is set else -1), 0 for dimensions past len(w).
func buildLUT(lut, w []float32) {
	var wb [8]float32
	for j := range len(lut) / 256 {
		t := (*[256]float32)(lut[j*256 : (j+1)*256])
		var sum float32
		for k := range wb {
			wb[k] = 0
			if i := 8*j + k; i < len(w) {
				wb[k] = w[i]
			}
			sum += wb[k]
		}
		t[0] = -sum
		for v := 1; v < 256; v++ {
			low := v & -v
			t[v] = t[v^low] + 2*wb[bits.TrailingZeros(uint(low))]
		}
	}
}

// lutSum returns the sum over the first bits/8 (rounded up) bytes of code of their table
// entries, added in the order of lutSum2 so that Score and ScoreRange agree to the bit. The
// bytes past them, the extras of an Asymmetric code, are not looked up.
func lutSum(lut []float32, code []uint64, bits int) float32 {
	var s0, s1 float32
	full := bits / 64
	for wi, w := range code[:full] {
		t := (*[2048]float32)(lut[wi*2048 : wi*2048+2048])
		s0 += t[w&0xff] + t[256+(w>>8)&0xff] + t[512+(w>>16)&0xff] + t[768+(w>>24)&0xff]
		s1 += t[1024+(w>>32)&0xff] + t[1280+(w>>40)&0xff] + t[1536+(w>>48)&0xff] + t[1792+(w>>56)]
	}
	if tail := (bits%64 + 7) / 8; tail > 0 {
		t, w := lut[full*2048:full*2048+tail*256], code[full]
		for j := range tail {
			s0 += t[j*256+int(w>>(8*j)&0xff)]
		}
	}
	return s0 + s1
}

// lutSum2 is lutSum of two codes of equal length: interleaving two independent codes
// scores a sequential scan about 12 % faster than one at a time (BenchmarkScoreRange,
// 768-d: 25.5 against 29 ns per code on the 2-core AVX-512 VM).
func lutSum2(lut []float32, a, b []uint64, bits int) (float32, float32) {
	var s0, s1, s2, s3 float32
	full := bits / 64
	a, b = a[:len(a):len(a)], b[:len(a):len(a)]
	for wi, w := range a[:full] {
		t := (*[2048]float32)(lut[wi*2048 : wi*2048+2048])
		v := b[wi]
		s0 += t[w&0xff] + t[256+(w>>8)&0xff] + t[512+(w>>16)&0xff] + t[768+(w>>24)&0xff]
		s1 += t[1024+(w>>32)&0xff] + t[1280+(w>>40)&0xff] + t[1536+(w>>48)&0xff] + t[1792+(w>>56)]
		s2 += t[v&0xff] + t[256+(v>>8)&0xff] + t[512+(v>>16)&0xff] + t[768+(v>>24)&0xff]
		s3 += t[1024+(v>>32)&0xff] + t[1280+(v>>40)&0xff] + t[1536+(v>>48)&0xff] + t[1792+(v>>56)]
	}
	if tail := (bits%64 + 7) / 8; tail > 0 {
		t, w, v := lut[full*2048:full*2048+tail*256], a[full], b[full]
		for j := range tail {
			s0 += t[j*256+int(w>>(8*j)&0xff)]
			s2 += t[j*256+int(v>>(8*j)&0xff)]
		}
	}
	return s0 + s1, s2 + s3
}

// centroidDist returns g_k, the query's exact distance to centroid k, computing it on the
// first call for k since Reset.
func (s *Scorer) centroidDist(k int) float32 {
	if s.stamp[k] == s.gen {
		return s.memo[k]
	}
	cen := s.c.q.Centroid(k)
	var g float32
	if s.c.q.metric == flat.L2 {
		g = distance.L2Sq(s.qv, cen)
	} else {
		g = -distance.Dot(s.qv, cen)
	}
	s.memo[k], s.stamp[k] = g, s.gen
	return g
}

// asymDist turns the table sum sw·<P·q, x̄> of slot into a distance.
func (s *Scorer) asymDist(sum float32, slot int) float32 {
	k, e, w := s.c.extras(slot)
	return s.centroidDist(k) + s.c.se*distance.HalfToFloat(e) - distance.HalfToFloat(w)*sum
}

// symDist turns the Hamming distance h of slot into a distance.
func (s *Scorer) symDist(h int32, slot int) float32 {
	if a := s.c.aux; a != nil {
		r2 := a[slot]
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
		out[i] = s.asymDist(lutSum(s.lut, c.Code(id), c.q.bits), int(id))
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
	w, nb := c.words, c.q.bits
	i := 0
	for ; i+1 < len(out); i += 2 {
		a, b := lutSum2(s.lut, codes[i*w:(i+1)*w], codes[(i+1)*w:(i+2)*w], nb)
		out[i], out[i+1] = s.asymDist(a, first+i), s.asymDist(b, first+i+1)
	}
	if i < len(out) {
		out[i] = s.asymDist(lutSum(s.lut, codes[i*w:(i+1)*w], nb), first+i)
	}
}
