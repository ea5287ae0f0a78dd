package hnsw

import (
	"slices"
	"sync/atomic"
)

// Reachability repair. The neighbour heuristic prunes lists as nodes
// arrive, and now and then it drops the last link pointing at some node:
// that node is still in the graph, with links of its own, but no search can
// reach it on level 0 (about 0.12 % of clustered-1M-128, as in hnswlib),
// so it is never returned, however large ef. Build and Rebuild end with a
// pass that links every such node from its nearest reachable neighbour.

// maxRepairPasses bounds the repair: a pass can, rarely, make another
// node unreachable by replacing its link.
const maxRepairPasses = 4

// repair links every inserted node that level-0 search cannot reach from
// the entry point, and returns how many it linked. It takes node locks
// like Insert and may run concurrently with searches and inserts.
func (x *Index) repair() int {
	x.grow.RLock()
	defer x.grow.RUnlock()
	ep, _, ok := unpackEntry(x.entry.Load())
	if !ok {
		return 0
	}
	s := x.getSearcher(0)
	defer x.searchers.Put(s)
	fixed := 0
	r := &reach{reached: make([]bool, x.nslots), indeg: make([]uint16, x.nslots)}
	for pass := 0; pass < maxRepairPasses; pass++ {
		clear(r.reached)
		clear(r.indeg)
		x.mark(ep, r)
		n := 0
		for u := 0; u < x.nslots; u++ {
			if r.reached[u] || !x.inserted.get(uint32(u)) {
				continue
			}
			if x.linkFromReachable(s, uint32(u), r) {
				n++
				x.mark(uint32(u), r)
			}
		}
		fixed += n
		if n == 0 {
			break
		}
	}
	return fixed
}

// reach is the result of a level-0 traversal from the entry point.
type reach struct {
	reached []bool
	indeg   []uint16 // links into each slot from reached nodes (saturating)
}

// mark adds u and everything level-0 links reach from it to r.
func (x *Index) mark(u uint32, r *reach) {
	if r.reached[u] {
		return
	}
	r.reached[u] = true
	stack := []uint32{u}
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		row := x.list0(n)
		for i := range row {
			id := atomic.LoadUint32(&row[i])
			if id == none {
				break
			}
			if r.indeg[id] < 0xffff {
				r.indeg[id]++
			}
			if !r.reached[id] {
				r.reached[id] = true
				stack = append(stack, id)
			}
		}
	}
}

// linkFromReachable adds a link to u from the nearest reached node among
// u's own neighbours (or, if none is reached, among the nodes a search for
// u finds) that has free room, or else that has a neighbour with another
// reached in-link to replace (the farthest such). It reports whether it
// linked u.
func (x *Index) linkFromReachable(s *searcher, u uint32, r *reach) bool {
	x.prepare(&s.qr, x.vec(u))
	cands := readList(x.list0(u), s.nb)
	ids := s.ids[:0]
	for _, c := range cands {
		if r.reached[c] {
			ids = append(ids, c)
		}
	}
	if len(ids) == 0 {
		ep, level, _ := unpackEntry(x.entry.Load())
		ep, epd := x.greedy(s, ep, x.dist1(s, ep), level, 0)
		x.searchLayer(s, ep, epd, x.cfg.EfConstruct, 0, admitBuild)
		for _, k := range s.res {
			if id := keySlot(k); id != u && r.reached[id] {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return false
	}
	df := s.df[:len(ids)]
	x.score(s, ids, df)
	keys := s.keys[:0]
	for i, id := range ids {
		keys = append(keys, key(df[i], id))
	}
	slices.Sort(keys)
	s.keys = keys
	for _, k := range keys {
		if x.linkInto(s, keySlot(k), u, r) {
			r.indeg[u]++
			return true
		}
	}
	return false
}

// linkInto puts u into v's level-0 list if it has room or a neighbour
// that keeps another in-link when replaced (the farthest such).
func (x *Index) linkInto(s *searcher, v, u uint32, r *reach) bool {
	lk := &x.locks[v]
	lk.Lock()
	defer lk.Unlock()
	row := x.list0(v)
	n := listLen(row)
	if n < len(row) {
		atomic.StoreUint32(&row[n], u)
		return true
	}
	nb := readList(row, s.sel[:0])
	s.sel = nb
	d := s.df[:len(nb)]
	x.pairDists(s, v, nb, d)
	far := -1
	for i, w := range nb {
		if r.indeg[w] >= 2 && (far < 0 || d[i] > d[far]) {
			far = i
		}
	}
	if far < 0 {
		return false
	}
	r.indeg[nb[far]]--
	atomic.StoreUint32(&row[far], u)
	return true
}
