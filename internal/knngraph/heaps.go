package knngraph

import (
	"math"
	"math/bits"
	"slices"
)

// heaps is a set of fixed-capacity bounded heaps, one per row, stored back to back in one slice:
// row r's heap is keys[r*k : r*k+count[r]], a 4-ary max-heap (children of i: 4i+1 .. 4i+4)
// whose item 0 is the worst kept.
// Smaller distance is better and ties go to the smaller slot, the order of package topk. Unlike
// topk.Heap it lives in storage the job owns: for all N rows the heaps are exactly the N·K·8-byte
// output (no second copy, no per-row allocation), and a checkpoint can save and restore them
// byte for byte (see docs/decisions/003-knngraph-symmetric-tiling.md).
//
// An item is one uint64 key, orderBits(dist)<<32 | slot, so (dist, slot) order is one integer
// comparison (the encoding internal/index/hnsw uses too).
//
// bound[r] is what a candidate must not exceed to be worth offering to row r: the worst kept
// distance once the row is full, otherwise the admission limit; a row of a private heap set may
// also be capped by the shared row it will be merged into. A candidate with d > bound[r] can be
// skipped without calling push; push decides ties exactly.
//
// A heaps value is not safe for concurrent use; the job gives each row to one goroutine at a time.
type heaps struct {
	k     int
	keys  []uint64
	count []int32
	bound []float32
	limit float32 // admission limit (max distance), +Inf for none
}

// arity is the heap's fan-out: four 8-byte children share a cache line, and the depth for
// K = 200 drops from 8 to 4 (BenchmarkPush; see BENCHMARKS.md, "knn-graph").
const arity = 4

func newHeaps(rows, k int, limit float32) *heaps {
	h := &heaps{k: k, keys: make([]uint64, rows*k), count: make([]int32, rows), bound: make([]float32, rows), limit: limit}
	for i := range h.bound {
		h.bound[i] = limit
	}
	return h
}

// orderBits maps a float32 to a uint32 with the same order (for non-NaN values).
func orderBits(f float32) uint32 {
	b := math.Float32bits(f)
	if b>>31 != 0 {
		return ^b
	}
	return b | 1<<31
}

func fromOrderBits(u uint32) float32 {
	if u>>31 != 0 {
		return math.Float32frombits(u &^ (1 << 31))
	}
	return math.Float32frombits(^u)
}

func key(d float32, slot uint32) uint64 { return uint64(orderBits(d))<<32 | uint64(slot) }
func keyDist(k uint64) float32          { return fromOrderBits(uint32(k >> 32)) }
func keySlot(k uint64) uint32           { return uint32(k) }

// push offers (d, slot) to row r, keeping the k best with distance <= limit.
func (h *heaps) push(r int, d float32, slot uint32) {
	if !(d <= h.limit) { // also drops NaN
		return
	}
	h.pushKey(r, key(d, slot))
}

func (h *heaps) pushKey(r int, x uint64) {
	row := h.keys[r*h.k : (r+1)*h.k : (r+1)*h.k]
	c := int(h.count[r])
	if c < h.k {
		// Sift up from the new leaf.
		i := c
		for i > 0 {
			p := (i - 1) / arity
			if row[p] >= x {
				break
			}
			row[i] = row[p]
			i = p
		}
		row[i] = x
		h.count[r] = int32(c + 1)
		if c+1 == h.k {
			h.bound[r] = min(h.bound[r], keyDist(row[0]))
		}
		return
	}
	if x >= row[0] {
		return
	}
	// Replace the root: move the hole down along the largest children.
	i := 0
	for {
		c0 := arity*i + 1
		if c0+arity > c {
			// A node with fewer than four children: at most one per heap.
			m, mv := i, x
			for j := c0; j < c; j++ {
				if row[j] > mv {
					m, mv = j, row[j]
				}
			}
			row[i] = mv
			if m != i {
				row[m] = x
			}
			break
		}
		ch := row[c0 : c0+arity : c0+arity]
		// The largest of four children without data-dependent branches.
		v01, m01 := maxKey(ch[0], c0, ch[1], c0+1)
		v23, m23 := maxKey(ch[2], c0+2, ch[3], c0+3)
		v01, m01 = maxKey(v01, m01, v23, m23)
		if v01 <= x {
			row[i] = x
			break
		}
		row[i] = v01
		i = m01
	}
	h.bound[r] = min(h.bound[r], keyDist(row[0]))
}

// maxKey returns the larger of a and b with its index (b's on a tie), computed with masks: which
// child is largest is a coin toss, so a branch would mispredict half the time.
func maxKey(a uint64, ia int, b uint64, ib int) (uint64, int) {
	_, lt := bits.Sub64(a, b, 0) // 1 if a < b
	mask := -lt
	return a ^ (a^b)&mask, ia ^ (ia^ib)&int(mask)
}

// row returns row r's kept keys (heap order, or sorted after finish).
func (h *heaps) row(r int) []uint64 {
	return h.keys[r*h.k : r*h.k+int(h.count[r])]
}

// reset empties rows [0, n) and caps each row r's bound at caps[r] (caps may be nil).
func (h *heaps) reset(n int, caps []float32) {
	clear(h.count[:n])
	for r := range n {
		h.bound[r] = h.limit
		if caps != nil {
			h.bound[r] = min(h.limit, caps[r])
		}
	}
}

// finish sorts row r best first; it is then no longer a heap and must not be pushed to.
func (h *heaps) finish(r int) { slices.Sort(h.row(r)) }

// restoreBound recomputes bound[r] after a row was loaded from a checkpoint.
func (h *heaps) restoreBound(r int) {
	h.bound[r] = h.limit
	if int(h.count[r]) == h.k {
		h.bound[r] = min(h.limit, keyDist(h.keys[r*h.k]))
	}
}
