package embed

import "strings"

// lru is a least-recently-used map from text to its embedding, bounded by entry count. Not safe
// for concurrent use: a provider guards it with its mutex. The vectors it holds are never
// modified (Embed hands out copies).
type lru struct {
	max   int
	items map[string]*lruEntry
	head  lruEntry // sentinel: head.next is the most recent, head.prev the least
}

type lruEntry struct {
	key        string
	vec        []float32
	prev, next *lruEntry
}

func newLRU(max int) *lru {
	c := &lru{max: max, items: make(map[string]*lruEntry)}
	c.head.next, c.head.prev = &c.head, &c.head
	return c
}

func (c *lru) unlink(e *lruEntry) {
	e.prev.next, e.next.prev = e.next, e.prev
}

func (c *lru) pushFront(e *lruEntry) {
	e.prev, e.next = &c.head, c.head.next
	c.head.next.prev = e
	c.head.next = e
}

// get returns the vector for key and marks it most recently used.
func (c *lru) get(key string) ([]float32, bool) {
	e, ok := c.items[key]
	if !ok {
		return nil, false
	}
	c.unlink(e)
	c.pushFront(e)
	return e.vec, true
}

// put stores vec under key, evicting the least recently used entry beyond the bound.
func (c *lru) put(key string, vec []float32) {
	if c.max <= 0 {
		return
	}
	if e, ok := c.items[key]; ok {
		e.vec = vec
		c.unlink(e)
		c.pushFront(e)
		return
	}
	key = strings.Clone(key) // the caller's string may share a larger buffer
	e := &lruEntry{key: key, vec: vec}
	c.items[key] = e
	c.pushFront(e)
	if len(c.items) > c.max {
		last := c.head.prev
		c.unlink(last)
		delete(c.items, last.key)
	}
}

func (c *lru) len() int { return len(c.items) }
