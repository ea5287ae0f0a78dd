// Package flat is exact (brute-force) nearest-neighbour search over vectors stored back to back in
// one float32 array. It is the reference every approximate index is measured against, and the
// engine behind exact queries.
//
// Distances are "smaller is better" (inner products are negated), matching package topk.
// Concurrency: searches only read the vectors; the caller guarantees no concurrent writes to them.
package flat

import (
	"math"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/topk"
)

// Metric selects the kernel.
type Metric uint8

// The metrics. Cosine is InnerProduct on normalised vectors.
const (
	InnerProduct Metric = iota // rank = -dot(q, x)
	L2                         // rank = squared Euclidean distance
	L1                         // rank = Manhattan distance
)

// Vectors is a slot-major matrix: slot s is Data[s*Dim : (s+1)*Dim]. Slots is len(Data)/Dim.
type Vectors struct {
	Dim  int
	Data []float32
}

// Slots returns the number of vectors.
func (v Vectors) Slots() int { return len(v.Data) / v.Dim }

// Row returns slot s.
func (v Vectors) Row(s uint32) []float32 {
	o := int(s) * v.Dim
	return v.Data[o : o+v.Dim : o+v.Dim]
}

// Params tunes one search.
type Params struct {
	K int
	// MaxDist drops results whose rank distance is larger (a score threshold); NoLimit for none.
	MaxDist float32
	// Accept, if set, must approve a slot before it enters the results (deleted points, filters).
	// It is only called for slots good enough to enter the current top K.
	Accept func(slot uint32) bool
	// Candidates, if set, restricts the search to these slots; when they are few the scan visits
	// only them.
	Candidates filter.Bitmap
}

// NoLimit is the MaxDist that admits every distance.
var NoLimit = float32(math.Inf(1))

// block is how many vectors one batch-kernel call scores in the single-query L1 scan: big enough
// to amortise the call, small enough that the scores stay in L1 (BenchmarkSearch chose it).
const block = 256

// sparseFraction: when candidates are fewer than 1/sparseFraction of the slots, visit only them.
const sparseFraction = 16

var scratch = sync.Pool{New: func() any { b := make([]float32, block); return &b }}

func kernels(m Metric) (pair func(a, b []float32) float32, batch func(q, base, out []float32)) {
	switch m {
	case InnerProduct:
		return distance.Dot, distance.DotBatch
	case L2:
		return distance.L2Sq, distance.L2SqBatch
	case L1:
		return distance.L1, distance.L1Batch
	}
	panic("BUG: flat: unknown metric")
}

func rank(m Metric, x float32) float32 {
	if m == InnerProduct {
		return -x
	}
	return x
}

// Search returns the K best slots for q, best first.
func Search(v Vectors, m Metric, q []float32, p Params) []topk.Item {
	if p.K <= 0 {
		return nil
	}
	n := v.Slots()
	h := topk.New(p.K)
	pair, batch := kernels(m)
	if p.Candidates != nil && p.Candidates.Count()*sparseFraction < n {
		for s, ok := p.Candidates.Next(0); ok && int(s) < n; s, ok = p.Candidates.Next(s + 1) {
			d := rank(m, pair(q, v.Row(s)))
			if d > p.MaxDist || h.Full() && d >= h.Bound() || p.Accept != nil && !p.Accept(s) {
				continue
			}
			h.Push(d, s)
		}
		return h.Sorted()
	}
	if m != L1 {
		return scanBound(v, m, q, p, h)
	}
	bufp := scratch.Get().(*[]float32)
	defer scratch.Put(bufp)
	buf := *bufp
	for b0 := 0; b0 < n; b0 += block {
		cnt := min(block, n-b0)
		batch(q, v.Data[b0*v.Dim:(b0+cnt)*v.Dim], buf[:cnt])
		for i, x := range buf[:cnt] {
			d := rank(m, x)
			if d > p.MaxDist || h.Full() && d >= h.Bound() {
				continue
			}
			s := uint32(b0 + i)
			if p.Candidates != nil && !p.Candidates.Get(s) || p.Accept != nil && !p.Accept(s) {
				continue
			}
			h.Push(d, s)
		}
	}
	return h.Sorted()
}

// minPanelQueries is the smallest batch answered with the panel kernel (batch.go). A panel scores
// all PanelWidth() lanes whatever the number of queries in it: about PanelWidth()/16 times the
// cost of one memory-bound one-query scan of a base beyond cache (2 flops per lane and float at
// about 0.8 of FMA peak against 4 bytes per float at stream bandwidth), but it reads the base once
// per worker and splits it among workers when panels are fewer.
const minPanelQueries = 4

// SearchBatch answers many unfiltered queries on up to workers goroutines (0 means GOMAXPROCS).
// Accept works as in Params. InnerProduct and L2 batches of at least minPanelQueries use the
// panel kernel (batch.go); smaller batches and L1 run Search per query.
func SearchBatch(v Vectors, m Metric, qs [][]float32, k int, accept func(uint32) bool, workers int) [][]topk.Item {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	if m != L1 && len(qs) >= minPanelQueries && v.Slots() > 0 && k > 0 {
		return searchPanels(v, m, qs, k, accept, workers)
	}
	out := make([][]topk.Item, len(qs))
	parallel(len(qs), workers, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			out[i] = Search(v, m, qs[i], Params{K: k, MaxDist: NoLimit, Accept: accept})
		}
	})
	return out
}

// parallel splits [0, n) into up to workers contiguous chunks and runs fn on each concurrently.
func parallel(n, workers int, fn func(lo, hi int)) {
	workers = max(1, min(workers, n))
	per := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			fn(lo, hi)
		}(lo, min(lo+per, n))
	}
	wg.Wait()
}
