package knngraph

import (
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/distance"
)

// tileBytes is the size of the base block kept in cache while the four-query kernel scores a
// block of queries against it (BenchmarkTile chose it; see BENCHMARKS.md, "knn-graph").
const tileBytes = 256 << 10

// blockRows chooses the rows per block for n vectors of dim floats in total over the
// modalities: a multiple of 4 (the kernel scores four queries per pass) whose base block fills
// tileBytes, but small enough that a small job still has 32 blocks to spread over the cores. It
// depends only on the input's shape, never on the thread count, so results do not either.
func blockRows(dim, n int) int {
	b := tileBytes / (4 * dim) / 4 * 4
	b = min(b, (n+31)/32+3) / 4 * 4
	return min(max(b, 16), 1024)
}

type kernel4 func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)

// exact is the state of one exact all-pairs job.
//
// Rows are cut into blocks of b rows. Step I scores block I against every block J >= I (the
// upper triangle of block pairs, so each pair of rows is scored once): the scores of a tile
// (I, J) go to the rows of J directly (shared heaps; within a step each J belongs to one
// worker) and to the rows of I through the worker's private heaps, which are merged into the
// shared heaps when the step ends. After step I the rows of block I have seen every column and
// are final. Steps run one after another; tiles within a step and the merge run on all workers.
type exact struct {
	n, k, b, nb int
	mods        []*modality
	kern        kernel4
	sign        float32 // -1 turns a similarity into a rank distance, +1 keeps a distance
	excludeSelf bool
	shared      *heaps
	workers     []*worker
}

type worker struct {
	priv *heaps         // rows of the current block I
	out  [4][]float32   // scores of four queries against one base block
	tmp  [4][]float32   // second modality onwards
	q    [4][][]float32 // per modality, the four query rows
}

func newExact(mods []*modality, metric Metric, k, block int, excludeSelf bool, limit float32, threads int) *exact {
	n := len(mods[0].data) / mods[0].dim
	e := &exact{n: n, k: k, b: block, nb: (n + block - 1) / block, mods: mods, excludeSelf: excludeSelf,
		kern: distance.DotBatch4, sign: -1}
	if metric == L2 {
		e.kern, e.sign = distance.L2SqBatch4, 1
	}
	e.shared = newHeaps(n, k, limit)
	for range threads {
		w := &worker{priv: newHeaps(block, k, limit)}
		for i := range 4 {
			w.out[i] = make([]float32, block)
			w.tmp[i] = make([]float32, block)
			w.q[i] = make([][]float32, len(mods))
		}
		e.workers = append(e.workers, w)
	}
	return e
}

// tilesUpTo returns how many tiles steps [0, i) hold: sum over s < i of (nb - s).
func (e *exact) tilesUpTo(i int) int64 {
	i64, nb := int64(i), int64(e.nb)
	return i64*nb - i64*(i64-1)/2
}

// step runs step i: tiles (i, j) for j >= i, then merges and sorts the rows of block i.
// done is called after each tile (from any worker).
func (e *exact) step(i int, done func()) {
	lo, hi := i*e.b, min(e.n, (i+1)*e.b)
	var next atomic.Int64
	next.Store(int64(i))
	e.parallel(func(w *worker) {
		w.priv.reset(hi-lo, e.shared.bound[lo:hi])
		for j := int(next.Add(1) - 1); j < e.nb; j = int(next.Add(1) - 1) {
			e.tile(w, i, j)
			done()
		}
	})
	var nextRow atomic.Int64
	nextRow.Store(int64(lo))
	e.parallel(func(*worker) {
		const chunk = 16
		for r0 := int(nextRow.Add(chunk) - chunk); r0 < hi; r0 = int(nextRow.Add(chunk) - chunk) {
			for r := r0; r < min(r0+chunk, hi); r++ {
				for _, w := range e.workers {
					for _, key := range w.priv.row(r - lo) {
						e.shared.pushKey(r, key)
					}
				}
				e.shared.finish(r)
			}
		}
	})
}

func (e *exact) parallel(fn func(w *worker)) {
	if len(e.workers) == 1 {
		fn(e.workers[0])
		return
	}
	var wg sync.WaitGroup
	for _, w := range e.workers {
		wg.Go(func() { fn(w) })
	}
	wg.Wait()
}

// tile scores block i's rows (queries) against block j's rows (base) and offers every score to
// the query's row (private heaps) and, off the diagonal, to the base row (shared heaps).
func (e *exact) tile(w *worker, i, j int) {
	qlo, qhi := i*e.b, min(e.n, (i+1)*e.b)
	blo, bhi := j*e.b, min(e.n, (j+1)*e.b)
	cnt := bhi - blo
	out := [4][]float32{w.out[0][:cnt], w.out[1][:cnt], w.out[2][:cnt], w.out[3][:cnt]}
	sign := e.sign
	for q := qlo; q < qhi; q += 4 {
		nq := min(4, qhi-q)
		for m, mod := range e.mods {
			for a := range 4 {
				w.q[a][m] = mod.row(q + min(a, nq-1)) // a short last group repeats its last row
			}
			base := mod.data[blo*mod.dim : bhi*mod.dim]
			if m == 0 {
				e.kern(w.q[0][m], w.q[1][m], w.q[2][m], w.q[3][m], base, out[0], out[1], out[2], out[3])
				continue
			}
			tmp := [4][]float32{w.tmp[0][:cnt], w.tmp[1][:cnt], w.tmp[2][:cnt], w.tmp[3][:cnt]}
			e.kern(w.q[0][m], w.q[1][m], w.q[2][m], w.q[3][m], base, tmp[0], tmp[1], tmp[2], tmp[3])
			for a := range 4 {
				o, t := out[a], tmp[a][:len(out[a])]
				for x := range o {
					o[x] += t[x]
				}
			}
		}
		// Query side: private heaps of block i.
		priv := w.priv
		for a := range nq {
			r := q + a
			pr := r - qlo
			bound := priv.bound[pr]
			for x, s := range out[a] {
				d := s * sign
				if d > bound {
					continue
				}
				col := blo + x
				if col == r && e.excludeSelf {
					continue
				}
				priv.push(pr, d, uint32(col))
				bound = priv.bound[pr]
			}
		}
		if i == j {
			continue
		}
		// Base side: shared heaps of block j, owned by this worker during this step.
		sh := e.shared
		bounds := sh.bound[blo:bhi]
		for x := range bounds {
			bound := bounds[x]
			for a := range nq {
				if d := out[a][x] * sign; d <= bound {
					sh.push(blo+x, d, uint32(q+a))
					bound = bounds[x]
				}
			}
		}
	}
}
