package knngraph

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

// ANNParams configures an approximate index for the whole job.
type ANNParams struct {
	M, EfConstruct, Ef int
	Threads            int
	// InnerProduct is true for cosine and ip (rank = -dot), false for l2 (rank = squared distance).
	InnerProduct bool
	// Quantization is the index's vector encoding for traversal: "float32" (default) or "int8".
	Quantization string
	// Tick, if set, is called (from any goroutine) with the number of vectors just inserted.
	Tick func(n int)
}

// ANNIndex is what approximate mode needs from an index built over the job's vectors, where slot
// i is row i. Search must be safe for concurrent use and return up to k items best first, with
// rank distances (smaller is better) computed as flat.Search would.
type ANNIndex interface {
	Search(q []float32, k int) []topk.Item
}

// ANNBuilder builds an index over n = len(vecs)/dim vectors stored back to back.
type ANNBuilder func(vecs []float32, dim int, p ANNParams) (ANNIndex, error)

var (
	annMu       sync.Mutex
	annBuilders = map[string]ANNBuilder{}
)

// RegisterANN makes an index available to --approx name. Registering a name twice replaces it.
func RegisterANN(name string, b ANNBuilder) {
	annMu.Lock()
	defer annMu.Unlock()
	annBuilders[name] = b
}

func annBuilder(name string) (ANNBuilder, error) {
	annMu.Lock()
	defer annMu.Unlock()
	if b, ok := annBuilders[name]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("%w: --approx %s needs an HNSW index, which this build does not have yet "+
		"(internal/index/hnsw); run without --approx for the exact graph", ErrApproxUnavailable, name)
}

// ErrApproxUnavailable is returned for an --approx index this build does not include.
var ErrApproxUnavailable = errors.New("approximate mode not available")

// concat returns the modalities side by side, row i being their row i's concatenated (each
// already normalised and scaled by sqrt(weight), so a dot product or squared distance of two
// concatenated rows is the weighted score). With one modality it returns its data unchanged.
func concat(mods []*modality) ([]float32, int) {
	if len(mods) == 1 {
		return mods[0].data, mods[0].dim
	}
	n, dim := len(mods[0].data)/mods[0].dim, 0
	for _, m := range mods {
		dim += m.dim
	}
	out := make([]float32, n*dim)
	for r := range n {
		o := out[r*dim : r*dim : (r+1)*dim]
		for _, m := range mods {
			o = append(o, m.row(r)...)
		}
	}
	return out, dim
}

// runApprox builds the index, fills h (one heap per row) from its answers and returns the
// recall@k measured on sample rows against exact search (-1 when sample is 0). tick counts
// inserted vectors, then searched rows (2n in all).
func runApprox(b ANNBuilder, vecs []float32, dim int, metric Metric, cfg *Config, h *heaps, threads int,
	tick func(rows int), logf func(string, ...any)) (float64, error) {
	t0 := time.Now()
	n := len(vecs) / dim
	p := ANNParams{M: cfg.M, EfConstruct: cfg.EfConstruct, Ef: cfg.Ef, Threads: threads, InnerProduct: metric != L2,
		Quantization: cfg.Quantization, Tick: tick}
	idx, err := b(vecs, dim, p)
	if err != nil {
		return 0, fmt.Errorf("build %s index: %w", cfg.Approx, err)
	}
	logf("built the %s index in %.1fs", cfg.Approx, time.Since(t0).Seconds())
	t0 = time.Now()
	want := cfg.K
	if cfg.ExcludeSelf {
		want++
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range threads {
		wg.Go(func() {
			const chunk = 64
			for r0 := int(next.Add(chunk) - chunk); r0 < n; r0 = int(next.Add(chunk) - chunk) {
				for r := r0; r < min(r0+chunk, n); r++ {
					for _, it := range idx.Search(vecs[r*dim:(r+1)*dim], want) {
						if cfg.ExcludeSelf && int(it.Slot) == r {
							continue
						}
						h.push(r, it.Dist, it.Slot)
					}
					h.finish(r)
				}
				tick(min(r0+chunk, n) - r0)
			}
		})
	}
	wg.Wait()
	logf("searched every row in %.1fs", time.Since(t0).Seconds())
	if cfg.RecallSample == 0 {
		return -1, nil
	}
	t0 = time.Now()
	recall := sampledRecall(vecs, dim, metric, cfg, h, threads)
	logf("sampled recall@%d = %.4f over %d rows (exact search in %.1fs)", cfg.K, recall, min(cfg.RecallSample, n), time.Since(t0).Seconds())
	return recall, nil
}

// sampledRecall compares the rows of a deterministic random sample with exact search: the
// fraction of each row's exact top-k (after self-exclusion and the score limit) that h holds.
func sampledRecall(vecs []float32, dim int, metric Metric, cfg *Config, h *heaps, threads int) float64 {
	n := len(vecs) / dim
	rows := sampleRows(n, cfg.RecallSample)
	qs := make([][]float32, len(rows))
	for i, r := range rows {
		qs[i] = vecs[r*dim : (r+1)*dim]
	}
	fm := flat.InnerProduct
	if metric == L2 {
		fm = flat.L2
	}
	exactRes := flat.SearchBatch(flat.Vectors{Dim: dim, Data: vecs}, fm, qs, cfg.K+1, nil, max(threads, runtime.GOMAXPROCS(0)))
	hits, total := 0, 0
	for i, r := range rows {
		var truth []uint32
		for _, it := range exactRes[i] {
			if (cfg.ExcludeSelf && int(it.Slot) == r) || !(it.Dist <= h.limit) || len(truth) == cfg.K {
				continue
			}
			truth = append(truth, it.Slot)
		}
		got := map[uint32]bool{}
		for _, key := range h.row(r) {
			got[keySlot(key)] = true
		}
		for _, s := range truth {
			if got[s] {
				hits++
			}
		}
		total += len(truth)
	}
	if total == 0 {
		return 1
	}
	return float64(hits) / float64(total)
}

// sampleRows picks min(k, n) distinct rows with a fixed seed, sorted.
func sampleRows(n, k int) []int {
	if k >= n {
		rows := make([]int, n)
		for i := range rows {
			rows[i] = i
		}
		return rows
	}
	rng := rand.New(rand.NewPCG(1, 2))
	rows := rng.Perm(n)[:k]
	slices.Sort(rows)
	return rows
}
