package hnsw

import (
	"sync"
	"sync/atomic"
)

// Neighbour lists. A list is a fixed run of capacity words holding its
// ids packed at the front and none after them (no count word: for M = 16 a
// level-0 list is 32 words, two aligned cache lines). Level-0 lists live in
// links0 at a stride of 2M words per slot; the lists of levels 1..L of a
// node of level L live back to back (M words each) in the upper arena.
// Lists are read and written with atomic word operations (see the package
// documentation): a reader racing with a rewrite may see a mix of old and
// new ids, every one of them a valid node.

// none marks an unused entry of a list.
const none = ^uint32(0)

// list0 returns slot s's level-0 list. The caller holds grow for reading.
func (x *Index) list0(s uint32) []uint32 {
	w := x.m0
	o := int(s) * w
	return x.links0[o : o+w : o+w]
}

// list returns slot s's list on level l; s must have a level >= l.
func (x *Index) list(s uint32, l int) []uint32 {
	if l == 0 {
		return x.list0(s)
	}
	return x.upper.row(atomic.LoadUint32(&x.upperOff[s])-1, l)
}

// capacity returns how many ids a list on level l holds.
func (x *Index) capacity(l int) int {
	if l == 0 {
		return x.m0
	}
	return x.m
}

// readList copies the ids of a list into buf[:0] and returns it.
func readList(row []uint32, buf []uint32) []uint32 {
	buf = buf[:0]
	for i := range row {
		id := atomic.LoadUint32(&row[i])
		if id == none {
			break
		}
		buf = append(buf, id)
	}
	return buf
}

// listLen returns the number of ids in a list. The caller holds the node's
// lock (so the list does not change).
func listLen(row []uint32) int {
	for i := range row {
		if atomic.LoadUint32(&row[i]) == none {
			return i
		}
	}
	return len(row)
}

// writeList replaces a list's ids. The caller holds the node's lock.
func writeList(row []uint32, ids []uint32) {
	for i, id := range ids {
		atomic.StoreUint32(&row[i], id)
	}
	for i := len(ids); i < len(row); i++ {
		if atomic.LoadUint32(&row[i]) == none {
			break
		}
		atomic.StoreUint32(&row[i], none)
	}
}

// fillNone sets every word of s to none (fresh lists).
func fillNone(s []uint32) {
	for i := range s {
		s[i] = none
	}
}

// arena holds the upper-level lists in fixed-size chunks that never move,
// so readers need no lock: they load the chunk directory atomically.
// Offsets are word indexes (chunk<<chunkShift | word).
type arena struct {
	mu       sync.Mutex
	dir      atomic.Pointer[[]*[chunkWords]uint32]
	used     int // words used in the last chunk
	rowWords int // M
}

// chunkShift sizes a chunk (64 KiB) so that a small index wastes little
// and every node's lists (at most maxLevel*(MaxM+1) words) fit in one.
const (
	chunkShift = 14
	chunkWords = 1 << chunkShift
)

func (a *arena) init(rowWords int) {
	a.rowWords = rowWords
	dir := []*[chunkWords]uint32{}
	a.dir.Store(&dir)
	a.used = chunkWords
}

// alloc reserves empty lists for levels 1..levels and returns the offset.
func (a *arena) alloc(levels int) uint32 {
	words := levels * a.rowWords
	a.mu.Lock()
	defer a.mu.Unlock()
	dir := *a.dir.Load()
	if a.used+words > chunkWords {
		next := make([]*[chunkWords]uint32, len(dir)+1)
		copy(next, dir)
		c := new([chunkWords]uint32)
		fillNone(c[:])
		next[len(dir)] = c
		a.dir.Store(&next)
		dir = next
		a.used = 0
	}
	off := uint32(len(dir)-1)<<chunkShift | uint32(a.used)
	a.used += words
	return off
}

// row returns the list of level l (>= 1) of the node whose lists start at off.
func (a *arena) row(off uint32, l int) []uint32 {
	c := (*a.dir.Load())[off>>chunkShift]
	o := int(off&(chunkWords-1)) + (l-1)*a.rowWords
	return c[o : o+a.rowWords : o+a.rowWords]
}

// words returns the number of words allocated (chunks times chunk size).
func (a *arena) bytes() int64 { return int64(len(*a.dir.Load())) * chunkWords * 4 }

// bitmap is a set of slots with atomic word updates.
type bitmap struct{ words []uint64 }

func (b *bitmap) resize(n int) { b.words = growSlice(b.words, (n+63)/64) }

func (b *bitmap) get(i uint32) bool {
	w := int(i >> 6)
	return w < len(b.words) && atomic.LoadUint64(&b.words[w])&(1<<(i&63)) != 0
}

func (b *bitmap) set(i uint32) { atomic.OrUint64(&b.words[i>>6], 1<<(i&63)) }

func (b *bitmap) clear(i uint32) { atomic.AndUint64(&b.words[i>>6], ^uint64(1<<(i&63))) }
