package filter

import (
	"strings"

	"github.com/needlevdb/needle/internal/pointid"
)

// Filter is a parsed, validated Qdrant filter. Build one with Parse or json.Unmarshal; it is
// immutable afterwards and safe for concurrent use. A nil *Filter and the zero Filter match every
// point.
type Filter struct {
	must      []cond
	should    []cond
	hasShould bool // "should" was given (an empty list then matches nothing, as in Qdrant)
	mustNot   []cond
	minShould *minShould

	raw []byte // the JSON it was parsed from, for MarshalJSON
}

type minShould struct {
	conds []cond
	min   int
}

// cond is one parsed condition.
type cond interface {
	eval(id pointid.ID, payload map[string]any) bool
}

// Match reports whether the point with this id and payload passes the filter. A nil filter matches
// everything. It never modifies payload.
func (f *Filter) Match(id pointid.ID, payload map[string]any) bool {
	if f == nil {
		return true
	}
	return f.eval(id, payload)
}

func (f *Filter) eval(id pointid.ID, p map[string]any) bool {
	for _, c := range f.must {
		if !c.eval(id, p) {
			return false
		}
	}
	for _, c := range f.mustNot {
		if c.eval(id, p) {
			return false
		}
	}
	if f.hasShould {
		ok := false
		for _, c := range f.should {
			if c.eval(id, p) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if ms := f.minShould; ms != nil {
		n := 0
		for _, c := range ms.conds {
			if n >= ms.min {
				break
			}
			if c.eval(id, p) {
				n++
			}
		}
		if n < ms.min {
			return false
		}
	}
	return true
}

// MarshalJSON returns the JSON the filter was parsed from (compacted), or {} for a zero Filter.
// (A value receiver, so that a Filter held by value in a struct marshals too.)
func (f Filter) MarshalJSON() ([]byte, error) {
	if len(f.raw) == 0 {
		return []byte("{}"), nil
	}
	return append([]byte(nil), f.raw...), nil
}

// String returns the filter's JSON ("null" for a nil filter).
func (f *Filter) String() string {
	if f == nil {
		return "null"
	}
	b, _ := f.MarshalJSON()
	return string(b)
}

// filterCond is a nested Filter used as a condition.
type filterCond struct{ f *Filter }

func (c filterCond) eval(id pointid.ID, p map[string]any) bool { return c.f.eval(id, p) }

// isEmptyCond: {"is_empty": {"key": k}} matches when every value at k is null or [] (so also when
// the key is missing).
type isEmptyCond struct {
	key  string
	path keyPath
}

func (c *isEmptyCond) eval(_ pointid.ID, p map[string]any) bool {
	var buf [4]any
	for _, v := range c.path.collect(p, buf[:0]) {
		switch x := v.(type) {
		case nil:
		case []any:
			if len(x) != 0 {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// isNullCond: {"is_null": {"key": k}} matches when some value at k is an explicit JSON null.
type isNullCond struct {
	key  string
	path keyPath
}

func (c *isNullCond) eval(_ pointid.ID, p map[string]any) bool {
	var buf [4]any
	for _, v := range c.path.collect(p, buf[:0]) {
		if v == nil {
			return true
		}
	}
	return false
}

// hasIDCond: {"has_id": [...]} matches points whose id is listed.
type hasIDCond struct {
	ids map[pointid.ID]struct{}
}

func (c *hasIDCond) eval(id pointid.ID, _ map[string]any) bool {
	_, ok := c.ids[id]
	return ok
}

// sliceCond: {"slice": {"total": t, "index": i}} matches points with siphash24(id) % t == i.
type sliceCond struct {
	total, index uint64
}

func (c *sliceCond) eval(id pointid.ID, _ map[string]any) bool {
	return sliceHash(id)%c.total == c.index
}

// nestedCond: {"nested": {"key": k, "filter": f}} matches when some object element of the array at
// k satisfies f on its own (all of f's conditions then refer to the same element).
type nestedCond struct {
	key   string // as given
	array keyPath
	f     *Filter
}

func (c *nestedCond) eval(id pointid.ID, p map[string]any) bool {
	var buf [8]any
	for _, v := range c.array.collect(p, buf[:0]) {
		if obj, ok := v.(map[string]any); ok && c.f.eval(id, obj) {
			return true
		}
	}
	return false
}

// arrayKey is the key a nested condition iterates: key + "[]" unless it already ends in "[]".
func arrayKey(key string) string {
	if strings.HasSuffix(key, "[]") {
		return key
	}
	return key + "[]"
}

// And returns a filter matching what both a and b match (either may be nil, meaning all). It builds
// the combination directly, without re-parsing, so combining valid filters cannot fail.
func And(a, b *Filter) *Filter {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	raw := append(append(append(append([]byte(`{"must":[`), ja...), ','), jb...), "]}"...)
	return &Filter{must: []cond{filterCond{a}, filterCond{b}}, raw: raw}
}
