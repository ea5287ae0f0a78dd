// Package cache is an LRU of byte values bounded by their total size, for query results.
//
// Keys carry everything a result depends on (collection incarnation and version, request), so
// entries never need explicit invalidation: a write changes the version and stale entries age out.
// Concurrency: safe for concurrent use; one mutex, held only for map and list updates.
package cache

import (
	"container/list"
	"sync"
	"sync/atomic"
)

// entryOverhead approximates the bookkeeping bytes of one entry (map slot, list element, key).
const entryOverhead = 96

// LRU is a size-bounded least-recently-used cache. The zero value is not usable; use New.
type LRU struct {
	mu     sync.Mutex
	max    int64
	size   int64
	ll     *list.List
	items  map[[32]byte]*list.Element
	hits   atomic.Uint64
	misses atomic.Uint64
}

type entry struct {
	key   [32]byte
	value []byte
}

// New returns an LRU holding at most maxBytes of values plus overhead. maxBytes <= 0 disables it.
func New(maxBytes int64) *LRU {
	return &LRU{max: maxBytes, ll: list.New(), items: map[[32]byte]*list.Element{}}
}

// Enabled reports whether the cache stores anything.
func (c *LRU) Enabled() bool { return c != nil && c.max > 0 }

// Get returns the value for key; the returned slice must not be modified.
func (c *LRU) Get(key [32]byte) ([]byte, bool) {
	if !c.Enabled() {
		return nil, false
	}
	c.mu.Lock()
	el, ok := c.items[key]
	if ok {
		c.ll.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		c.misses.Add(1)
		return nil, false
	}
	c.hits.Add(1)
	return el.Value.(*entry).value, true
}

// Put stores value under key, evicting least recently used entries to stay within the bound.
// Values larger than an eighth of the cache are not stored.
func (c *LRU) Put(key [32]byte, value []byte) {
	if !c.Enabled() {
		return
	}
	cost := int64(len(value)) + entryOverhead
	if cost > c.max/8 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.size -= int64(len(el.Value.(*entry).value)) + entryOverhead
		c.ll.Remove(el)
		delete(c.items, key)
	}
	c.items[key] = c.ll.PushFront(&entry{key, value})
	c.size += cost
	for c.size > c.max {
		last := c.ll.Back()
		e := last.Value.(*entry)
		c.ll.Remove(last)
		delete(c.items, e.key)
		c.size -= int64(len(e.value)) + entryOverhead
	}
}

// Stats returns hits, misses, the number of entries and their bytes.
func (c *LRU) Stats() (hits, misses uint64, entries int, bytes int64) {
	if c == nil {
		return 0, 0, 0, 0
	}
	c.mu.Lock()
	entries, bytes = len(c.items), c.size
	c.mu.Unlock()
	return c.hits.Load(), c.misses.Load(), entries, bytes
}
