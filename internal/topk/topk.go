// Package topk keeps the k best candidates of a search.
//
// Every index and scan in Needle ranks by a distance where smaller is better (dot-product and cosine
// scores are negated before they get here), so one bounded max-heap serves every metric.
// A Heap is not safe for concurrent use; each search owns its own.
package topk

import "slices"

// Item is one candidate: an internal slot number and its distance (smaller is better).
type Item struct {
	Dist float32
	Slot uint32
}

// worse reports whether a ranks after b. Ties are broken by slot so results are deterministic.
func worse(a, b Item) bool {
	if a.Dist != b.Dist {
		return a.Dist > b.Dist
	}
	return a.Slot > b.Slot
}

// Heap holds at most K items: the K smallest distances pushed so far.
type Heap struct {
	k     int
	items []Item // max-heap on (Dist, Slot): items[0] is the worst kept item
}

// New returns an empty heap that keeps the k best items. k must be positive.
func New(k int) *Heap {
	if k <= 0 {
		panic("BUG: topk.New with k <= 0")
	}
	return &Heap{k: k, items: make([]Item, 0, min(k, 1024))} // grows on demand: k may be huge
}

// Reset empties the heap and sets a new capacity, reusing its storage.
func (h *Heap) Reset(k int) {
	if k <= 0 {
		panic("BUG: topk.Reset with k <= 0")
	}
	h.k = k
	h.items = h.items[:0]
}

// Len returns how many items are held.
func (h *Heap) Len() int { return len(h.items) }

// Full reports whether the heap holds K items.
func (h *Heap) Full() bool { return len(h.items) == h.k }

// Bound returns the distance an item must beat to enter a full heap (+Inf semantics are the
// caller's: check Full first).
func (h *Heap) Bound() float32 { return h.items[0].Dist }

// Push offers an item; it is kept if the heap is not full or it beats the worst kept item.
// It reports whether the item was kept.
func (h *Heap) Push(dist float32, slot uint32) bool {
	it := Item{Dist: dist, Slot: slot}
	if len(h.items) < h.k {
		h.items = append(h.items, it)
		h.up(len(h.items) - 1)
		return true
	}
	if !worse(h.items[0], it) {
		return false
	}
	h.items[0] = it
	h.down(0)
	return true
}

// Sorted returns the kept items best first. The heap is left empty.
func (h *Heap) Sorted() []Item { return h.AppendSorted(make([]Item, 0, len(h.items))) }

// AppendSorted appends the kept items to dst best first and returns it, without allocating
// when dst has room (a caller's reused scratch). The heap is left empty.
func (h *Heap) AppendSorted(dst []Item) []Item {
	n := len(dst)
	dst = append(dst, h.items...)
	h.items = h.items[:0]
	SortItems(dst[n:])
	return dst
}

// SortItems sorts items best first (ascending distance, then slot).
func SortItems(items []Item) {
	slices.SortFunc(items, func(a, b Item) int { // no reflection, no allocation (sort.Slice allocated per call)
		switch {
		case worse(b, a):
			return -1
		case worse(a, b):
			return 1
		}
		return 0
	})
}

// Merge combines several best-first lists into the k best, best first.
func Merge(k int, lists ...[]Item) []Item {
	h := New(k)
	for _, l := range lists {
		for _, it := range l {
			h.Push(it.Dist, it.Slot)
		}
	}
	return h.Sorted()
}

func (h *Heap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !worse(h.items[i], h.items[p]) {
			return
		}
		h.items[i], h.items[p] = h.items[p], h.items[i]
		i = p
	}
}

func (h *Heap) down(i int) {
	n := len(h.items)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && worse(h.items[r], h.items[l]) {
			m = r
		}
		if !worse(h.items[m], h.items[i]) {
			return
		}
		h.items[i], h.items[m] = h.items[m], h.items[i]
		i = m
	}
}
