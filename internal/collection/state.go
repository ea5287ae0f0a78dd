package collection

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

// loc is where a point lives: a segment and a slot in it.
type loc struct {
	seg  *segmentData
	slot uint32
}

// indexDef is a payload index definition, kept so every new segment gets the same indexes.
type indexDef struct {
	Field  string          `json:"field"`
	Schema json.RawMessage `json:"schema"`
	schema filter.Schema
}

// state is the in-memory content of a collection: its segments (sealed ones first, the mutable one
// last) and the id map over all of them. It is guarded by Collection.mu.
type state struct {
	cfg     *Config
	segs    []*segmentData
	mutable *segmentData
	byID    map[pointid.ID]loc
	indexes map[string]indexDef
	count   int
	sorted  []loc // live points in id order; nil when stale
	// graphed holds the vector names some segment walks an index for (HNSW graph or IVF);
	// noteGraphs recomputes it whenever segs changes.
	graphed map[string]bool
}

// noteGraphs recomputes graphed from segs.
func (st *state) noteGraphs() {
	g := map[string]bool{}
	for _, sg := range st.segs {
		for name := range sg.graphs {
			g[name] = true
		}
		for name := range sg.ivfs {
			g[name] = true
		}
	}
	st.graphed = g
}

func newState(cfg *Config) *state {
	st := &state{cfg: cfg, byID: map[pointid.ID]loc{}, indexes: map[string]indexDef{}}
	st.addMutable()
	return st
}

// addMutable starts a new, empty mutable segment with the collection's payload indexes.
func (st *state) addMutable() {
	sg := newMutable(st.cfg)
	st.attach(sg)
	st.mutable = sg
	st.segs = append(st.segs, sg)
}

// attachLookup lets has_id conditions narrow a segment's candidates through the id map.
func (st *state) attachLookup(sg *segmentData) {
	sg.indexes.IDLookup = func(id pointid.ID) (uint32, bool) {
		l, ok := st.byID[id]
		if !ok || l.seg != sg {
			return 0, false
		}
		return l.slot, true
	}
}

// attach gives a segment the collection's id lookup and payload indexes.
func (st *state) attach(sg *segmentData) {
	st.attachLookup(sg)
	for _, def := range st.indexes {
		ix := filter.NewIndex(def.Field, def.schema)
		sg.buildIndex(ix)
		sg.indexes.Put(ix)
	}
}

func (st *state) lookup(id pointid.ID) (loc, bool) {
	l, ok := st.byID[id]
	return l, ok
}

// upsert replaces or inserts a point. Validation happened before the op was logged.
func (st *state) upsert(p *Point, seq uint64) {
	l, exists := st.byID[p.ID]
	if exists && l.seg == st.mutable {
		st.mutable.replace(l.slot, p, seq)
		return
	}
	if exists {
		l.seg.kill(l.slot)
	} else {
		st.count++
	}
	st.byID[p.ID] = loc{st.mutable, st.mutable.insert(p, seq)}
	st.sorted = nil
}

func (st *state) delete(l loc) {
	id := l.seg.ids[l.slot]
	l.seg.kill(l.slot)
	delete(st.byID, id)
	st.count--
	st.sorted = nil
}

// setPayload gives a point a new payload; a point of a non-mutable segment moves to the mutable one.
func (st *state) setPayload(l loc, m map[string]any, seq uint64) {
	if l.seg == st.mutable {
		sg := l.seg
		sg.indexes.Remove(l.slot, sg.payloads[l.slot])
		sg.payloads[l.slot] = m
		sg.versions[l.slot] = seq
		sg.indexes.Add(l.slot, m)
		return
	}
	p := Point{ID: l.seg.ids[l.slot], Vectors: l.seg.vectorsOf(l.slot), Sparse: l.seg.sparseOf(l.slot), Payload: m}
	l.seg.kill(l.slot)
	st.byID[p.ID] = loc{st.mutable, st.mutable.insert(&p, seq)}
	st.sorted = nil
}

// resolve turns a selector into the locations of live points.
func (st *state) resolve(sel Selector) []loc {
	if sel.Filter == nil && sel.FilterJSON == nil {
		out := make([]loc, 0, len(sel.IDs))
		seen := make(map[pointid.ID]bool, len(sel.IDs))
		for _, id := range sel.IDs {
			if l, ok := st.byID[id]; ok && !seen[id] {
				seen[id] = true
				out = append(out, l)
			}
		}
		return out
	}
	var out []loc
	st.forEachMatch(sel.Filter, func(l loc) bool {
		out = append(out, l)
		return true
	})
	return out
}

// forEachMatch calls fn for every live point matching f, segment by segment in slot order, until
// fn returns false.
func (st *state) forEachMatch(f *filter.Filter, fn func(loc) bool) {
	for _, sg := range st.segs {
		n := sg.slots()
		cand, narrowed := f.Candidates(sg.indexes, n)
		for s := 0; s < n; s++ {
			slot := uint32(s)
			if !sg.live.get(slot) || narrowed && !cand.Get(slot) {
				continue
			}
			if f != nil && !f.Match(sg.ids[slot], sg.payload(slot)) {
				continue
			}
			if !fn(loc{sg, slot}) {
				return
			}
		}
	}
}

// sortedLocs returns live points in id order, cached until the next insert or delete.
func (st *state) sortedLocs() []loc {
	if st.sorted != nil {
		return st.sorted
	}
	out := make([]loc, 0, st.count)
	for _, sg := range st.segs {
		for s := range sg.ids {
			if sg.live.get(uint32(s)) {
				out = append(out, loc{sg, uint32(s)})
			}
		}
	}
	slices.SortFunc(out, func(a, b loc) int {
		ia, ib := a.seg.ids[a.slot], b.seg.ids[b.slot]
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

// apply executes one logged operation. An operation whose points or fields vanished in between
// validation and apply is applied to what remains, as Qdrant does.
func (st *state) apply(op *Op, seq uint64) error {
	switch op.Kind {
	case OpUpsert:
		for i := range op.Points {
			if err := st.cfg.checkPoint(&op.Points[i]); err != nil {
				return err
			}
		}
		for i := range op.Points {
			st.upsert(&op.Points[i], seq)
		}
	case OpDelete:
		for _, l := range st.resolve(op.Select) {
			st.delete(l)
		}
	case OpSetPayload:
		for _, l := range st.resolve(op.Select) {
			st.setPayload(l, mergePayload(l.seg.payload(l.slot), op.Payload, op.Key), seq)
		}
	case OpOverwritePayload:
		for _, l := range st.resolve(op.Select) {
			st.setPayload(l, op.Payload, seq)
		}
	case OpDeletePayload:
		for _, l := range st.resolve(op.Select) {
			st.setPayload(l, DeletePayloadKeys(l.seg.payload(l.slot), op.Keys), seq)
		}
	case OpClearPayload:
		for _, l := range st.resolve(op.Select) {
			st.setPayload(l, nil, seq)
		}
	case OpCreateIndex:
		st.createIndex(indexDef{Field: op.Field, Schema: op.Schema, schema: op.schemaOK})
	case OpUpdateVectors:
		for i := range op.Points {
			if err := st.cfg.checkPoint(&op.Points[i]); err != nil {
				return err
			}
		}
		for i := range op.Points {
			p := &op.Points[i]
			if l, ok := st.byID[p.ID]; ok {
				st.rewriteVectors(l, func(dense map[string][]float32, sparse map[string]SparseVector) {
					for n, v := range p.Vectors {
						dense[n] = v
					}
					for n, v := range p.Sparse {
						sparse[n] = v
					}
				}, seq)
			}
		}
	case OpDeleteVectors:
		for _, l := range st.resolve(op.Select) {
			st.rewriteVectors(l, func(dense map[string][]float32, sparse map[string]SparseVector) {
				for _, n := range op.Keys {
					delete(dense, n)
					delete(sparse, n)
				}
			}, seq)
		}
	case OpDeleteIndex:
		delete(st.indexes, op.Field)
		for _, sg := range st.segs {
			sg.indexes.Delete(op.Field)
		}
	default:
		return fmt.Errorf("BUG: apply of unknown op kind %d", op.Kind)
	}
	return nil
}

func (st *state) createIndex(def indexDef) {
	st.indexes[def.Field] = def
	for _, sg := range st.segs {
		ix := filter.NewIndex(def.Field, def.schema)
		sg.buildIndex(ix)
		sg.indexes.Put(ix)
	}
}

// close unmaps every sealed segment. The state must not be used afterwards.
func (st *state) close() {
	for _, sg := range st.segs {
		if sg.file != nil {
			sg.file.Close()
		}
	}
}

// rewriteVectors replaces a point's vectors with edit's changes, keeping its payload: in place in
// the mutable segment, by moving the point there otherwise.
func (st *state) rewriteVectors(l loc, edit func(map[string][]float32, map[string]SparseVector), seq uint64) {
	dense, sparse := l.seg.vectorsOf(l.slot), l.seg.sparseOf(l.slot)
	if sparse == nil {
		sparse = map[string]SparseVector{}
	}
	edit(dense, sparse)
	p := Point{ID: l.seg.ids[l.slot], Vectors: dense, Sparse: sparse, Payload: l.seg.payload(l.slot)}
	st.upsert(&p, seq)
}
