package ivf

import (
	"fmt"
	"runtime"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/kmeans"
)

// addChunk is the number of vectors Add assigns and encodes at a time.
const addChunk = 1 << 14

// Add indexes the given slots of vecs (which become the vectors Search
// reads, as with SetVectors). It fails before Train or for a slot outside
// vecs, and then adds nothing. Concurrent searches see each list either
// without or with all of this call's entries.
func (x *Index) Add(vecs flat.Vectors, slots ...uint32) error {
	if err := x.checkAdd(vecs); err != nil {
		return err
	}
	n := vecs.Slots()
	for _, s := range slots {
		if int(s) >= n {
			return fmt.Errorf("ivf: Add: slot %d outside the %d vectors", s, n)
		}
	}
	return x.add(vecs, len(slots), func(i int) uint32 { return slots[i] })
}

// AddRange indexes slots lo, lo+1, ..., hi-1 of vecs, as Add.
func (x *Index) AddRange(vecs flat.Vectors, lo, hi int) error {
	if err := x.checkAdd(vecs); err != nil {
		return err
	}
	if lo < 0 || hi < lo || hi > vecs.Slots() || hi > 1<<32 {
		return fmt.Errorf("ivf: AddRange: slots [%d, %d) outside the %d vectors", lo, hi, vecs.Slots())
	}
	return x.add(vecs, hi-lo, func(i int) uint32 { return uint32(lo + i) })
}

func (x *Index) checkAdd(vecs flat.Vectors) error {
	if !x.trained.Load() {
		return ErrNotTrained
	}
	if vecs.Dim != x.cfg.Dim {
		return fmt.Errorf("ivf: Add: vectors of dimension %d, index %d", vecs.Dim, x.cfg.Dim)
	}
	return nil
}

// add assigns and encodes the n slots slot(0..n-1) chunk by chunk, then
// publishes every changed list.
func (x *Index) add(vecs flat.Vectors, n int, slot func(int) uint32) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.vecs.Store(&vecs)
	dim, m := x.cfg.Dim, x.cfg.PQM
	workers := x.cfg.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	heads := map[int32]*list{}
	buf := make([]float32, min(n, addChunk)*dim)
	assign := make([]int32, min(n, addChunk))
	codes := make([]byte, min(n, addChunk)*m)
	for c0 := 0; c0 < n; c0 += addChunk {
		cn := min(addChunk, n-c0)
		for i := range cn {
			copy(buf[i*dim:(i+1)*dim], vecs.Row(slot(c0+i)))
		}
		data := buf[:cn*dim]
		kmeans.AssignBatch(x.centroids, dim, x.cfg.Metric, data, assign[:cn], nil, workers)
		if x.pq != nil {
			residuals(data, x.centroids, dim, assign[:cn])
			x.pq.EncodeBatch(data, codes[:cn*m], workers)
		}
		for i, a := range assign[:cn] {
			h := heads[a]
			if h == nil {
				old := x.lists[a].Load()
				h = &list{ids: old.ids, codes: old.codes}
				heads[a] = h
			}
			h.ids = append(h.ids, slot(c0+i))
			if m > 0 {
				h.codes = append(h.codes, codes[i*m:(i+1)*m]...)
			}
		}
	}
	for a, h := range heads {
		x.lists[a].Store(h)
	}
	x.count.Add(int64(n))
	return nil
}
