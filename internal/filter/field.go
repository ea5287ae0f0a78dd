package filter

import (
	"strings"

	"github.com/needlevdb/needle/internal/pointid"
)

// fieldKind says which of a field condition's checks applies.
type fieldKind uint8

const (
	kindMatchString   fieldKind = iota // match {value: "s"}
	kindMatchInt                       // match {value: 5}
	kindMatchBool                      // match {value: true}
	kindAnyString                      // match {any: ["a", "b"]}
	kindAnyInt                         // match {any: [1, 2]}
	kindExceptString                   // match {except: ["a"]}
	kindExceptInt                      // match {except: [1]}
	kindText                           // match {text: "s"}: substring
	kindTextAny                        // match {text_any: "a b"}: any whitespace token is a substring
	kindPhrase                         // match {phrase: "s"}: substring
	kindPrefix                         // match {prefix: "s"}
	kindRange                          // range with number bounds
	kindDatetimeRange                  // range with datetime bounds
	kindValuesCount                    // values_count
	kindIsEmptyFlag                    // {"key": k, "is_empty": bool}
	kindIsNullFlag                     // {"key": k, "is_null": bool}
)

// fieldCond is a FieldCondition: one check applied to the values at a key. Except where noted
// (values_count, is_empty, is_null), it matches when any value at the key, with arrays at the end
// of the path flattened one level, passes the check.
type fieldCond struct {
	key  string
	path keyPath
	kind fieldKind

	str    string              // match string / text / phrase / prefix
	i64    int64               // match int
	flag   bool                // match bool; is_empty / is_null flag
	strs   []string            // any / except strings (small lists)
	strSet map[string]struct{} // any / except strings (large lists)
	ints   []int64             // any / except integers (small lists)
	intSet map[int64]struct{}  // any / except integers (large lists)
	tokens []string            // text_any
	num    numRange            // range
	dt     timeRange           // datetime range
	count  countRange          // values_count
}

// setThreshold: above this many values, any/except use a map instead of a linear scan.
// Qdrant measured the same crossover (13) for its IndexSet; a Go map behaves similarly.
const setThreshold = 13

// numRange holds range bounds; has* say which are set.
type numRange struct {
	gt, gte, lt, lte             float64
	hasGt, hasGte, hasLt, hasLte bool
}

func (r *numRange) contains(x float64) bool {
	return (!r.hasGt || x > r.gt) && (!r.hasGte || x >= r.gte) && (!r.hasLt || x < r.lt) && (!r.hasLte || x <= r.lte)
}

// timeRange holds datetime bounds in microseconds since the epoch.
type timeRange struct {
	gt, gte, lt, lte             int64
	hasGt, hasGte, hasLt, hasLte bool
}

func (r *timeRange) contains(x int64) bool {
	return (!r.hasGt || x > r.gt) && (!r.hasGte || x >= r.gte) && (!r.hasLt || x < r.lt) && (!r.hasLte || x <= r.lte)
}

// countRange holds values_count bounds.
type countRange struct {
	gt, gte, lt, lte             uint64
	hasGt, hasGte, hasLt, hasLte bool
}

func (r *countRange) contains(x uint64) bool {
	return (!r.hasGt || x > r.gt) && (!r.hasGte || x >= r.gte) && (!r.hasLt || x < r.lt) && (!r.hasLte || x <= r.lte)
}

func (c *fieldCond) eval(_ pointid.ID, p map[string]any) bool {
	var buf [4]any
	var vals []any
	if c.path.simple() {
		if v, ok := p[c.path.first]; ok {
			buf[0] = v
			vals = buf[:1]
		}
	} else {
		vals = c.path.collect(p, buf[:0])
	}
	if len(vals) == 0 {
		return c.missing()
	}
	switch c.kind {
	case kindValuesCount:
		for _, v := range vals {
			if c.count.contains(valueCount(v)) {
				return true
			}
		}
		return false
	case kindIsEmptyFlag:
		for _, v := range vals {
			if isEmptyValue(v) == c.flag {
				return true
			}
		}
		return false
	case kindIsNullFlag:
		for _, v := range vals {
			if hasNull(v) == c.flag {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if a, ok := v.([]any); ok {
			for _, e := range a {
				if c.check(e) {
					return true
				}
			}
		} else if c.check(v) {
			return true
		}
	}
	return false
}

// missing is the result when the key reaches no value at all: values_count counts 0 values,
// is_empty:true holds, is_null:false holds; every other check fails.
func (c *fieldCond) missing() bool {
	switch c.kind {
	case kindValuesCount:
		return c.count.contains(0)
	case kindIsEmptyFlag:
		return c.flag
	case kindIsNullFlag:
		return !c.flag
	}
	return false
}

// valueCount counts a value as Qdrant's values_count does: null 0, an array its length, else 1.
func valueCount(v any) uint64 {
	switch x := v.(type) {
	case nil:
		return 0
	case []any:
		return uint64(len(x))
	}
	return 1
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		return len(x) == 0
	}
	return false
}

func hasNull(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case []any:
		for _, e := range x {
			if e == nil {
				return true
			}
		}
	}
	return false
}

// check applies the condition to one (already flattened) value.
func (c *fieldCond) check(v any) bool {
	switch c.kind {
	case kindMatchString:
		s, ok := v.(string)
		return ok && s == c.str
	case kindMatchInt:
		n, ok := asInt(v)
		return ok && n == c.i64
	case kindMatchBool:
		b, ok := v.(bool)
		return ok && b == c.flag
	case kindAnyString:
		s, ok := v.(string)
		return ok && c.hasString(s)
	case kindAnyInt:
		n, ok := asInt(v)
		return ok && c.hasInt(n)
	case kindExceptString:
		switch x := v.(type) {
		case nil:
			return false
		case string:
			return !c.hasString(x)
		}
		return true
	case kindExceptInt:
		if v == nil {
			return false
		}
		if n, ok := asInt(v); ok {
			return !c.hasInt(n)
		}
		return true
	case kindText, kindPhrase:
		s, ok := v.(string)
		return ok && strings.Contains(s, c.str)
	case kindTextAny:
		s, ok := v.(string)
		if !ok {
			return false
		}
		for _, t := range c.tokens {
			if strings.Contains(s, t) {
				return true
			}
		}
		return false
	case kindPrefix:
		s, ok := v.(string)
		return ok && strings.HasPrefix(s, c.str)
	case kindRange:
		x, ok := asFloat(v)
		return ok && c.num.contains(x)
	case kindDatetimeRange:
		s, ok := v.(string)
		if !ok {
			return false
		}
		us, ok := parseDatetime(s)
		return ok && c.dt.contains(us)
	}
	return false
}

func (c *fieldCond) hasString(s string) bool {
	if c.strSet != nil {
		_, ok := c.strSet[s]
		return ok
	}
	for _, x := range c.strs {
		if x == s {
			return true
		}
	}
	return false
}

func (c *fieldCond) hasInt(n int64) bool {
	if c.intSet != nil {
		_, ok := c.intSet[n]
		return ok
	}
	for _, x := range c.ints {
		if x == n {
			return true
		}
	}
	return false
}
