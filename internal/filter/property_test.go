package filter

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// gen builds random payloads and filters over a small vocabulary, so that conditions hit often.
type gen struct{ r *rand.Rand }

var (
	genWords = []string{"a", "b", "c", "ab", "Ab", "abc", "550e8400-e29b-41d4-a716-446655440000", "550E8400-E29B-41D4-A716-446655440000"}
	genNums  = []string{"0", "1", "2", "2.5", "3", "-1", "1e2", "5.0", "100"}
	genDates = []string{"2020-01-01T00:00:00Z", "2020-01-01 12:00:00", "2021-06-15", "2021-06-15T10:00:00+02:00", "2022-12-31 23:59", "not a date"}
	genKeys  = []string{"k", "n", "b", "d", "u", "obj.x", "arr[].k", "arr[].n", "arr[].b", "missing"}
)

func (g gen) pick(list []string) string { return list[g.r.IntN(len(list))] }

func (g gen) scalar() string {
	switch g.r.IntN(8) {
	case 0:
		return "null"
	case 1:
		return fmt.Sprint(g.r.IntN(2) == 0)
	case 2, 3:
		return g.pick(genNums)
	case 4:
		return `"` + g.pick(genDates) + `"`
	default:
		return `"` + g.pick(genWords) + `"`
	}
}

// value is a scalar, or an array of scalars (sometimes nested or empty).
func (g gen) value() string {
	switch g.r.IntN(5) {
	case 0:
		n := g.r.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			if g.r.IntN(6) == 0 {
				parts[i] = "[" + g.scalar() + "]"
			} else {
				parts[i] = g.scalar()
			}
		}
		return "[" + strings.Join(parts, ",") + "]"
	default:
		return g.scalar()
	}
}

func (g gen) object(fields []string) string {
	var parts []string
	for _, f := range fields {
		if g.r.IntN(4) != 0 {
			parts = append(parts, fmt.Sprintf("%q: %s", f, g.value()))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g gen) payload() string {
	var parts []string
	for _, f := range []string{"k", "n", "b", "d", "u"} {
		if g.r.IntN(5) != 0 {
			parts = append(parts, fmt.Sprintf("%q: %s", f, g.value()))
		}
	}
	if g.r.IntN(3) != 0 {
		parts = append(parts, fmt.Sprintf(`"obj": {"x": %s}`, g.value()))
	}
	if g.r.IntN(3) != 0 {
		n := g.r.IntN(4)
		elems := make([]string, n)
		for i := range elems {
			if g.r.IntN(8) == 0 {
				elems[i] = g.scalar()
			} else {
				elems[i] = g.object([]string{"k", "n", "b"})
			}
		}
		parts = append(parts, `"arr": [`+strings.Join(elems, ",")+`]`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g gen) strList() string {
	n := g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = `"` + g.pick(genWords) + `"`
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (g gen) intList() string {
	n := 1 + g.r.IntN(3)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = fmt.Sprint(g.r.IntN(4) - 1)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (g gen) bounds(val func() string) string {
	var parts []string
	for _, b := range boundKeys {
		if g.r.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf("%q: %s", b, val()))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func (g gen) fieldCondition(keys []string) string {
	key := fmt.Sprintf("%q", g.pick(keys))
	switch g.r.IntN(14) {
	case 0, 1:
		return fmt.Sprintf(`{"key": %s, "match": {"value": "%s"}}`, key, g.pick(genWords))
	case 2:
		return fmt.Sprintf(`{"key": %s, "match": {"value": %d}}`, key, g.r.IntN(4)-1)
	case 3:
		return fmt.Sprintf(`{"key": %s, "match": {"value": %v}}`, key, g.r.IntN(2) == 0)
	case 4:
		if g.r.IntN(2) == 0 {
			return fmt.Sprintf(`{"key": %s, "match": {"any": %s}}`, key, g.strList())
		}
		return fmt.Sprintf(`{"key": %s, "match": {"any": %s}}`, key, g.intList())
	case 5:
		if g.r.IntN(2) == 0 {
			return fmt.Sprintf(`{"key": %s, "match": {"except": %s}}`, key, g.strList())
		}
		return fmt.Sprintf(`{"key": %s, "match": {"except": %s}}`, key, g.intList())
	case 6:
		kind := []string{"text", "prefix", "phrase", "text_any"}[g.r.IntN(4)]
		return fmt.Sprintf(`{"key": %s, "match": {%q: %q}}`, key, kind, []string{"a", "b", "A", "55", "a b", ""}[g.r.IntN(6)])
	case 7, 8:
		return fmt.Sprintf(`{"key": %s, "range": %s}`, key, g.bounds(func() string { return g.pick(genNums) }))
	case 9:
		dates := genDates[:len(genDates)-1]
		return fmt.Sprintf(`{"key": %s, "range": %s}`, key, g.bounds(func() string { return `"` + g.pick(dates) + `"` }))
	case 10:
		return fmt.Sprintf(`{"key": %s, "values_count": %s}`, key, g.bounds(func() string { return fmt.Sprint(g.r.IntN(3)) }))
	case 11:
		return fmt.Sprintf(`{"is_empty": {"key": %s}}`, key)
	case 12:
		return fmt.Sprintf(`{"is_null": {"key": %s}}`, key)
	default:
		return fmt.Sprintf(`{"key": %s, %q: %v}`, key, []string{"is_empty", "is_null"}[g.r.IntN(2)], g.r.IntN(2) == 0)
	}
}

func (g gen) condition(depth int, nested bool) string {
	keys := genKeys
	if nested {
		keys = []string{"k", "n", "b", "missing"}
	}
	switch r := g.r.IntN(12); {
	case r == 0 && depth < 3:
		return g.filter(depth+1, nested)
	case r == 1 && depth < 3 && !nested:
		return fmt.Sprintf(`{"nested": {"key": "arr", "filter": %s}}`, g.filter(depth+1, true))
	case r == 2 && !nested:
		return fmt.Sprintf(`{"has_id": [%d, %d]}`, g.r.IntN(64), g.r.IntN(64))
	default:
		return g.fieldCondition(keys)
	}
}

func (g gen) conditions(depth int, nested bool) string {
	n := g.r.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		parts[i] = g.condition(depth, nested)
	}
	return "[" + strings.Join(parts, ",") + "]"
}

func (g gen) filter(depth int, nested bool) string {
	var parts []string
	for _, clause := range []string{"must", "should", "must_not"} {
		if g.r.IntN(3) == 0 {
			parts = append(parts, fmt.Sprintf("%q: %s", clause, g.conditions(depth, nested)))
		}
	}
	if g.r.IntN(6) == 0 {
		parts = append(parts, fmt.Sprintf(`"min_should": {"conditions": %s, "min_count": %d}`, g.conditions(depth, nested), 1+g.r.IntN(2)))
	}
	if len(parts) == 0 {
		parts = append(parts, fmt.Sprintf(`"must": %s`, g.condition(depth, nested)))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// TestCandidatesSuperset is the property test of the package invariant: for random payloads and
// random filters, every slot Match accepts is among the candidates, through updates and deletes.
func TestCandidatesSuperset(t *testing.T) {
	seeds, points, filters := 4, 300, 1500
	if testing.Short() {
		seeds, filters = 1, 300
	}
	for seed := 0; seed < seeds; seed++ {
		g := gen{rand.New(rand.NewPCG(uint64(seed), 99))}
		ix := &Indexes{}
		for _, f := range []struct {
			key string
			s   Schema
		}{{"k", SchemaKeyword}, {"n", SchemaInteger}, {"obj.x", SchemaFloat}, {"b", SchemaBool}, {"d", SchemaDatetime},
			{"u", SchemaUUID}, {"arr[].k", SchemaKeyword}, {"arr[].n", SchemaFloat}, {"arr[].b", SchemaBool}} {
			ix.Put(NewIndex(f.key, f.s))
		}
		ids := make([]pointid.ID, points)
		pays := make([]map[string]any, points)
		live := make([]bool, points)
		slotOf := map[pointid.ID]uint32{}
		for s := range pays {
			ids[s] = pointid.Num(uint64(s))
			slotOf[ids[s]] = uint32(s)
			pays[s] = payload(t, g.payload())
			ix.Add(uint32(s), pays[s])
			live[s] = true
		}
		// Churn: update some payloads, delete others.
		for s := range pays {
			switch g.r.IntN(5) {
			case 0:
				ix.Remove(uint32(s), pays[s])
				pays[s] = payload(t, g.payload())
				ix.Add(uint32(s), pays[s])
			case 1:
				ix.Remove(uint32(s), pays[s])
				live[s] = false
			}
		}
		ix.IDLookup = func(id pointid.ID) (uint32, bool) {
			s, ok := slotOf[id]
			return s, ok && live[s]
		}
		var answered, pruned int
		for i := 0; i < filters; i++ {
			src := g.filter(0, false)
			f, err := Parse([]byte(src))
			if err != nil {
				t.Fatalf("seed %d: generated filter does not parse: %v\n%s", seed, err, src)
			}
			bits, ok := f.Candidates(ix, points)
			if !ok {
				continue
			}
			answered++
			if bits.Count() < points/2 {
				pruned++
			}
			for s := range pays {
				if live[s] && f.Match(ids[s], pays[s]) && !bits.Get(uint32(s)) {
					t.Fatalf("seed %d: slot %d matches but is not a candidate\nfilter:  %s\npayload: %s", seed, s, src, jsonOf(t, pays[s]))
				}
			}
			if _, ok := bits.Next(uint32(points)); ok {
				t.Fatalf("seed %d: candidate beyond n", seed)
			}
		}
		if answered < filters/10 || pruned < filters/20 {
			t.Errorf("seed %d: weak test: %d of %d filters answered by indexes, %d pruned", seed, answered, filters, pruned)
		}
		t.Logf("seed %d: %d of %d filters answered by indexes, %d pruned to under half", seed, answered, filters, pruned)
	}
}
