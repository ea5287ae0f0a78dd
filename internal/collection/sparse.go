package collection

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// SparseVector is a sparse vector: indices (unique, sorted ascending once validated) and their values.
type SparseVector struct {
	Indices []uint32
	Values  []float32
}

// SparseParams configures a sparse vector space. Modifier "idf" weights every query term by its
// inverse document frequency over the live points at query time (what BM25 needs).
type SparseParams struct {
	Modifier string `json:"modifier,omitempty"`
}

// MaxSparseEntries bounds the non-zero entries of one sparse vector.
const MaxSparseEntries = 1 << 16

// normalize validates a sparse vector and sorts it by index.
func (sv *SparseVector) normalize() error {
	if len(sv.Indices) != len(sv.Values) {
		return fmt.Errorf("has %d indices but %d values", len(sv.Indices), len(sv.Values))
	}
	if len(sv.Indices) > MaxSparseEntries {
		return fmt.Errorf("has %d entries, more than the %d allowed", len(sv.Indices), MaxSparseEntries)
	}
	if err := checkFinite(sv.Values); err != nil {
		return err
	}
	if !sort.SliceIsSorted(sv.Indices, func(i, j int) bool { return sv.Indices[i] < sv.Indices[j] }) {
		order := make([]int, len(sv.Indices))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return sv.Indices[order[a]] < sv.Indices[order[b]] })
		idx, val := make([]uint32, len(order)), make([]float32, len(order))
		for i, o := range order {
			idx[i], val[i] = sv.Indices[o], sv.Values[o]
		}
		sv.Indices, sv.Values = idx, val
	}
	for i := 1; i < len(sv.Indices); i++ {
		if sv.Indices[i] == sv.Indices[i-1] {
			return fmt.Errorf("index %d appears twice", sv.Indices[i])
		}
	}
	return nil
}

// posting is one entry of an inverted list: a slot holding the term, with its value.
type posting struct {
	slot uint32
	val  float32
}

// sparseSpace is one sparse vector name of a segment: the vectors by slot and an inverted index.
type sparseSpace struct {
	params SparseParams
	vecs   []SparseVector // by slot; for sealed segments, decoded from the segment file on open
	post   map[uint32][]posting
	has    bits // live slots carrying this vector
}

func newSparseSpace(p SparseParams) *sparseSpace {
	return &sparseSpace{params: p, post: map[uint32][]posting{}}
}

// put stores slot's vector (replacing any previous one) and indexes it.
func (ss *sparseSpace) put(slot uint32, v SparseVector) {
	for int(slot) >= len(ss.vecs) {
		ss.vecs = append(ss.vecs, SparseVector{})
	}
	ss.remove(slot)
	ss.vecs[slot] = v
	for i, t := range v.Indices {
		ss.post[t] = append(ss.post[t], posting{slot, v.Values[i]})
	}
	ss.has.set(slot)
}

// remove drops slot's postings (mutable segments; sealed ones only clear has bits).
func (ss *sparseSpace) remove(slot uint32) {
	if int(slot) >= len(ss.vecs) {
		return
	}
	for _, t := range ss.vecs[slot].Indices {
		list := ss.post[t]
		if i := slices.IndexFunc(list, func(p posting) bool { return p.slot == slot }); i >= 0 {
			list[i] = list[len(list)-1]
			list = list[:len(list)-1]
		}
		if len(list) == 0 {
			delete(ss.post, t)
		} else {
			ss.post[t] = list
		}
	}
	ss.vecs[slot] = SparseVector{}
	ss.has.clear(slot)
}

// liveDocs counts the live points holding term t; allLive says no posting can be dead (mutable
// segments drop postings on delete; sealed ones only clear has bits).
func (ss *sparseSpace) liveDocs(t uint32, allLive bool) int {
	list := ss.post[t]
	if allLive {
		return len(list)
	}
	n := 0
	for _, p := range list {
		if ss.has.get(p.slot) {
			n++
		}
	}
	return n
}

func (ss *sparseSpace) vector(slot uint32) SparseVector {
	if int(slot) < len(ss.vecs) {
		return ss.vecs[slot]
	}
	return SparseVector{}
}

// idf is BM25's inverse document frequency: ln(1 + (n - df + 0.5) / (df + 0.5)).
func idf(n, df int) float32 {
	return float32(math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5)))
}

// checkSparse validates the sparse vectors of one point.
func (c *Config) checkSparse(vs map[string]SparseVector) error {
	for name, v := range vs {
		if _, ok := c.SparseVectors[name]; !ok {
			return invalidf("Wrong input: Not existing vector name error: %s", name)
		}
		if err := v.normalize(); err != nil {
			return invalidf("sparse vector `%s` %v", name, err)
		}
		vs[name] = v
	}
	return nil
}
