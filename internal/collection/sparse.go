package collection

import (
	"cmp"
	"fmt"
	"math"
	"slices"
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
	if !slices.IsSorted(sv.Indices) {
		*sv = sortedByIndex(*sv)
	}
	for i := 1; i < len(sv.Indices); i++ {
		if sv.Indices[i] == sv.Indices[i-1] {
			return fmt.Errorf("index %d appears twice", sv.Indices[i])
		}
	}
	return nil
}

// sortedByIndex returns a copy of v's entries ordered by index; of a repeated index, the first
// entry comes first.
func sortedByIndex(v SparseVector) SparseVector {
	order := make([]int, len(v.Indices))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(v.Indices[a], v.Indices[b]) })
	out := SparseVector{Indices: make([]uint32, len(order)), Values: make([]float32, len(order))}
	for i, o := range order {
		out.Indices[i], out.Values[i] = v.Indices[o], v.Values[o]
	}
	return out
}

// repaired returns v if its indices are strictly increasing, as normalize leaves them, else a
// copy sorted by index that keeps the first value of a repeated index. Only a damaged segment
// file read without verification holds such a vector; the inverted index (remove's binary
// search, scoring each posting once) relies on the order.
func repaired(v SparseVector) SparseVector {
	increasing := true
	for i := 1; i < len(v.Indices) && increasing; i++ {
		increasing = v.Indices[i] > v.Indices[i-1]
	}
	if increasing {
		return v
	}
	v = sortedByIndex(v)
	n := 0
	for i, t := range v.Indices {
		if n == 0 || v.Indices[n-1] != t {
			v.Indices[n], v.Values[n] = t, v.Values[i]
			n++
		}
	}
	v.Indices, v.Values = v.Indices[:n], v.Values[:n]
	return v
}

// posting is one entry of an inverted list: a slot holding the term, with its value.
type posting struct {
	slot uint32
	val  float32
}

// sparseSpace is one sparse vector name of a segment: the vectors by slot and an inverted index.
// Mutable segments keep the index exact (put and remove); sealed ones keep the postings of
// deleted points and count them per term in dead, so that live document frequencies stay O(1).
type sparseSpace struct {
	params SparseParams
	vecs   []SparseVector // by slot; for sealed segments, decoded from the segment file on open
	post   map[uint32][]posting
	has    bits // live slots carrying this vector
	// at[slot][i] is where slot's posting for vecs[slot].Indices[i] sits in its term's list, so
	// that remove takes O(log terms) per term instead of a scan of the list (mutable segments).
	at   [][]uint32
	dead map[uint32]int // per term, postings whose slot is no longer live (sealed segments)
}

func newSparseSpace(p SparseParams) *sparseSpace {
	return &sparseSpace{params: p, post: map[uint32][]posting{}, dead: map[uint32]int{}}
}

// put stores slot's vector (replacing any previous one) and indexes it. Its indices are strictly
// increasing (normalize, or repaired when a sealed segment opens): remove finds places by binary
// search.
func (ss *sparseSpace) put(slot uint32, v SparseVector) {
	for int(slot) >= len(ss.vecs) {
		ss.vecs = append(ss.vecs, SparseVector{})
	}
	for int(slot) >= len(ss.at) {
		ss.at = append(ss.at, nil)
	}
	ss.remove(slot)
	ss.vecs[slot] = v
	at := make([]uint32, len(v.Indices))
	for i, t := range v.Indices {
		at[i] = uint32(len(ss.post[t]))
		ss.post[t] = append(ss.post[t], posting{slot, v.Values[i]})
	}
	ss.at[slot] = at
	ss.has.set(slot)
}

// remove drops slot's postings (mutable segments, whose postings put recorded in at; sealed
// ones use kill). Each posting leaves its list by a swap with the list's last one, whose
// recorded place moves with it.
func (ss *sparseSpace) remove(slot uint32) {
	if int(slot) >= len(ss.vecs) {
		return
	}
	for i, t := range ss.vecs[slot].Indices {
		list := ss.post[t]
		j := ss.at[slot][i]
		last := list[len(list)-1]
		list[j] = last
		list = list[:len(list)-1]
		if last.slot != slot {
			k, _ := slices.BinarySearch(ss.vecs[last.slot].Indices, t)
			ss.at[last.slot][k] = j
		}
		if len(list) == 0 {
			delete(ss.post, t)
		} else {
			ss.post[t] = list
		}
	}
	ss.vecs[slot], ss.at[slot] = SparseVector{}, nil
	ss.has.clear(slot)
}

// kill takes a live slot of a sealed segment out of search: its postings stay (the segment file
// holds them) and count as dead for their terms.
func (ss *sparseSpace) kill(slot uint32) {
	if !ss.has.get(slot) {
		return
	}
	ss.has.clear(slot)
	for _, t := range ss.vector(slot).Indices {
		ss.dead[t]++
	}
}

// liveDocs counts the live points holding term t.
func (ss *sparseSpace) liveDocs(t uint32) int {
	return len(ss.post[t]) - ss.dead[t]
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
