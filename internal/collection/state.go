package collection

import (
	"fmt"
	"slices"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/pointid"
)

// bits is a growable bitset over slots.
type bits []uint64

func (b bits) get(i uint32) bool { return int(i>>6) < len(b) && b[i>>6]&(1<<(i&63)) != 0 }
func (b *bits) set(i uint32) {
	for int(i>>6) >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}
func (b bits) clear(i uint32) {
	if int(i>>6) < len(b) {
		b[i>>6] &^= 1 << (i & 63)
	}
}

// space holds one named vector of every point in one contiguous float32 array: slot s occupies
// data[s*dim : (s+1)*dim]. Cosine vectors are stored normalised.
type space struct {
	params VectorParams
	dim    int
	data   []float32
	has    bits // slots that carry this vector
}

func (sp *space) vector(slot uint32) []float32 {
	o := int(slot) * sp.dim
	return sp.data[o : o+sp.dim : o+sp.dim]
}

// flat returns the vectors as a matrix over every slot (callers skip slots without this vector).
func (sp *space) flat() flat.Vectors {
	return flat.Vectors{Dim: sp.dim, Data: sp.data[:len(sp.data)/sp.dim*sp.dim]}
}

func (sp *space) put(slot uint32, v []float32) {
	need := (int(slot) + 1) * sp.dim
	if need > len(sp.data) {
		if need > cap(sp.data) {
			grown := make([]float32, need, max(need, 2*cap(sp.data), 1024*sp.dim))
			copy(grown, sp.data)
			sp.data = grown
		} else {
			sp.data = sp.data[:need]
		}
	}
	dst := sp.vector(slot)
	copy(dst, v)
	if sp.params.Distance == Cosine {
		distance.Normalize(dst)
	}
	sp.has.set(slot)
}

// state is the in-memory content of a collection. It is guarded by Collection.mu: readers hold the
// read lock, apply holds the write lock.
type state struct {
	cfg      *Config
	ids      []pointid.ID     // by slot
	versions []uint64         // by slot: sequence number of the last write to the point
	payloads []map[string]any // by slot; replaced, never mutated in place (readers may hold them)
	live     bits
	free     []uint32 // slots of deleted points, reused by inserts
	byID     map[pointid.ID]uint32
	spaces   map[string]*space
	indexes  *filter.Indexes
	count    int
	sorted   []uint32 // live slots in id order; nil when stale
}

func newState(cfg *Config) *state {
	st := &state{cfg: cfg, byID: make(map[pointid.ID]uint32), spaces: make(map[string]*space), indexes: &filter.Indexes{}}
	st.indexes.IDLookup = st.lookup
	for name, p := range cfg.Vectors {
		st.spaces[name] = &space{params: p, dim: p.Size}
	}
	return st
}

// slots returns the number of slots in use (live or free).
func (st *state) slots() int { return len(st.ids) }

func (st *state) lookup(id pointid.ID) (uint32, bool) {
	s, ok := st.byID[id]
	return s, ok
}

// upsert replaces or inserts a point. Validation happened before the op was logged.
func (st *state) upsert(p *Point, seq uint64) {
	slot, exists := st.byID[p.ID]
	if exists {
		st.indexes.Remove(slot, st.payloads[slot])
	} else {
		if n := len(st.free); n > 0 {
			slot = st.free[n-1]
			st.free = st.free[:n-1]
		} else {
			slot = uint32(len(st.ids))
			st.ids = append(st.ids, p.ID)
			st.versions = append(st.versions, 0)
			st.payloads = append(st.payloads, nil)
		}
		st.ids[slot] = p.ID
		st.byID[p.ID] = slot
		st.live.set(slot)
		st.count++
		st.sorted = nil
	}
	for name, sp := range st.spaces {
		if v, ok := p.Vectors[name]; ok {
			sp.put(slot, v)
		} else {
			sp.has.clear(slot)
		}
	}
	st.payloads[slot] = p.Payload
	st.versions[slot] = seq
	st.indexes.Add(slot, p.Payload)
}

func (st *state) delete(slot uint32) {
	if !st.live.get(slot) {
		return
	}
	st.indexes.Remove(slot, st.payloads[slot])
	delete(st.byID, st.ids[slot])
	st.live.clear(slot)
	for _, sp := range st.spaces {
		sp.has.clear(slot)
	}
	st.payloads[slot] = nil
	st.free = append(st.free, slot)
	st.count--
	st.sorted = nil
}

func (st *state) setPayload(slot uint32, m map[string]any, seq uint64) {
	st.indexes.Remove(slot, st.payloads[slot])
	st.payloads[slot] = m
	st.versions[slot] = seq
	st.indexes.Add(slot, m)
}

// resolve turns a selector into live slots, in ascending slot order for ids given as a filter.
func (st *state) resolve(sel Selector) []uint32 {
	if sel.Filter == nil && sel.FilterJSON == nil {
		out := make([]uint32, 0, len(sel.IDs))
		for _, id := range sel.IDs {
			if s, ok := st.byID[id]; ok {
				out = append(out, s)
			}
		}
		return out
	}
	var out []uint32
	st.forEachMatch(sel.Filter, func(slot uint32) bool {
		out = append(out, slot)
		return true
	})
	return out
}

// forEachMatch calls fn for every live slot whose point matches f, in slot order, until fn returns false.
func (st *state) forEachMatch(f *filter.Filter, fn func(slot uint32) bool) {
	n := st.slots()
	cand, narrowed := f.Candidates(st.indexes, n)
	for s := 0; s < n; s++ {
		slot := uint32(s)
		if !st.live.get(slot) || narrowed && !cand.Get(slot) {
			continue
		}
		if f != nil && !f.Match(st.ids[slot], st.payloads[slot]) {
			continue
		}
		if !fn(slot) {
			return
		}
	}
}

// sortedSlots returns live slots in id order, caching the order until the next insert or delete.
func (st *state) sortedSlots() []uint32 {
	if st.sorted != nil {
		return st.sorted
	}
	out := make([]uint32, 0, st.count)
	for s := range st.ids {
		if st.live.get(uint32(s)) {
			out = append(out, uint32(s))
		}
	}
	slices.SortFunc(out, func(a, b uint32) int {
		ia, ib := st.ids[a], st.ids[b]
		switch {
		case ia.Less(ib):
			return -1
		case ib.Less(ia):
			return 1
		}
		return 0
	})
	st.sorted = out
	return out
}

// apply executes one logged operation. It must not fail for an operation that passed validation;
// an operation whose points or fields vanished in between is applied to what remains (as Qdrant does).
func (st *state) apply(op *Op, seq uint64) error {
	switch op.Kind {
	case OpUpsert:
		for i := range op.Points {
			if err := st.checkPoint(&op.Points[i]); err != nil {
				return err
			}
		}
		for i := range op.Points {
			st.upsert(&op.Points[i], seq)
		}
	case OpDelete:
		for _, s := range st.resolve(op.Select) {
			st.delete(s)
		}
	case OpSetPayload:
		for _, s := range st.resolve(op.Select) {
			st.setPayload(s, mergePayload(st.payloads[s], op.Payload, op.Key), seq)
		}
	case OpOverwritePayload:
		for _, s := range st.resolve(op.Select) {
			st.setPayload(s, op.Payload, seq)
		}
	case OpDeletePayload:
		for _, s := range st.resolve(op.Select) {
			st.setPayload(s, deletePayloadKeys(st.payloads[s], op.Keys), seq)
		}
	case OpClearPayload:
		for _, s := range st.resolve(op.Select) {
			st.setPayload(s, nil, seq)
		}
	case OpCreateIndex:
		ix := filter.NewIndex(op.Field, op.schemaOK)
		for s := range st.ids {
			if st.live.get(uint32(s)) {
				ix.Add(uint32(s), st.payloads[s])
			}
		}
		st.indexes.Put(ix)
	case OpDeleteIndex:
		st.indexes.Delete(op.Field)
	default:
		return fmt.Errorf("BUG: apply of unknown op kind %d", op.Kind)
	}
	return nil
}

// checkPoint validates a point against the configuration.
func (st *state) checkPoint(p *Point) error {
	return st.cfg.checkVectors(p.Vectors)
}
