package knngraph

import (
	"cmp"
	"math"
	"slices"

	"github.com/needlevdb/needle/internal/topk"
)

// heaps is a set of fixed-capacity bounded heaps, one per row, stored back to back in one slice:
// row r's heap is items[r*k : r*k+count[r]], a binary max-heap on (Dist, Slot) whose item 0 is
// the worst kept, the same order as topk.Heap (smaller distance is better, ties go to the
// smaller slot). Unlike topk.Heap it lives in storage the job owns: for all N rows the heaps
// are exactly the N·K output (no second copy, no per-row allocation), and they can be written
// to and restored from a checkpoint byte for byte (see docs/decisions/003-knngraph-symmetric.md).
//
// bound[r] is what a candidate must not exceed to be worth offering to row r: the worst kept
// distance once the row is full, otherwise the admission limit; a row of a private heap set may
// also be capped by the shared row it will be merged into. A candidate with d > bound[r] can be
// skipped without calling push; push decides ties exactly.
//
// A heaps value is not safe for concurrent use; the job gives each row to one goroutine at a time.
type heaps struct {
	k     int
	items []topk.Item
	count []int32
	bound []float32
	limit float32 // admission limit (max distance), +Inf for none
}

func newHeaps(rows, k int, limit float32) *heaps {
	h := &heaps{k: k, items: make([]topk.Item, rows*k), count: make([]int32, rows), bound: make([]float32, rows), limit: limit}
	for i := range h.bound {
		h.bound[i] = limit
	}
	return h
}

// worse reports whether a ranks after b: topk's order.
func worse(a, b topk.Item) bool {
	if a.Dist != b.Dist {
		return a.Dist > b.Dist
	}
	return a.Slot > b.Slot
}

// push offers (d, slot) to row r, keeping the k best with distance <= limit.
func (h *heaps) push(r int, d float32, slot uint32) {
	if !(d <= h.limit) { // also drops NaN
		return
	}
	row := h.items[r*h.k : (r+1)*h.k : (r+1)*h.k]
	it := topk.Item{Dist: d, Slot: slot}
	c := int(h.count[r])
	if c < h.k {
		row[c] = it
		siftUp(row, c)
		h.count[r] = int32(c + 1)
		if c+1 == h.k {
			h.bound[r] = min(h.bound[r], row[0].Dist)
		}
		return
	}
	if !worse(row[0], it) {
		return
	}
	row[0] = it
	siftDown(row, 0, c)
	h.bound[r] = min(h.bound[r], row[0].Dist)
}

// row returns row r's kept items (heap order, or sorted after finish).
func (h *heaps) row(r int) []topk.Item {
	return h.items[r*h.k : r*h.k+int(h.count[r])]
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
func (h *heaps) finish(r int) {
	slices.SortFunc(h.row(r), func(a, b topk.Item) int {
		if c := cmp.Compare(a.Dist, b.Dist); c != 0 {
			return c
		}
		return cmp.Compare(a.Slot, b.Slot)
	})
}

// restoreBound recomputes bound[r] after a row was loaded from a checkpoint.
func (h *heaps) restoreBound(r int) {
	h.bound[r] = h.limit
	if int(h.count[r]) == h.k {
		h.bound[r] = min(h.limit, h.items[r*h.k].Dist)
	}
}

func siftUp(items []topk.Item, i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(items[i], items[p]) {
			return
		}
		items[i], items[p] = items[p], items[i]
		i = p
	}
}

func siftDown(items []topk.Item, i, n int) {
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && worse(items[r], items[l]) {
			m = r
		}
		if !worse(items[m], items[i]) {
			return
		}
		items[i], items[m] = items[m], items[i]
		i = m
	}
}

var inf32 = float32(math.Inf(1))
