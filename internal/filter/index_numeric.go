package filter

import (
	"math"
	"slices"
	"sort"
)

// numericIndex indexes numbers (schemas integer and float) or datetimes (schema datetime, keys in
// microseconds since the epoch) for point lookups and range scans.
//
// Keys live in a map to their postings plus a sorted slice for ranges. New keys go to a small
// unsorted pending list that is merged into the sorted slice once it exceeds pendingLimit, so bulk
// loads cost O(K log K) overall and a query never sorts: queries read, and only writers (under the
// caller's exclusive lock) reorganise. Keys whose postings become empty stay until more than half
// the keys are empty, then the index compacts.
//
// Every number is indexed, whatever the schema says (an integer index also holds 2.5): range
// conditions match any number, and candidates must include every match.
type numericIndex struct {
	indexBase
	datetime bool
	m        map[float64]*postings
	keys     []float64 // sorted; may hold keys with empty postings
	pending  []float64 // new keys not yet in keys
	empty    int       // keys in m whose postings are empty
}

func newNumericIndex(base indexBase) *numericIndex {
	return &numericIndex{indexBase: base, m: map[float64]*postings{}}
}

func (x *numericIndex) Values() int { return len(x.m) - x.empty }

func (x *numericIndex) key(v any) (float64, bool) {
	if x.datetime {
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		us, ok := parseDatetime(s)
		return float64(us), ok
	}
	return asFloat(v)
}

func (x *numericIndex) Add(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		k, ok := x.key(v)
		if !ok {
			return
		}
		n++
		p := x.m[k]
		if p == nil {
			p = &postings{}
			x.m[k] = p
			x.pending = append(x.pending, k)
			if len(x.pending) > x.pendingLimit() {
				x.merge()
			}
		} else if p.n == 0 {
			x.empty--
		}
		p.add(slot)
	})
	if n > 0 {
		x.points++
	}
}

func (x *numericIndex) Remove(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		k, ok := x.key(v)
		if !ok {
			return
		}
		n++
		if p := x.m[k]; p != nil && p.remove(slot) && p.n == 0 {
			x.empty++
		}
	})
	if n > 0 {
		x.points--
	}
	if x.empty > 1024 && x.empty > len(x.m)/2 {
		x.compact()
	}
}

// pendingLimit balances merge cost (O(K) per merge) against query cost (a linear scan of pending):
// about sqrt(K) for both.
func (x *numericIndex) pendingLimit() int {
	return max(256, int(math.Sqrt(float64(len(x.keys)))))
}

// merge sorts pending into keys, in place from the back (no new allocation once keys has grown).
func (x *numericIndex) merge() {
	slices.Sort(x.pending)
	n, m := len(x.keys), len(x.pending)
	x.keys = slices.Grow(x.keys, m)[:n+m]
	i, j := n-1, m-1
	for k := n + m - 1; j >= 0; k-- {
		if i >= 0 && x.keys[i] > x.pending[j] {
			x.keys[k] = x.keys[i]
			i--
		} else {
			x.keys[k] = x.pending[j]
			j--
		}
	}
	x.pending = x.pending[:0]
}

func (x *numericIndex) compact() {
	keys := make([]float64, 0, len(x.m)-x.empty)
	for k, p := range x.m {
		if p.n == 0 {
			delete(x.m, k)
		} else {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	x.keys, x.pending, x.empty = keys, nil, 0
}

func (x *numericIndex) candidates(c *fieldCond, dst Bitmap) bool {
	switch {
	case c.kind == kindMatchInt && !x.datetime:
		x.m[float64(c.i64)].orInto(dst)
	case c.kind == kindAnyInt && !x.datetime:
		for _, n := range c.ints {
			x.m[float64(n)].orInto(dst)
		}
	case c.kind == kindRange && !x.datetime:
		// Keys are the same float64s Match compares (asFloat), so the bounds apply exactly.
		x.scan(&c.num, dst)
	case c.kind == kindDatetimeRange && x.datetime:
		// Keys are float64(microseconds), which rounds beyond 2^53 µs (year 2255): compare
		// inclusively so that rounding can only add candidates, never drop one.
		r := &c.dt
		nr := numRange{hasGte: r.hasGt || r.hasGte, hasLte: r.hasLt || r.hasLte}
		nr.gte = math.Max(orInf(r.hasGt, float64(r.gt), -1), orInf(r.hasGte, float64(r.gte), -1))
		nr.lte = math.Min(orInf(r.hasLt, float64(r.lt), 1), orInf(r.hasLte, float64(r.lte), 1))
		x.scan(&nr, dst)
	default:
		return false
	}
	return true
}

func orInf(has bool, v float64, sign int) float64 {
	if has {
		return v
	}
	return math.Inf(sign)
}

// scan ORs into dst the postings of every key in r.
func (x *numericIndex) scan(r *numRange, dst Bitmap) {
	lo := math.Inf(-1)
	if r.hasGt {
		lo = r.gt
	}
	if r.hasGte {
		lo = max(lo, r.gte)
	}
	for i := sort.SearchFloat64s(x.keys, lo); i < len(x.keys); i++ {
		k := x.keys[i]
		if (r.hasLt && k >= r.lt) || (r.hasLte && k > r.lte) {
			break
		}
		if r.contains(k) {
			x.m[k].orInto(dst)
		}
	}
	for _, k := range x.pending {
		if r.contains(k) {
			x.m[k].orInto(dst)
		}
	}
}
