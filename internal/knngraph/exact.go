package knngraph

import (
	"math"
	"math/bits"
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/distance"
)

// Base blocks are sized to stay in L2 while the block's queries are scored against them: 1 MiB
// for the panel kernel (the size internal/index/flat's panel search uses), 256 KiB for the
// four-query kernel (the size flat's four-query tiles used). BenchmarkExact checks both.
const (
	panelTileBytes = 1 << 20
	batchTileBytes = 256 << 10
)

// blockQuantum divides every block size: a multiple of the panel width (32 with AVX-512, 16
// otherwise) and of the panel micro-kernel's 12 base vectors.
const blockQuantum = 96

// blockRows chooses the rows per block for n vectors of dim floats in total over the
// modalities: a multiple of blockQuantum whose base block fills the kernel's tile, but small
// enough that a small job still has 32 blocks to spread over the cores. It depends only on the
// input's shape and the metric, never on the thread count, so results do not either.
func blockRows(dim, n int, metric Metric) int {
	tile := panelTileBytes
	if metric == L2 {
		tile = batchTileBytes
	}
	b := min(tile/(4*dim), (n+31)/32)
	b = (b + blockQuantum/2) / blockQuantum * blockQuantum
	return min(max(b, blockQuantum), 960)
}

type kernel4 func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)

// exact is the state of one exact all-pairs job.
//
// Cosine and ip score with distance.PanelScan: the block's rows are packed into panels of
// PanelWidth() queries, scored against each base block by a register-blocked micro-kernel that
// also compares each score with a per-query bound and returns only the base vectors that pass
// some bound. The bound given for query q is the looser of q's own (private heap) bound and the
// loosest bound among the base block's rows, so no candidate of either side is lost, and the Go
// loop sees only the few scores that matter. L2 uses the four-query kernel, whose direct
// differences are exact where PanelScan's |x|²-2q·x expansion would round.
//
// Rows are cut into blocks of b rows. Step I scores block I against every block J >= I (the
// upper triangle of block pairs, so each pair of rows is scored once): the scores of a tile
// (I, J) go to the rows of J directly (shared heaps; within a step each J belongs to one
// worker) and to the rows of I: worker 0 owns block I's shared rows during step I (no tile of
// the step offers them base-side scores) and pushes to them directly; the other workers collect
// I's candidates in private heaps, merged into the shared ones when the step ends. After step I the rows of block I have seen every column and
// are final. Steps run one after another; tiles within a step and the merge run on all workers.
type exact struct {
	n, k, b, nb int
	mods        []*modality
	kern        kernel4 // L2
	panel       bool    // cosine, ip: PanelScan
	pw          int     // distance.PanelWidth()
	panels      [][]float32
	sign        float32 // -1 turns a similarity into a rank distance, +1 keeps a distance
	excludeSelf bool
	shared      *heaps
	workers     []*worker
}

type worker struct {
	priv *heaps         // rows of the current block I (workers other than the first)
	out  [4][]float32   // L2: scores of four queries against one base block
	tmp  [4][]float32   // L2: second modality onwards
	q    [4][][]float32 // L2: per modality, the four query rows

	lane      []float32 // panel: per-query bounds
	idx, mask []uint32  // panel: base vectors that passed, and which lanes
	dist      []float32 // panel: their scores, pw per vector
	dist2     []float32 // panel: second modality onwards
}

func newExact(mods []*modality, metric Metric, k, block int, excludeSelf bool, limit float32, threads int) *exact {
	n := len(mods[0].data) / mods[0].dim
	e := &exact{n: n, k: k, b: block, nb: (n + block - 1) / block, mods: mods, excludeSelf: excludeSelf,
		sign: -1, panel: true, pw: distance.PanelWidth()}
	if metric == L2 {
		e.kern, e.sign, e.panel = distance.L2SqBatch4, 1, false
	}
	if block%e.pw != 0 || block%4 != 0 {
		panic("BUG: knngraph: block is not a multiple of the panel width")
	}
	if e.panel {
		for _, m := range mods {
			e.panels = append(e.panels, make([]float32, block*m.dim))
		}
	}
	e.shared = newHeaps(n, k, limit)
	for range threads {
		w := &worker{priv: newHeaps(block, k, limit)}
		if e.panel {
			w.lane = make([]float32, e.pw)
			w.idx, w.mask = make([]uint32, block), make([]uint32, block)
			w.dist = make([]float32, block*e.pw)
			if len(mods) > 1 {
				w.dist2 = make([]float32, block*e.pw)
			}
		} else {
			for i := range 4 {
				w.out[i] = make([]float32, block)
				w.tmp[i] = make([]float32, block)
				w.q[i] = make([][]float32, len(mods))
			}
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
	if e.panel {
		e.pack(lo, hi)
	}
	for _, w := range e.workers[1:] {
		w.priv.reset(hi-lo, e.shared.bound[lo:hi])
	}
	var next atomic.Int64
	next.Store(int64(i))
	e.parallel(func(w *worker) {
		// The query side's heaps: the shared rows themselves for the owner, else private ones.
		ih, ioff := w.priv, lo
		if w == e.workers[0] {
			ih, ioff = e.shared, 0
		}
		for j := int(next.Add(1) - 1); j < e.nb; j = int(next.Add(1) - 1) {
			if e.panel {
				e.tilePanel(w, ih, ioff, i, j)
			} else {
				e.tile(w, ih, ioff, i, j)
			}
			done()
		}
	})
	var nextRow atomic.Int64
	nextRow.Store(int64(lo))
	e.parallel(func(*worker) {
		const chunk = 16
		for r0 := int(nextRow.Add(chunk) - chunk); r0 < hi; r0 = int(nextRow.Add(chunk) - chunk) {
			for r := r0; r < min(r0+chunk, hi); r++ {
				for _, w := range e.workers[1:] {
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

// pack stores rows [lo, hi) as panels, per modality.
func (e *exact) pack(lo, hi int) {
	qs := make([][]float32, 0, e.pw)
	for m, mod := range e.mods {
		d := mod.dim
		for p, q0 := 0, lo; q0 < hi; p, q0 = p+1, q0+e.pw {
			qs = qs[:0]
			for r := q0; r < min(q0+e.pw, hi); r++ {
				qs = append(qs, mod.row(r))
			}
			distance.PackPanel(e.panels[m][p*d*e.pw:(p+1)*d*e.pw], qs)
		}
	}
}

// tilePanel is tile for the panel kernel (cosine, ip).
// ih holds the query rows' heaps, row r at r-ioff.
func (e *exact) tilePanel(w *worker, ih *heaps, ioff, i, j int) {
	qlo, qhi := i*e.b, min(e.n, (i+1)*e.b)
	blo, bhi := j*e.b, min(e.n, (j+1)*e.b)
	cnt, pw := bhi-blo, e.pw
	sh := e.shared
	// The loosest bound among the base rows: a score above it is no base row's candidate.
	jmax := float32(math.Inf(-1))
	if i != j {
		for _, b := range sh.bound[blo:bhi] {
			jmax = max(jmax, b)
		}
	}
	single := len(e.mods) == 1
	for p, q0 := 0, qlo; q0 < qhi; p, q0 = p+1, q0+pw {
		nq := min(pw, qhi-q0)
		for l := range w.lane {
			switch {
			case l >= nq:
				w.lane[l] = float32(math.Inf(-1)) // an empty lane never passes
			case single:
				w.lane[l] = max(ih.bound[q0-ioff+l], jmax)
			default:
				w.lane[l] = float32(math.Inf(1)) // one modality's score does not bound the sum
			}
		}
		var c int
		var all uint32 = 1<<nq - 1
		for m, mod := range e.mods {
			d := mod.dim
			panel := e.panels[m][p*d*pw : (p+1)*d*pw]
			base := mod.data[blo*d : bhi*d]
			if m == 0 {
				c = distance.PanelScan(panel, base, nil, -1, w.lane, w.idx[:cnt], w.mask[:cnt], w.dist[:cnt*pw])
				continue
			}
			distance.PanelScan(panel, base, nil, -1, w.lane, w.idx[:cnt], w.mask[:cnt], w.dist2[:cnt*pw])
			for x, v := range w.dist2[:cnt*pw] {
				w.dist[x] += v
			}
		}
		for x := range c {
			col := blo + int(w.idx[x])
			s := w.dist[x*pw : (x+1)*pw : (x+1)*pw]
			lanes := w.mask[x]
			if !single {
				lanes = all // every vector came back, in order
			}
			// Query side: block i's rows.
			for b := lanes; b != 0; b &= b - 1 {
				l := bits.TrailingZeros32(b)
				r := q0 + l
				if d := s[l]; d <= ih.bound[r-ioff] && (col != r || !e.excludeSelf) {
					ih.push(r-ioff, d, uint32(col))
				}
			}
			if i == j {
				continue
			}
			// Base side: shared heaps of block j, owned by this worker during this step.
			for b := lanes; b != 0; b &= b - 1 {
				l := bits.TrailingZeros32(b)
				if d := s[l]; d <= sh.bound[col] {
					sh.push(col, d, uint32(q0+l))
				}
			}
		}
	}
}

// tile scores block i's rows (queries) against block j's rows (base) with the four-query kernel
// (L2) and offers every score to the query's row (private heaps) and, off the diagonal, to the
// base row (shared heaps).
func (e *exact) tile(w *worker, ih *heaps, ioff, i, j int) {
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
		// Query side: block i's rows.
		for a := range nq {
			r := q + a
			pr := r - ioff
			bound := ih.bound[pr]
			for x, s := range out[a] {
				d := s * sign
				if d > bound {
					continue
				}
				col := blo + x
				if col == r && e.excludeSelf {
					continue
				}
				ih.push(pr, d, uint32(col))
				bound = ih.bound[pr]
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
