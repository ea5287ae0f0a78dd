package knngraph

import (
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/topk"
)

func init() { RegisterANN("hnsw", buildHNSW) }

// hnswSeed fixes the levels of the graph; with one thread the build, and so the output, is
// reproducible (with several, the insertion interleaving varies).
const hnswSeed = 1

// buildHNSW builds an internal/index/hnsw index over the job's vectors, inserting slots on
// p.Threads goroutines and reporting each chunk through p.Tick.
func buildHNSW(vecs []float32, dim int, p ANNParams) (ANNIndex, error) {
	n := len(vecs) / dim
	metric := flat.L2
	if p.InnerProduct {
		metric = flat.InnerProduct
	}
	q := hnsw.Float32
	switch p.Quantization {
	case "", "float32":
	case "int8":
		q = hnsw.Int8
	default:
		return nil, fmt.Errorf("unknown quantization %q (want float32 or int8)", p.Quantization)
	}
	v := flat.Vectors{Dim: dim, Data: vecs}
	x, err := hnsw.New(hnsw.Config{Dim: dim, Metric: metric, M: p.M, EfConstruct: p.EfConstruct, Seed: hnswSeed,
		Quantization: q, Capacity: n}, v)
	if err != nil {
		return nil, err
	}
	if err := x.Train(v); err != nil {
		return nil, err
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for range max(1, p.Threads) {
		wg.Go(func() {
			const chunk = 256
			for lo := int(next.Add(chunk) - chunk); lo < n; lo = int(next.Add(chunk) - chunk) {
				hi := min(lo+chunk, n)
				for s := lo; s < hi; s++ {
					if err := x.Insert(uint32(s)); err != nil {
						mu.Lock()
						first = cmpErr(first, err)
						mu.Unlock()
						next.Store(int64(n))
						return
					}
				}
				if p.Tick != nil {
					p.Tick(hi - lo)
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return hnswIndex{x: x, ef: p.Ef}, nil
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

type hnswIndex struct {
	x  *hnsw.Index
	ef int
}

func (h hnswIndex) Search(q []float32, k int) []topk.Item { return h.x.Search(q, k, max(h.ef, k), nil) }
