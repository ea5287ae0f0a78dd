package binary

import (
	"math"
	"math/rand/v2"

	"github.com/needlevdb/needle/internal/distance"
)

// maxBlock is the largest block of the rotation. Up to this dimension the rotation is one
// full random orthogonal matrix; above it, a block-diagonal one of ⌈dim/maxBlock⌉ blocks of
// near-equal size, so that it stays small (a 3,072-d rotation is 3 blocks of 1,024², 12 MiB,
// not 36 MiB) and a query's rotation costs dim·block multiply-adds, not dim².
const maxBlock = 1024

// blocks returns the sizes of the rotation's diagonal blocks for dimension dim, in order:
// ⌈dim/maxBlock⌉ blocks, the first dim % count of them one larger than the rest.
func blocks(dim int) []int {
	nb := (dim + maxBlock - 1) / maxBlock
	out := make([]int, nb)
	for i := range out {
		out[i] = dim / nb
		if i < dim%nb {
			out[i]++
		}
	}
	return out
}

// rotationLen returns the number of floats of the rotation of dimension dim: the sum of the
// squares of its block sizes.
func rotationLen(dim int) int {
	n := 0
	for _, b := range blocks(dim) {
		n += b * b
	}
	return n
}

// randomRotation returns a random orthogonal block-diagonal matrix R for dimension dim, the
// blocks back to back, each row-major: the rows of each block are Gram-Schmidt orthonormalised
// Gaussian vectors (the Q of a QR decomposition), computed in float64. It is deterministic
// for a seed.
func randomRotation(dim int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x726f74617465)) // "rotate"
	out := make([]float32, 0, rotationLen(dim))
	for _, b := range blocks(dim) {
		rows := make([]float64, b*b)
		for i := 0; i < b; i++ {
			v := rows[i*b : (i+1)*b]
			for {
				for j := range v {
					v[j] = rng.NormFloat64()
				}
				// Modified Gram-Schmidt: in float64 orthogonal to about 1e-12 for Gaussian
				// rows, far below float32 rounding.
				for j := 0; j < i; j++ {
					p := rows[j*b : (j+1)*b]
					var d float64
					for t := range v {
						d += v[t] * p[t]
					}
					for t := range v {
						v[t] -= d * p[t]
					}
				}
				var ss float64
				for _, x := range v {
					ss += x * x
				}
				if ss > 1e-6 { // a Gaussian draw is never this close to the span; retry if it is
					inv := 1 / math.Sqrt(ss)
					for t := range v {
						v[t] *= inv
					}
					break
				}
			}
		}
		for _, x := range rows {
			out = append(out, float32(x))
		}
	}
	return out
}

// rotate writes R·x into out (len(x) == len(out) == dim) for the block-diagonal rotation rot
// of that dimension, whose block sizes are blk (blocks(dim)).
func rotate(rot []float32, blk []int, x, out []float32) {
	o, r := 0, 0
	for _, b := range blk {
		distance.DotBatch(x[o:o+b], rot[r:r+b*b], out[o:o+b])
		o += b
		r += b * b
	}
}

// rotateTile is the number of rotation rows rotateBatch applies to a batch before the next
// rows: 64 rows of 768 floats are 192 KiB, which stay in L2 while every vector of the batch
// meets them.
const rotateTile = 64

// rotateBatch writes R·x into ys for each vector x of xs (vectors of dim floats back to back,
// len(ys) == len(xs)). Applying a tile of rows to the whole batch, four vectors per pass,
// reads the rotation from memory once per batch instead of once per vector: encoding 768-d
// vectors one at a time streams its 2.25 MiB from L3 each time and runs at about a third of
// the kernel's speed.
func rotateBatch(rot []float32, blk []int, dim int, xs, ys []float32) {
	n := len(xs) / dim
	o, r := 0, 0
	for _, b := range blk {
		for t0 := 0; t0 < b; t0 += rotateTile {
			t1 := min(t0+rotateTile, b)
			rows := rot[r+t0*b : r+t1*b]
			v := 0
			for ; v+4 <= n; v += 4 {
				x := func(i int) []float32 { return xs[(v+i)*dim+o : (v+i)*dim+o+b] }
				y := func(i int) []float32 { return ys[(v+i)*dim+o+t0 : (v+i)*dim+o+t1] }
				distance.DotBatch4(x(0), x(1), x(2), x(3), rows, y(0), y(1), y(2), y(3))
			}
			for ; v < n; v++ {
				distance.DotBatch(xs[v*dim+o:v*dim+o+b], rows, ys[v*dim+o+t0:v*dim+o+t1])
			}
		}
		o += b
		r += b * b
	}
}
