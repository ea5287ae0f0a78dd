package filter

import "github.com/needlevdb/needle/internal/pointid"

// keywordIndex indexes string values (schemas keyword and uuid). The uuid variant stores UUID
// strings under their canonical form, so any spelling of a UUID finds the others' slots; Match
// still compares the strings exactly, so results equal the unindexed ones.
type keywordIndex struct {
	indexBase
	m    map[string]*postings
	uuid bool
}

func (x *keywordIndex) norm(s string) string {
	if x.uuid {
		if id, err := pointid.ParseUUID(s); err == nil {
			return id.String()
		}
	}
	return s
}

func (x *keywordIndex) Values() int { return len(x.m) }

func (x *keywordIndex) Add(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		if s, ok := v.(string); ok {
			k := x.norm(s)
			p := x.m[k]
			if p == nil {
				p = &postings{}
				x.m[k] = p
			}
			p.add(slot)
			n++
		}
	})
	if n > 0 {
		x.points++
	}
}

func (x *keywordIndex) Remove(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		if s, ok := v.(string); ok {
			n++
			k := x.norm(s)
			if p := x.m[k]; p != nil && p.remove(slot) && p.n == 0 {
				delete(x.m, k)
			}
		}
	})
	if n > 0 {
		x.points--
	}
}

func (x *keywordIndex) candidates(c *fieldCond, dst Bitmap) bool {
	switch c.kind {
	case kindMatchString:
		x.m[x.norm(c.str)].orInto(dst)
	case kindAnyString:
		for _, s := range c.strs {
			x.m[x.norm(s)].orInto(dst)
		}
	case kindText, kindPhrase, kindPrefix, kindTextAny:
		if x.uuid {
			return false // canonical keys do not preserve the original spelling
		}
		for k, p := range x.m {
			if c.check(k) {
				p.orInto(dst)
			}
		}
	default:
		return false
	}
	return true
}

// boolIndex indexes boolean values.
type boolIndex struct {
	indexBase
	t, f postings
}

func (x *boolIndex) Values() int {
	n := 0
	if x.t.n > 0 {
		n++
	}
	if x.f.n > 0 {
		n++
	}
	return n
}

func (x *boolIndex) Add(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		if b, ok := v.(bool); ok {
			n++
			if b {
				x.t.add(slot)
			} else {
				x.f.add(slot)
			}
		}
	})
	if n > 0 {
		x.points++
	}
}

func (x *boolIndex) Remove(slot uint32, payload map[string]any) {
	n := 0
	x.leaves(payload, func(v any) {
		if b, ok := v.(bool); ok {
			n++
			if b {
				x.t.remove(slot)
			} else {
				x.f.remove(slot)
			}
		}
	})
	if n > 0 {
		x.points--
	}
}

func (x *boolIndex) candidates(c *fieldCond, dst Bitmap) bool {
	if c.kind != kindMatchBool {
		return false
	}
	if c.flag {
		x.t.orInto(dst)
	} else {
		x.f.orInto(dst)
	}
	return true
}
