package ivf

import (
	"errors"
	"fmt"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/kmeans"
	"github.com/needlevdb/needle/internal/index/quant/pq"
)

// Limits of the format and of New.
const (
	maxDim   = 1 << 16
	maxNlist = 1 << 24
)

// samplePerList is the default number of training vectors per list:
// Faiss's habit (100 × nlist, as the peer benchmark trains it).
const samplePerList = 100

// Train trains the coarse quantizer (and, for PQ lists, the residual
// quantizer and the precomputed table) on a random sample of at most n
// vectors of vecs (n <= 0: 100 × Nlist, and at least 65,536 for PQ, so
// that every codebook gets 256 points per centroid). It fails if the
// index is already trained or vecs has fewer vectors than Nlist.
func (x *Index) Train(vecs flat.Vectors, n int) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.trained.Load() {
		return errors.New("ivf: Train: already trained")
	}
	cfg := x.cfg
	if vecs.Dim != cfg.Dim {
		return fmt.Errorf("ivf: Train: vectors of dimension %d, index %d", vecs.Dim, cfg.Dim)
	}
	total := vecs.Slots()
	if n <= 0 {
		n = samplePerList * cfg.Nlist
		if cfg.PQM > 0 {
			n = max(n, pq.DefaultSample)
		}
	}
	n = min(n, total)
	if n < cfg.Nlist {
		return fmt.Errorf("ivf: Train: %d training vectors for %d lists", n, cfg.Nlist)
	}
	sample := kmeans.Sample(vecs.Data, cfg.Dim, n, cfg.Seed)
	cent, err := kmeans.Train(sample, cfg.Dim, cfg.Nlist, kmeans.Options{
		Seed: cfg.Seed, SampleSize: n, Metric: cfg.Metric, Workers: cfg.Workers,
	})
	if err != nil {
		return fmt.Errorf("ivf: Train: coarse quantizer: %w", err)
	}
	var q *pq.Quantizer
	if cfg.PQM > 0 {
		assign := make([]int32, n)
		kmeans.AssignBatch(cent, cfg.Dim, cfg.Metric, sample, assign, nil, cfg.Workers)
		residuals(sample, cent, cfg.Dim, assign)
		q, err = pq.Train(flat.Vectors{Dim: cfg.Dim, Data: sample}, cfg.PQM, cfg.Metric, pq.Options{
			Seed: cfg.Seed + 1, Workers: cfg.Workers,
		})
		if err != nil {
			return fmt.Errorf("ivf: Train: residual quantizer: %w", err)
		}
	}
	x.install(cent, q)
	return nil
}

// install sets the trained state (and the precomputed table) and marks
// the index trained.
func (x *Index) install(cent []float32, q *pq.Quantizer) {
	x.centroids, x.pq = cent, q
	d := x.cfg.Dim
	x.cnorms = make([]float32, len(cent)/d)
	for i := range x.cnorms {
		c := cent[i*d : (i+1)*d]
		x.cnorms[i] = distance.Dot(c, c)
	}
	if q != nil && x.cfg.Metric == flat.L2 && int64(x.cfg.Nlist)*int64(x.cfg.PQM)*pq.KsubMax*4 <= MaxPrecomputedBytes {
		x.precomp = precompute(cent, x.cfg.Dim, q)
	}
	x.trained.Store(true)
}

// residuals replaces each row of data by its difference from its
// centroid.
func residuals(data, cent []float32, dim int, assign []int32) {
	for i, a := range assign {
		row, c := data[i*dim:(i+1)*dim], cent[int(a)*dim:(int(a)+1)*dim]
		for j := range row {
			row[j] -= c[j]
		}
	}
}

// precompute returns, for each list l, the table of |r|² + 2<c_l, r> over
// the residual codebooks (per subspace j and code r: the list- and
// code-dependent, query-independent part of the L2 distance).
func precompute(cent []float32, dim int, q *pq.Quantizer) []pq.Table {
	nlist, m := len(cent)/dim, q.M()
	rows := make(pq.Table, nlist*m)
	out := make([]pq.Table, nlist)
	for l := range nlist {
		t := rows[l*m : (l+1)*m : (l+1)*m]
		q.DotTable(cent[l*dim:(l+1)*dim], 2, t)
		pq.AddTables(t, t, q.Norms())
		out[l] = t
	}
	return out
}
