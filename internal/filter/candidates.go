package filter

// Candidates computes, from the indexes alone, a bitmap of n slots that holds every slot whose
// point can match f (a superset: callers still run Match on each candidate). It returns ok=false
// when the indexes cannot narrow the filter; then the caller evaluates Match on every point.
//
// How each part narrows:
//   - must: the intersection of the conditions the indexes can answer (others are skipped);
//   - should: the union of its conditions, only if every one can be answered; an empty should
//     list matches nothing;
//   - min_should: like should (a point matching k >= 1 conditions matches one of them); with
//     min_count equal to the number of conditions, like must; unreachable counts match nothing;
//   - must_not: never used for narrowing (dropping a restriction keeps a superset);
//   - a field condition: by the index on its exact key, if the index type can answer the check
//     (keyword/uuid: match value/any of strings, and keyword also text/prefix; integer/float:
//     match integer value/any and number ranges; datetime: datetime ranges; bool: match bool);
//   - nested {key: k, filter}: its filter's conditions by indexes on "k[].field";
//   - has_id: through Indexes.IDLookup, when set.
//
// Candidates only reads the indexes; see Indexes for the locking contract.
func (f *Filter) Candidates(ix *Indexes, n int) (bits Bitmap, ok bool) {
	if f == nil || n <= 0 {
		return nil, false
	}
	if ix == nil || (len(ix.byField) == 0 && ix.IDLookup == nil) {
		if f.matchesNothing() {
			return NewBitmap(n), true
		}
		return nil, false
	}
	pl := planner{ix: ix, n: n}
	bits, ok = pl.filter(f, "")
	if ok {
		trim(bits, n)
	}
	return bits, ok
}

// matchesNothing spots the trivially empty filters that need no index: an empty should list or an
// unreachable min_should at the top level.
func (f *Filter) matchesNothing() bool {
	return (f.hasShould && len(f.should) == 0) || (f.minShould != nil && f.minShould.min > len(f.minShould.conds))
}

// trim clears the bits at and beyond n in the last word.
func trim(b Bitmap, n int) {
	if r := n % 64; r != 0 && len(b) > 0 {
		b[len(b)-1] &= (1 << uint(r)) - 1
	}
}

type planner struct {
	ix *Indexes
	n  int
}

// filter narrows f; prefix is prepended to keys (for conditions inside nested filters).
func (pl planner) filter(f *Filter, prefix string) (Bitmap, bool) {
	if f.matchesNothing() {
		return NewBitmap(pl.n), true
	}
	var acc Bitmap
	and := func(b Bitmap) {
		if acc == nil {
			acc = b
		} else {
			acc.And(b)
		}
	}
	for _, c := range f.must {
		if b, ok := pl.cond(c, prefix); ok {
			and(b)
		}
	}
	if f.hasShould {
		if b, ok := pl.union(f.should, prefix); ok {
			and(b)
		}
	}
	if ms := f.minShould; ms != nil {
		if ms.min == len(ms.conds) {
			for _, c := range ms.conds {
				if b, ok := pl.cond(c, prefix); ok {
					and(b)
				}
			}
		} else if b, ok := pl.union(ms.conds, prefix); ok {
			and(b)
		}
	}
	return acc, acc != nil
}

// union ORs the candidates of conds; it fails if any one cannot be answered.
func (pl planner) union(conds []cond, prefix string) (Bitmap, bool) {
	var acc Bitmap
	for _, c := range conds {
		b, ok := pl.cond(c, prefix)
		if !ok {
			return nil, false
		}
		if acc == nil {
			acc = b
		} else {
			acc.Or(b)
		}
	}
	if acc == nil {
		acc = NewBitmap(pl.n)
	}
	return acc, true
}

func (pl planner) cond(c cond, prefix string) (Bitmap, bool) {
	switch c := c.(type) {
	case *fieldCond:
		idx := pl.ix.byField[prefix+c.key]
		if idx == nil {
			return nil, false
		}
		b := NewBitmap(pl.n)
		if !idx.candidates(c, b) {
			return nil, false
		}
		return b, true
	case filterCond:
		return pl.filter(c.f, prefix)
	case *nestedCond:
		return pl.filter(c.f, prefix+arrayKey(c.key)+".")
	case *hasIDCond:
		if pl.ix.IDLookup == nil || prefix != "" {
			return nil, false
		}
		b := NewBitmap(pl.n)
		for id := range c.ids {
			if s, ok := pl.ix.IDLookup(id); ok && int64(s) < int64(pl.n) {
				b.Set(s)
			}
		}
		return b, true
	}
	return nil, false
}
