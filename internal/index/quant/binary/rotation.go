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

// keptRows returns how many rows of each block of blocks(dim) the projection to bits
// dimensions keeps (bits <= dim): every row when bits == dim; otherwise each block drops its
// share of the dim - bits dimensions, the first blocks one more, so that the kept rows are
// the same fraction of every block (about bits/dim) and the projection stays isotropic.
func keptRows(dim, bits int) []int {
	rows := blocks(dim)
	drop := dim - bits
	for i := range rows {
		rows[i] -= drop / len(rows)
		if i < drop%len(rows) {
			rows[i]--
		}
	}
	return rows
}

// rotationLen returns the number of floats of the projection of dimension dim to bits
// dimensions: the sum over the blocks of kept rows times block size.
func rotationLen(dim, bits int) int {
	n := 0
	for i, b := range blocks(dim) {
		n += keptRows(dim, bits)[i] * b
	}
	return n
}

// randomRotation returns the first rows of a random orthogonal block-diagonal matrix R for
// dimension dim, keptRows(dim, bits) of each block: a random orthogonal projection P to bits
// dimensions (P·Pᵀ = I). The blocks are back to back, each row-major (rows of the block's
// size); the rows are Gram-Schmidt orthonormalised Gaussian vectors (the first rows of the Q
// of a QR decomposition), computed in float64. It is deterministic for a seed.
func randomRotation(dim, bits int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 0x726f74617465)) // "rotate"
	out := make([]float32, 0, rotationLen(dim, bits))
	rowsOf := keptRows(dim, bits)
	for bi, b := range blocks(dim) {
		m := rowsOf[bi]
		rows := make([]float64, m*b)
		for i := 0; i < m; i++ {
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

// rotate writes P·x into out (len(x) == dim, len(out) == the sum of rows) for the projection
// rot whose block sizes are blk (blocks(dim)) and kept rows per block rows (keptRows).
func rotate(rot []float32, blk, rows []int, x, out []float32) {
	o, oo, r := 0, 0, 0
	for i, b := range blk {
		m := rows[i]
		distance.DotBatch(x[o:o+b], rot[r:r+m*b], out[oo:oo+m])
		o += b
		oo += m
		r += m * b
	}
}

// rotateTile is the number of rotation rows rotateBatch applies to a batch before the next
// rows: 64 rows of 768 floats are 192 KiB, which stay in L2 while every vector of the batch
// meets them.
const rotateTile = 64

// rotateBatch writes P·x into ys for each vector x of xs (vectors of dim floats back to back;
// ys holds bits floats per vector, bits the sum of rows). Applying a tile of rows to the whole
// batch, four vectors per pass, reads the projection from memory once per batch instead of
// once per vector: encoding 768-d vectors one at a time streams its 2 MiB from L3 each time
// and runs at about a third of the kernel's speed.
func rotateBatch(rot []float32, blk, rows []int, dim, bits int, xs, ys []float32) {
	n := len(xs) / dim
	o, oo, r := 0, 0, 0
	for bi, b := range blk {
		m := rows[bi]
		for t0 := 0; t0 < m; t0 += rotateTile {
			t1 := min(t0+rotateTile, m)
			tile := rot[r+t0*b : r+t1*b]
			v := 0
			for ; v+4 <= n; v += 4 {
				x := func(i int) []float32 { return xs[(v+i)*dim+o : (v+i)*dim+o+b] }
				y := func(i int) []float32 { return ys[(v+i)*bits+oo+t0 : (v+i)*bits+oo+t1] }
				distance.DotBatch4(x(0), x(1), x(2), x(3), tile, y(0), y(1), y(2), y(3))
			}
			for ; v < n; v++ {
				distance.DotBatch(xs[v*dim+o:v*dim+o+b], tile, ys[v*bits+oo+t0:v*bits+oo+t1])
			}
		}
		o += b
		oo += m
		r += m * b
	}
}
