package hnsw

import "fmt"

// Delete marks slot deleted and reports whether it was live. A deleted
// slot is never returned by a search but stays in the graph as a waypoint,
// so deleting does not disconnect anything; Rebuild drops deleted nodes.
func (x *Index) Delete(slot uint32) bool {
	x.writers.RLock()
	defer x.writers.RUnlock()
	x.grow.RLock()
	defer x.grow.RUnlock()
	if !x.inserted.get(slot) {
		return false
	}
	lk := &x.locks[slot]
	lk.Lock()
	defer lk.Unlock()
	if x.deleted.get(slot) {
		return false
	}
	x.deleted.set(slot)
	x.ndeleted.Add(1)
	return true
}

// Rebuild returns a new index with the same configuration (and trained
// quantizer) over the same vectors, holding only the live slots, built on
// threads goroutines (0: GOMAXPROCS). Use it when many deletes have
// accumulated: a search's cost grows with the deleted waypoints it walks
// through, and its recall falls once they make up a large part of the
// graph. The receiver is unchanged and may keep serving meanwhile; inserts
// and deletes made to it during the rebuild may or may not be reflected.
func (x *Index) Rebuild(threads int) (*Index, error) {
	x.grow.RLock()
	vecs := Vectors{Dim: x.dim, Data: x.vecs}
	cfg := x.cfg
	cfg.Capacity = x.nslots
	quant, attached := x.quant, x.attached
	var live []uint32
	for s := 0; s < x.nslots; s++ {
		if x.inserted.get(uint32(s)) && !x.deleted.get(uint32(s)) {
			live = append(live, uint32(s))
		}
	}
	x.grow.RUnlock()
	y, err := New(cfg, vecs)
	if err != nil {
		return nil, fmt.Errorf("hnsw: rebuild: %w", err)
	}
	y.quant = quant // immutable once set
	y.attached = attached
	y.attachedGen = 1
	// lossy and clamped are derived again as insertAll encodes the live vectors: a deleted
	// vector's clamped code no longer makes every search rescore in full.
	if err := y.insertAll(len(live), threadsOrAll(threads), func(i int) uint32 { return live[i] }); err != nil {
		return nil, fmt.Errorf("hnsw: rebuild: %w", err)
	}
	y.repair()
	return y, nil
}
