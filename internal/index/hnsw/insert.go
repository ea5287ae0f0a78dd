package hnsw

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
)

// Train fits the Int8 quantizer on sample (a strided subset of at most
// 100,000 of its vectors). It must run before the first Insert and only
// once; for a Float32 index it does nothing.
func (x *Index) Train(sample Vectors) error {
	if x.cfg.Quantization != Int8 {
		return nil
	}
	if sample.Dim != x.dim {
		return fmt.Errorf("hnsw: Train: sample has dimension %d, index %d", sample.Dim, x.dim)
	}
	z, err := newQuantizer(x.dim, sample.Slots(), func(i int) []float32 { return sample.Row(uint32(i)) }, x.cfg.Quantile)
	if err != nil {
		return err
	}
	x.grow.Lock()
	defer x.grow.Unlock()
	if x.quant != nil {
		return fmt.Errorf("hnsw: Train called twice")
	}
	x.quant = z
	return nil
}

// Build trains the quantizer on the first n vectors if it is untrained
// (Int8), then inserts slots 0..n-1 on threads goroutines (0: GOMAXPROCS),
// then links any node the pruning left unreachable (see repair).
func (x *Index) Build(n, threads int) error {
	threads = threadsOrAll(threads)
	x.grow.RLock()
	have, trained := len(x.vecs)/x.dim, x.quant != nil
	vecs := Vectors{Dim: x.dim, Data: x.vecs}
	x.grow.RUnlock()
	if n > have {
		return fmt.Errorf("hnsw: Build of %d slots over %d vectors: %w", n, have, ErrNoVector)
	}
	if x.cfg.Quantization == Int8 && !trained {
		if err := x.Train(Vectors{Dim: x.dim, Data: vecs.Data[:n*x.dim]}); err != nil {
			return err
		}
	}
	x.reserve(uint32(max(n, 1) - 1))
	if err := x.insertAll(n, threads, func(i int) uint32 { return uint32(i) }); err != nil {
		return err
	}
	x.repair()
	return nil
}

// insertAll inserts slot(i) for i < n on threads goroutines and returns
// the first error.
func (x *Index) insertAll(n, threads int, slot func(i int) uint32) error {
	var next atomic.Int64
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for t := 0; t < max(1, min(threads, n)); t++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := x.Insert(slot(i)); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n))
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// Insert adds slot, whose vector the caller has already written, to the
// graph. It is safe for concurrent use with every other method except
// Train and WriteTo.
func (x *Index) Insert(slot uint32) error {
	x.writers.RLock()
	defer x.writers.RUnlock()
	x.reserve(slot)
	x.grow.RLock()
	defer x.grow.RUnlock()
	if (int(slot)+1)*x.dim > len(x.vecs) {
		return fmt.Errorf("hnsw: insert slot %d: %w", slot, ErrNoVector)
	}
	if x.attached != nil && int(slot) >= x.attached.Len() {
		return fmt.Errorf("hnsw: insert slot %d: attached codes cover %d slots", slot, x.attached.Len())
	}
	if x.cfg.Quantization == Int8 && x.quant == nil {
		return ErrUntrained
	}
	level := x.randomLevel(slot)
	lk := &x.locks[slot]
	lk.Lock()
	if x.levels[slot] != 0 {
		lk.Unlock()
		return fmt.Errorf("hnsw: insert slot %d: %w", slot, ErrExists)
	}
	x.levels[slot] = uint8(level + 1)
	if level > 0 {
		atomic.StoreUint32(&x.upperOff[slot], x.upper.alloc(level)+1)
	}
	if x.quant != nil {
		o := int(slot) * x.codeStride
		exact, clamped := x.quant.encode(x.vec(slot), x.codes[o:o+x.codeStride])
		if !exact && !x.lossy.Load() {
			x.lossy.Store(true)
		}
		if clamped && !x.clamped.Load() {
			x.clamped.Store(true)
		}
	}
	lk.Unlock()

	epSlot, epLevel, ok := unpackEntry(x.entry.Load())
	raise := !ok || level > epLevel
	if raise {
		x.entryMu.Lock()
		epSlot, epLevel, ok = unpackEntry(x.entry.Load())
		if raise = !ok || level > epLevel; !raise {
			x.entryMu.Unlock()
		}
	}
	if ok {
		s := x.getSearcher(0)
		x.link(s, slot, level, epSlot, epLevel)
		x.searchers.Put(s)
	}
	x.inserted.set(slot)
	x.count.Add(1)
	if raise {
		x.entry.Store(packEntry(slot, level))
		x.entryMu.Unlock()
	}
	return nil
}

// link finds slot's neighbours on levels min(level, epLevel)..0 and
// connects it to them in both directions. Slot's own lists are written on
// every level first, and only then is slot added to its neighbours' lists:
// a concurrent insert that reaches slot on some level must find its lists
// below already filled, or its own search would stop at slot's empty list
// and link it to slot alone (seen as an occasional weak parallel build of
// clustered data: nodes routed into the wrong cluster).
func (x *Index) link(s *searcher, slot uint32, level int, ep uint32, epLevel int) {
	x.prepare(&s.qr, x.vec(slot))
	epd := x.dist1(s, ep)
	ep, epd = x.greedy(s, ep, epd, epLevel, level)
	top := min(level, epLevel)
	if cap(s.perLevel) < top+1 {
		s.perLevel = make([][]uint32, top+1)
	}
	perLevel := s.perLevel[:top+1]
	for l := top; l >= 0; l-- {
		perLevel[l] = perLevel[l][:0]
		x.searchLayer(s, ep, epd, x.cfg.EfConstruct, l, admitBuild)
		keys := s.keys[:0]
		for _, k := range s.res {
			// A concurrent insert may have linked slot already, so the
			// search can meet it: never link a node to itself.
			if keySlot(k) != slot {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		s.keys = keys
		if len(keys) == 0 {
			continue
		}
		ep, epd = keySlot(keys[0]), keyDist(keys[0])
		nb := x.heuristic(s, keys, x.m, perLevel[l])
		perLevel[l] = nb
		x.setList(s, slot, l, nb)
	}
	for l := top; l >= 0; l-- {
		for _, n := range perLevel[l] {
			x.addLink(s, n, slot, l)
		}
	}
}

// setList writes slot's own list on level l. Concurrent inserts that
// reached slot through its upper levels may already have added themselves
// to it: those links are kept (pruned with the heuristic if the list
// overflows), or they would have no way back to them.
func (x *Index) setList(s *searcher, slot uint32, l int, nb []uint32) {
	lk := &x.locks[slot]
	lk.Lock()
	defer lk.Unlock()
	row := x.list(slot, l)
	old := readList(row, s.nb)
	if len(old) == 0 {
		writeList(row, nb)
		return
	}
	ids := append(old, nb...)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) <= x.capacity(l) {
		writeList(row, ids)
		return
	}
	df := s.df[:len(ids)]
	x.pairDists(s, slot, ids, df)
	keys := s.keys[:0]
	for i, id := range ids {
		keys = append(keys, key(df[i], id))
	}
	slices.Sort(keys)
	s.keys = keys
	writeList(row, x.heuristic(s, keys, x.capacity(l), s.sel[:0]))
}

// addLink adds the edge from n to slot on level l, pruning n's list with
// the heuristic if it is full.
func (x *Index) addLink(s *searcher, n, slot uint32, l int) {
	lk := &x.locks[n]
	lk.Lock()
	defer lk.Unlock()
	row := x.list(n, l)
	c := x.capacity(l)
	if n := listLen(row); n < c {
		atomic.StoreUint32(&row[n], slot)
		return
	}
	ids := readList(row, s.nb)
	ids = append(ids, slot)
	df := s.df[:len(ids)]
	x.pairDists(s, n, ids, df)
	keys := s.keys[:0]
	for i, id := range ids {
		keys = append(keys, key(df[i], id))
	}
	slices.Sort(keys)
	s.keys = keys
	sel := x.heuristic(s, keys, c, s.sel[:0])
	s.sel = sel
	writeList(row, sel)
}

// heuristic is hnswlib's neighbour selection: walking the candidates
// nearest first, keep one unless it is nearer to an already kept one than
// to the base, until m are kept. keys are sorted ascending.
func (x *Index) heuristic(s *searcher, keys []uint64, m int, out []uint32) []uint32 {
	if len(keys) <= m {
		for _, k := range keys {
			out = append(out, keySlot(k))
		}
		return out
	}
	codes := x.codeDistances()
	for _, k := range keys {
		if len(out) >= m {
			break
		}
		id, d := keySlot(k), keyDist(k)
		good := true
		if codes {
			// L2 is symmetric: score the candidate's code against the kept
			// nodes' codes, widened once each as they are kept.
			c := x.code(id)
			for j := range out {
				if x.quant.l2(distance.L2SqU8(s.kept[j*x.codeStride:(j+1)*x.codeStride], c)) < d {
					good = false
					break
				}
			}
		} else {
			for _, o := range out {
				if x.pairDist(id, o) < d {
					good = false
					break
				}
			}
		}
		if good {
			if codes {
				s.kept = append(s.kept[:len(out)*x.codeStride], x.widen(s, id)...)
			}
			out = append(out, id)
		}
	}
	return out
}

// codeDistances reports whether the build compares stored nodes with each
// other on their codes (L2 with Int8: the code distance times step² is the
// distance of the reconstructions, the same scale as the traversal's) rather
// than on their float vectors. Inner products of two codes need per-vector
// terms, so Int8 inner-product builds use the float vectors.
func (x *Index) codeDistances() bool { return x.quant != nil && x.cfg.Metric == flat.L2 }

// code returns slot s's code row (the first dim bytes are used).
func (x *Index) code(s uint32) []uint8 {
	o := int(s) * x.codeStride
	return x.codes[o : o+x.codeStride : o+x.codeStride]
}

// widen returns slot s's code as an int16 query (in s.w16).
func (x *Index) widen(sr *searcher, s uint32) []int16 {
	if cap(sr.w16) < x.codeStride {
		sr.w16 = make([]int16, x.codeStride)
	}
	w := sr.w16[:x.codeStride]
	for i, c := range x.code(s) {
		w[i] = int16(c)
	}
	return w
}

// l2 converts an integer code distance to the traversal's float scale.
func (z *quantizer) l2(d int32) float32 { return z.step * z.step * float32(d) }

// pairDist is the exact distance between two inserted slots.
func (x *Index) pairDist(a, b uint32) float32 {
	if x.cfg.Metric == flat.L2 {
		return distance.L2Sq(x.vec(a), x.vec(b))
	}
	return -distance.Dot(x.vec(a), x.vec(b))
}

// pairDists writes the distances from slot a to ids into out: on codes
// when codeDistances, else exact.
func (x *Index) pairDists(s *searcher, a uint32, ids []uint32, out []float32) {
	if x.codeDistances() {
		d32 := s.d32[:len(ids)]
		distance.L2SqU8Gather(x.widen(s, a), x.codes, x.codeStride, ids, d32)
		for i, v := range d32 {
			out[i] = x.quant.l2(v)
		}
		return
	}
	if x.cfg.Metric == flat.L2 {
		distance.L2SqGather(x.vec(a), x.vecs, ids, out)
		return
	}
	distance.DotGather(x.vec(a), x.vecs, ids, out)
	for i := range ids {
		out[i] = -out[i]
	}
}

func threadsOrAll(t int) int {
	if t <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return t
}
