package ivf

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/pq"
)

// Config describes an index.
type Config struct {
	Dim    int
	Metric flat.Metric // flat.L2 or flat.InnerProduct
	Nlist  int         // number of coarse centroids (inverted lists)
	// PQM is the number of PQ subspaces (bytes per code); 0 means flat
	// lists. Dim must be a multiple of it.
	PQM  int
	Seed uint64
	// Workers bounds the goroutines of Train and Add (0 means GOMAXPROCS).
	Workers int
}

// MaxPrecomputedBytes is the largest precomputed L2 table (Nlist × PQM ×
// 256 float32) Train builds; beyond it each probed list's lookup table is
// computed from the query (Faiss's precomputed_table_max_bytes is 2 GiB).
const MaxPrecomputedBytes = 1 << 30

// ErrNotTrained is returned by Add before Train.
var ErrNotTrained = errors.New("ivf: index not trained")

// Index is an IVF index. See the package documentation.
type Index struct {
	cfg Config

	// Set by Train (or Read) before trained is set; read-only afterwards.
	centroids []float32 // Nlist × Dim
	cnorms    []float32 // |c|² per centroid (the batched coarse step's expansion)
	pq        *pq.Quantizer
	precomp   []pq.Table // per list, its M rows of |r|² + 2<c, r>; nil if not precomputed
	trained   atomic.Bool

	mu    sync.Mutex // serialises Train and Add
	lists []atomic.Pointer[list]
	count atomic.Int64 // entries in all lists
	vecs  atomic.Pointer[flat.Vectors]

	searchers sync.Pool // *searcher
}

// list is one published inverted list: entry i is slot ids[i] with code
// codes[i*M:(i+1)*M] (PQ). Never modified once published; Add publishes
// a longer copy of the header.
type list struct {
	ids   []uint32
	codes []byte
}

var emptyList = &list{}

// New returns an empty, untrained index.
func New(cfg Config) (*Index, error) {
	switch {
	case cfg.Dim <= 0 || cfg.Dim > maxDim:
		return nil, fmt.Errorf("ivf: dimension %d out of range [1, %d]", cfg.Dim, maxDim)
	case cfg.Metric != flat.L2 && cfg.Metric != flat.InnerProduct:
		return nil, fmt.Errorf("ivf: metric %d not supported (L2 or InnerProduct)", cfg.Metric)
	case cfg.Nlist <= 0 || cfg.Nlist > maxNlist:
		return nil, fmt.Errorf("ivf: nlist %d out of range [1, %d]", cfg.Nlist, maxNlist)
	case cfg.PQM < 0 || cfg.PQM > 0 && cfg.Dim%cfg.PQM != 0:
		return nil, fmt.Errorf("ivf: dimension %d is not divisible by the number of PQ subspaces %d", cfg.Dim, cfg.PQM)
	}
	x := &Index{cfg: cfg, lists: make([]atomic.Pointer[list], cfg.Nlist)}
	for i := range x.lists {
		x.lists[i].Store(emptyList)
	}
	return x, nil
}

// Config returns the configuration.
func (x *Index) Config() Config { return x.cfg }

// Trained reports whether Train has completed.
func (x *Index) Trained() bool { return x.trained.Load() }

// Len returns the number of entries in all lists.
func (x *Index) Len() int { return int(x.count.Load()) }

// Centroids returns the coarse centroids, Nlist × Dim floats (nil before
// Train; do not modify).
func (x *Index) Centroids() []float32 { return x.centroids }

// Quantizer returns the residual quantizer (nil for flat lists or before
// Train).
func (x *Index) Quantizer() *pq.Quantizer { return x.pq }

// ListLen returns the number of entries in list l.
func (x *Index) ListLen(l int) int { return len(x.lists[l].Load().ids) }

// SetVectors sets the float vectors that flat lists and rescoring read
// (Add sets them too); they must hold every added slot.
func (x *Index) SetVectors(vecs flat.Vectors) {
	if vecs.Dim != x.cfg.Dim && len(vecs.Data) > 0 {
		panic(fmt.Sprintf("BUG: ivf: vectors of dimension %d for an index of %d", vecs.Dim, x.cfg.Dim))
	}
	x.vecs.Store(&vecs)
}

// MemoryBytes returns what the index occupies in RAM: centroids, quantizer,
// precomputed table and lists (by capacity), not the float vectors.
func (x *Index) MemoryBytes() int64 {
	n := int64(len(x.centroids))*4 + int64(len(x.precomp))*pq.KsubMax*4*int64(x.cfg.PQM)
	if x.pq != nil {
		n += x.pq.MemoryBytes()
	}
	for i := range x.lists {
		l := x.lists[i].Load()
		n += int64(cap(l.ids))*4 + int64(cap(l.codes)) + 48
	}
	return n
}
