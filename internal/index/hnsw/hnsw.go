package hnsw

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
)

// Metric is the distance the index ranks by: flat.L2 or flat.InnerProduct.
type Metric = flat.Metric

// Vectors is the caller-owned, slot-major float32 matrix the index reads.
type Vectors = flat.Vectors

// Quantization selects what the graph is built and traversed with.
type Quantization uint8

const (
	// Float32 builds and searches with exact float32 distances.
	Float32 Quantization = iota
	// Int8 keeps a one-byte-per-dimension code of every vector, builds and
	// traverses with integer distances on the codes and rescores the final
	// candidates with float32 distances. It needs Train (or Build) before
	// the first Insert.
	Int8
)

// Config describes an index. Zero M, EfConstruct mean the defaults.
type Config struct {
	Dim    int
	Metric Metric // flat.L2 or flat.InnerProduct
	// M is the number of neighbours a new node links to, and the most a node
	// keeps on levels above 0; level 0 keeps up to 2M. Default 16, at most
	// MaxM.
	M int
	// EfConstruct is the candidate-list size of the search that finds a new
	// node's neighbours. Default 200.
	EfConstruct int
	// Seed makes levels (and so the graph, for a given insertion order)
	// reproducible: a node's level is a hash of Seed and its slot.
	Seed uint64
	// Quantization is Float32 (default) or Int8.
	Quantization Quantization
	// Quantile, for Int8, clips each dimension's code range to this
	// central fraction of its values (0 or 1: the full range; Qdrant's
	// scalar quantile). Values outside are clamped.
	Quantile float64
	// Capacity is the number of slots to size the arrays for up front
	// (they grow on demand). Default: the number of vectors given to New.
	Capacity int
}

// Defaults and limits of Config.
const (
	DefaultM           = 16
	DefaultEfConstruct = 200
	MaxM               = 256
	maxLevel           = 15 // levels are 0..maxLevel; a level above 8 has probability M^-8
)

// Errors callers branch on.
var (
	ErrExists    = errors.New("hnsw: slot already inserted")
	ErrNoVector  = errors.New("hnsw: slot has no vector")
	ErrUntrained = errors.New("hnsw: Int8 index used before Train")
	ErrCorrupt   = errors.New("hnsw: corrupt index file")
)

// Index is an HNSW graph over caller-owned vectors. See the package
// documentation for the concurrency contract.
type Index struct {
	cfg       Config
	dim       int
	m, m0     int     // max neighbours above level 0 / on level 0
	levelMult float64 // 1/ln(M)

	// grow is held for reading by every operation that touches the arrays
	// below, and for writing by the operations that reallocate them.
	grow sync.RWMutex
	// writers is held for reading by Insert and Delete and for writing by
	// WriteTo, so a snapshot sees no half-inserted node.
	writers sync.RWMutex

	vecs   []float32
	nslots int // capacity of the arrays below, in slots

	links0   []uint32 // per slot m0 words: its level-0 list; read and written atomically
	levels   []uint8  // per slot: level+1, 0 = not inserted; under the node's lock
	upperOff []uint32 // per slot: word offset of its upper lists in upper, +1 (0 = none)
	upper    arena
	locks    []sync.Mutex // per slot, guards its neighbour lists (writes) and levels
	inserted bitmap       // set once a slot is fully linked
	deleted  bitmap

	quant *quantizer // nil for Float32 and before Train
	// lossy is set once any inserted vector's int8 code does not reproduce
	// it exactly; until then (integer-valued data such as pixels) L2
	// searches with an on-grid query need no float32 rescoring.
	lossy atomic.Bool
	// clamped is set once any inserted vector had a coordinate outside its
	// dimension's code range (a quantile-clipped range, or a vector beyond
	// the training sample's): its code error is then unbounded, so searches
	// rescore every candidate instead of a noise window.
	clamped     atomic.Bool
	codes       []uint8 // Int8: codeStride bytes per slot
	codeStride  int
	attached    quant.Codes // attached codes searches traverse with (SetCodes); nil: none
	attachedGen uint64      // incremented by SetCodes, so pooled scorers know theirs is stale

	entry   atomic.Uint64 // (level+1)<<32 | slot of the entry point; 0 = empty
	entryMu sync.Mutex    // held by an insert that may raise the entry level

	count    atomic.Int64 // inserted nodes
	ndeleted atomic.Int64 // inserted nodes marked deleted

	searchers sync.Pool // *searcher
}

// New returns an empty index over vecs (which may be empty and grow later;
// see SetVectors).
func New(cfg Config, vecs Vectors) (*Index, error) {
	if cfg.M == 0 {
		cfg.M = DefaultM
	}
	if cfg.EfConstruct == 0 {
		cfg.EfConstruct = DefaultEfConstruct
	}
	switch {
	case cfg.Dim <= 0:
		return nil, fmt.Errorf("hnsw: dimension %d must be positive", cfg.Dim)
	case cfg.Metric != flat.L2 && cfg.Metric != flat.InnerProduct:
		return nil, fmt.Errorf("hnsw: metric %d not supported (L2 or InnerProduct)", cfg.Metric)
	case cfg.M < 2 || cfg.M > MaxM:
		return nil, fmt.Errorf("hnsw: M %d out of range [2, %d]", cfg.M, MaxM)
	case cfg.EfConstruct < 1:
		return nil, fmt.Errorf("hnsw: EfConstruct %d must be positive", cfg.EfConstruct)
	case cfg.Quantization > Int8:
		return nil, fmt.Errorf("hnsw: unknown quantization %d", cfg.Quantization)
	case vecs.Dim != cfg.Dim && len(vecs.Data) > 0:
		return nil, fmt.Errorf("hnsw: vectors have dimension %d, config %d", vecs.Dim, cfg.Dim)
	case cfg.Capacity < 0:
		return nil, fmt.Errorf("hnsw: negative capacity")
	}
	x := &Index{
		cfg:       cfg,
		dim:       cfg.Dim,
		m:         cfg.M,
		m0:        2 * cfg.M,
		levelMult: 1 / math.Log(float64(cfg.M)),
		vecs:      vecs.Data,
	}
	x.upper.init(cfg.M)
	if cfg.Quantization == Int8 {
		x.codeStride = codeStride(cfg.Dim)
	}
	x.resize(max(cfg.Capacity, len(vecs.Data)/cfg.Dim))
	return x, nil
}

// Config returns the configuration (with defaults filled in).
func (x *Index) Config() Config { return x.cfg }

// Len returns the number of live (inserted and not deleted) slots.
func (x *Index) Len() int { return int(x.count.Load() - x.ndeleted.Load()) }

// Inserted returns the number of inserted slots, deleted ones included:
// the nodes of the graph.
func (x *Index) Inserted() int { return int(x.count.Load()) }

// Deleted returns the number of inserted slots marked deleted.
func (x *Index) Deleted() int { return int(x.ndeleted.Load()) }

// Contains reports whether slot is inserted and not deleted.
func (x *Index) Contains(slot uint32) bool {
	x.grow.RLock()
	defer x.grow.RUnlock()
	return x.inserted.get(slot) && !x.deleted.get(slot)
}

// SetVectors replaces the vector array the index reads, for a caller whose
// storage grew (and so moved). Every inserted slot must hold the same
// vector in the new array.
func (x *Index) SetVectors(v Vectors) error {
	if v.Dim != x.dim {
		return fmt.Errorf("hnsw: vectors have dimension %d, index %d", v.Dim, x.dim)
	}
	x.grow.Lock()
	defer x.grow.Unlock()
	x.vecs = v.Data
	return nil
}

// MemoryBytes returns the bytes the index holds beyond the caller's
// vectors: neighbour lists, per-node state, locks and codes (pooled
// per-search scratch not included).
func (x *Index) MemoryBytes() int64 {
	x.grow.RLock()
	defer x.grow.RUnlock()
	n := int64(x.nslots)
	b := 4*int64(len(x.links0)) + n*(1+4+8) + int64(len(x.codes))
	b += 2 * 8 * int64(len(x.inserted.words))
	b += x.upper.bytes()
	if x.quant != nil {
		b += int64(4 * len(x.quant.lo))
	}
	return b
}

// resize makes the per-slot arrays hold n slots. The caller holds grow for
// writing (or owns x exclusively).
func (x *Index) resize(n int) {
	if n <= x.nslots {
		return
	}
	old := len(x.links0)
	x.links0 = growSlice(x.links0, n*x.m0)
	fillNone(x.links0[old:])
	x.levels = growSlice(x.levels, n)
	x.upperOff = growSlice(x.upperOff, n)
	// A fresh slice: no lock is held while grow is held for writing.
	x.locks = make([]sync.Mutex, n)
	x.inserted.resize(n)
	x.deleted.resize(n)
	if x.codeStride > 0 {
		x.codes = growSlice(x.codes, n*x.codeStride)
	}
	x.nslots = n
}

func growSlice[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	t := make([]T, n)
	adviseHuge(t)
	copy(t, s)
	return t
}

// reserve makes sure slot fits in the arrays, growing them (by doubling)
// if needed. It must be called without grow held.
func (x *Index) reserve(slot uint32) {
	x.grow.RLock()
	ok := int(slot) < x.nslots
	x.grow.RUnlock()
	if ok {
		return
	}
	x.grow.Lock()
	defer x.grow.Unlock()
	x.resize(max(int(slot)+1, 2*x.nslots, 1024))
}

// vec returns slot s's vector. The caller holds grow for reading.
func (x *Index) vec(s uint32) []float32 {
	o := int(s) * x.dim
	return x.vecs[o : o+x.dim : o+x.dim]
}

// randomLevel draws the level of slot: floor(-ln(u) / ln(M)) for u uniform
// in (0, 1], from a hash of the seed and the slot, so that the graph does
// not depend on which goroutine inserted what.
func (x *Index) randomLevel(slot uint32) int {
	h := splitmix64(x.cfg.Seed ^ (uint64(slot)+1)*0x9e3779b97f4a7c15)
	u := (float64(h>>11) + 1) / (1 << 53)
	l := int(-math.Log(u) * x.levelMult)
	return min(l, maxLevel)
}

func splitmix64(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

func packEntry(slot uint32, level int) uint64 { return uint64(level+1)<<32 | uint64(slot) }

func unpackEntry(e uint64) (slot uint32, level int, ok bool) {
	return uint32(e), int(e>>32) - 1, e != 0
}
