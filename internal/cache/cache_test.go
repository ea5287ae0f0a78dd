package cache

import (
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
)

func key(i int) [32]byte { return sha256.Sum256([]byte(fmt.Sprint(i))) }

func TestBoundedAndLRU(t *testing.T) {
	c := New(10 * (100 + entryOverhead))
	for i := 0; i < 10; i++ {
		c.Put(key(i), make([]byte, 100))
	}
	c.Get(key(0)) // 0 becomes most recent
	c.Put(key(10), make([]byte, 100))
	if _, ok := c.Get(key(1)); ok {
		t.Fatal("least recently used entry survived")
	}
	if _, ok := c.Get(key(0)); !ok {
		t.Fatal("recently used entry evicted")
	}
	_, _, n, bytes := c.Stats()
	if n != 10 || bytes > 10*(100+entryOverhead) {
		t.Fatalf("entries %d bytes %d", n, bytes)
	}
	c.Put(key(99), make([]byte, 10_000)) // too big for the cache: ignored
	if _, ok := c.Get(key(99)); ok {
		t.Fatal("oversized value stored")
	}
	hits, misses, _, _ := c.Stats()
	if hits != 2 || misses != 2 {
		t.Fatalf("hits %d misses %d", hits, misses)
	}
}

func TestDisabledAndConcurrent(t *testing.T) {
	var nilCache *LRU
	nilCache.Put(key(1), []byte("x"))
	if _, ok := New(0).Get(key(1)); ok {
		t.Fatal("disabled cache returned a value")
	}
	c := New(1 << 16)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c.Put(key(i%50+g), make([]byte, 64))
				c.Get(key(i % 70))
			}
		}(g)
	}
	wg.Wait()
	if _, _, _, b := c.Stats(); b > 1<<16 {
		t.Fatalf("size %d over bound", b)
	}
}
