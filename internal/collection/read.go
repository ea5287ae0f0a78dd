package collection

import (
	"math"
	"slices"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

// VectorSelect says which vectors to return with points: none, all, or the named ones.
type VectorSelect struct {
	All   bool
	Names []string
}

// Any reports whether any vector is requested.
func (v VectorSelect) Any() bool { return v.All || len(v.Names) > 0 }

// Record is a point as read back. Payload maps are shared with the collection and must not be
// modified; vectors are copies.
type Record struct {
	ID         pointid.ID
	Version    uint64
	Score      float32
	Payload    map[string]any
	Vectors    map[string][]float32
	Sparse     map[string]SparseVector
	OrderValue *float64
}

// record builds the Record of a live point; the caller holds c.mu.
func (c *Collection) record(l loc, withPayload bool, vs VectorSelect) Record {
	sg, slot := l.seg, l.slot
	r := Record{ID: sg.ids[slot], Version: sg.versions[slot]}
	if withPayload {
		r.Payload = sg.payload(slot)
		if r.Payload == nil {
			r.Payload = map[string]any{}
		}
	}
	if vs.Any() {
		r.Vectors = make(map[string][]float32)
		for name, sp := range sg.spaces {
			if !vs.All && !slices.Contains(vs.Names, name) {
				continue
			}
			if sp.has.get(slot) {
				r.Vectors[name] = slices.Clone(sp.vector(slot))
			}
		}
		for name, ss := range sg.sparse {
			if (vs.All || slices.Contains(vs.Names, name)) && ss.has.get(slot) {
				if r.Sparse == nil {
					r.Sparse = map[string]SparseVector{}
				}
				r.Sparse[name] = ss.vector(slot)
			}
		}
	}
	return r
}

// CheckVectorNames reports an error naming the first requested vector that is not configured.
func (c *Collection) CheckVectorNames(vs VectorSelect) error {
	for _, n := range vs.Names {
		_, sparse := c.cfg.SparseVectors[n]
		if _, ok := c.cfg.Vectors[n]; !ok && !sparse {
			return invalidf("Wrong input: Not existing vector name error: %s", n)
		}
	}
	return nil
}

// Get returns the points with the given ids, in request order, skipping ids that do not exist.
func (c *Collection) Get(ids []pointid.ID, withPayload bool, vs VectorSelect) ([]Record, error) {
	if err := c.CheckVectorNames(vs); err != nil {
		return nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return nil, ErrClosed
	}
	out := make([]Record, 0, len(ids))
	seen := make(map[pointid.ID]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		if l, ok := c.st.lookup(id); ok {
			out = append(out, c.record(l, withPayload, vs))
		}
	}
	return out, nil
}

// Count returns how many points match f (all points when f is nil); 0 once the collection is closed.
func (c *Collection) Count(f *filter.Filter) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return 0
	}
	if f == nil {
		return c.st.count
	}
	n := 0
	c.st.forEachMatch(f, func(loc) bool { n++; return true })
	return n
}

// ScrollRequest pages through points in id order, or by an indexed numeric payload field.
type ScrollRequest struct {
	Filter      *filter.Filter
	Offset      *pointid.ID // first id to return (inclusive)
	Limit       int
	WithPayload bool
	Vectors     VectorSelect
	OrderBy     *OrderBy
}

// OrderBy orders a scroll by a numeric payload field with a payload index.
type OrderBy struct {
	Key       string
	Desc      bool
	StartFrom *float64
}

// Scroll returns up to Limit points and the id to continue from (nil at the end). With OrderBy the
// continuation is by start_from, as in Qdrant, and next is always nil.
func (c *Collection) Scroll(req ScrollRequest) ([]Record, *pointid.ID, error) {
	if req.Limit <= 0 {
		return nil, nil, invalidf("limit must be positive")
	}
	if err := c.CheckVectorNames(req.Vectors); err != nil {
		return nil, nil, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return nil, nil, ErrClosed
	}
	if req.OrderBy != nil {
		recs, err := c.scrollOrdered(req)
		return recs, nil, err
	}
	st := c.st
	order := st.sortedLocs()
	start := 0
	if req.Offset != nil {
		off := *req.Offset
		start, _ = slices.BinarySearchFunc(order, off, func(l loc, id pointid.ID) int {
			switch lid := l.seg.ids[l.slot]; {
			case lid.Less(id):
				return -1
			case id.Less(lid):
				return 1
			}
			return 0
		})
	}
	out := make([]Record, 0, min(req.Limit, 1024))
	for i := start; i < len(order); i++ {
		l := order[i]
		if req.Filter != nil && !req.Filter.Match(l.seg.ids[l.slot], l.seg.payload(l.slot)) {
			continue
		}
		if len(out) == req.Limit {
			next := l.seg.ids[l.slot]
			return out, &next, nil
		}
		out = append(out, c.record(l, req.WithPayload, req.Vectors))
	}
	return out, nil, nil
}

func (c *Collection) scrollOrdered(req ScrollRequest) ([]Record, error) {
	st := c.st
	if def, ok := st.indexes[req.OrderBy.Key]; !ok || !isNumeric(def.schema) {
		return nil, invalidf("no range index for `order_by` key: `%s`. Create an integer, float or datetime payload index for it first", req.OrderBy.Key)
	}
	type entry struct {
		v float64
		l loc
	}
	var entries []entry
	st.forEachMatch(req.Filter, func(l loc) bool {
		for _, v := range filter.NumericValues(l.seg.payload(l.slot), req.OrderBy.Key) {
			if math.IsNaN(v) {
				continue
			}
			if sf := req.OrderBy.StartFrom; sf != nil && (!req.OrderBy.Desc && v < *sf || req.OrderBy.Desc && v > *sf) {
				continue
			}
			entries = append(entries, entry{v, l})
		}
		return true
	})
	slices.SortFunc(entries, func(a, b entry) int {
		if a.v != b.v {
			if (a.v < b.v) != req.OrderBy.Desc {
				return -1
			}
			return 1
		}
		if a.l.seg.ids[a.l.slot].Less(b.l.seg.ids[b.l.slot]) {
			return -1
		}
		return 1
	})
	if len(entries) > req.Limit {
		entries = entries[:req.Limit]
	}
	out := make([]Record, len(entries))
	for i, e := range entries {
		out[i] = c.record(e.l, req.WithPayload, req.Vectors)
		v := e.v
		out[i].OrderValue = &v
	}
	return out, nil
}

// Info is a collection's status for the info endpoint.
type Info struct {
	Points        int
	Segments      int
	IndexedPoints int
	PayloadSchema map[string]IndexInfo
}

// IndexInfo describes one payload index.
type IndexInfo struct {
	Schema filter.Schema
	Points int
}

// Info returns counts and payload index descriptions.
func (c *Collection) Info() Info {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return Info{PayloadSchema: map[string]IndexInfo{}}
	}
	info := Info{Points: c.st.count, Segments: len(c.st.segs), PayloadSchema: map[string]IndexInfo{}}
	for _, sg := range c.st.segs {
		for name := range sg.graphs {
			info.IndexedPoints += sg.spaces[name].has.count()
		}
		for name := range sg.ivfs {
			info.IndexedPoints += sg.spaces[name].has.count()
		}
	}
	for field, def := range c.st.indexes {
		n := 0
		for _, sg := range c.st.segs {
			if ix := sg.indexes.Get(field); ix != nil {
				n += ix.Points()
			}
		}
		info.PayloadSchema[field] = IndexInfo{Schema: def.schema, Points: n}
	}
	return info
}

// SparseOf returns a point's sparse vector, for query-by-id on a sparse vector name.
func (c *Collection) SparseOf(id pointid.ID, using string) (SparseVector, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return SparseVector{}, ErrClosed
	}
	l, ok := c.st.lookup(id)
	if !ok {
		return SparseVector{}, notFoundf("no point with id %s found", id)
	}
	ss, ok := l.seg.sparse[using]
	if !ok || !ss.has.get(l.slot) {
		return SparseVector{}, invalidf("point %s has no sparse vector `%s`", id, using)
	}
	return ss.vector(l.slot), nil
}

// VectorOf returns a copy of a point's vector, for query-by-id.
func (c *Collection) VectorOf(id pointid.ID, using string) ([]float32, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.st == nil {
		return nil, ErrClosed
	}
	l, ok := c.st.lookup(id)
	if !ok {
		return nil, notFoundf("no point with id %s found", id)
	}
	sp, ok := l.seg.spaces[using]
	if !ok {
		return nil, invalidf("Wrong input: Not existing vector name error: %s", using)
	}
	if !sp.has.get(l.slot) {
		return nil, invalidf("point %s has no vector%s", id, nameSuffix(using))
	}
	return slices.Clone(sp.vector(l.slot)), nil
}

func isNumeric(s filter.Schema) bool {
	return s == filter.SchemaInteger || s == filter.SchemaFloat || s == filter.SchemaDatetime
}
