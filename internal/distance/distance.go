package distance

import "math"

// Dot returns the dot product of a and b. It is the similarity of the Dot
// metric, and of Cosine once both vectors are normalised (see Normalize).
// len(a) == len(b) is the caller's contract: the generic kernel panics on
// a mismatch, the assembly kernels read only the common prefix.
func Dot(a, b []float32) float32 { return dot(a, b) }

// L2Sq returns the squared Euclidean distance between a and b, the sum of
// (a[i]-b[i])². Take its square root for the Euclidean distance; for
// ranking the square is enough. Lengths as for Dot.
func L2Sq(a, b []float32) float32 { return l2Sq(a, b) }

// L1 returns the Manhattan distance between a and b, the sum of
// |a[i]-b[i]|. Lengths as for Dot.
func L1(a, b []float32) float32 { return l1(a, b) }

// DotBatch computes Dot(q, v) for each of the len(out) vectors v of
// len(q) floats stored back to back at the start of base:
// out[i] = Dot(q, base[i*len(q):(i+1)*len(q)]). Floats in base past the
// last of those vectors are ignored. It panics if base is too short.
func DotBatch(q, base, out []float32) {
	checkBatch(q, base, out)
	dotBatch(q, base, out)
}

// L2SqBatch is DotBatch for L2Sq.
func L2SqBatch(q, base, out []float32) {
	checkBatch(q, base, out)
	l2SqBatch(q, base, out)
}

// L1Batch is DotBatch for L1.
func L1Batch(q, base, out []float32) {
	checkBatch(q, base, out)
	l1Batch(q, base, out)
}

// DotBatch4 computes DotBatch for four queries of equal length in one pass
// over base, so base is read from memory once per four queries:
// outK[i] = Dot(qK, base[i*d:(i+1)*d]) with d = len(q0), for i <
// len(out0). out0..out3 must have the same length (normally
// len(base)/len(q0)). It panics if the queries differ in length, the
// outputs differ in length, or base is too short.
func DotBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	checkBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3)
	dotBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3)
}

// L2SqBatch4 is DotBatch4 for L2Sq.
func L2SqBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	checkBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3)
	l2SqBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3)
}

// Norm returns the Euclidean norm of a, sqrt(Dot(a, a)).
func Norm(a []float32) float32 {
	return float32(math.Sqrt(float64(dot(a, a))))
}

// Normalize scales a in place to unit Euclidean norm, so that Dot of two
// normalised vectors is their cosine similarity. A zero vector is left
// unchanged. Vectors holding NaN or ±Inf must be rejected before this.
func Normalize(a []float32) {
	n := Norm(a)
	if n == 0 {
		return
	}
	inv := 1 / n
	for i := range a {
		a[i] *= inv
	}
}

// Impl returns the name of the implementation chosen at start-up:
// "avx512", "avx2" or "generic".
func Impl() string { return implName() }

func checkBatch(q, base, out []float32) {
	if len(q) != 0 && len(out) > len(base)/len(q) {
		panic("BUG: distance: base holds fewer than len(out) vectors of len(q) floats")
	}
}

func checkBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	d, n := len(q0), len(out0)
	if len(q1) != d || len(q2) != d || len(q3) != d {
		panic("BUG: distance: Batch4 queries of different lengths")
	}
	if len(out1) != n || len(out2) != n || len(out3) != n {
		panic("BUG: distance: Batch4 outputs of different lengths")
	}
	checkBatch(q0, base, out0)
}
