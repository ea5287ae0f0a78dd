package filter

import (
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

func TestParseSchema(t *testing.T) {
	good := map[string]Schema{
		`"keyword"`: SchemaKeyword, `"integer"`: SchemaInteger, `"float"`: SchemaFloat, `"bool"`: SchemaBool,
		`"uuid"`: SchemaUUID, `"datetime"`: SchemaDatetime,
		`{"type": "keyword", "is_tenant": true, "on_disk": false, "prefix": true}`:  SchemaKeyword,
		`{"type": "integer", "lookup": true, "range": false, "is_principal": null}`: SchemaInteger,
		`{"type": "float", "memory": "cached", "enable_hnsw": true}`:                SchemaFloat,
		` {"type": "datetime"} `: SchemaDatetime,
	}
	for in, want := range good {
		got, err := ParseSchema(json.RawMessage(in))
		if err != nil || got != want {
			t.Errorf("ParseSchema(%s) = %q, %v; want %q", in, got, err, want)
		}
	}
	bad := map[string]string{
		`"text"`:                            `field_schema: "text" payload indexes are not supported`,
		`{"type": "geo"}`:                   `field_schema.type: "geo" payload indexes are not supported`,
		`"keywords"`:                        `field_schema: unknown schema "keywords"`,
		`{"type": "float", "lookup": true}`: `field_schema: unknown field "lookup" in float index params`,
		`{"type": "keyword", "is_tenant": "yes"}`: `field_schema: "is_tenant" must be a boolean`,
		`{"type": "keyword", "memory": "hot"}`:    `field_schema: "memory" must be one of cold, cached, pinned`,
		`{"is_tenant": true}`:                     `field_schema: "type" must be one of`,
		`5`:                                       `field_schema: must be a schema name or an object`,
		``:                                        `field_schema: invalid JSON`,
	}
	for in, want := range bad {
		_, err := ParseSchema(json.RawMessage(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseSchema(%s) error = %v, want %q", in, err, want)
		}
	}
	if _, err := ParseSchema(json.RawMessage(`"geo"`)); !errors.Is(err, ErrUnsupported) {
		t.Errorf("geo: %v is not ErrUnsupported", err)
	}
}

func TestNewIndexPanicsOnBadSchema(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	NewIndex("a", Schema("text"))
}

func TestIndexes(t *testing.T) {
	var ix Indexes
	if ix.Len() != 0 || ix.Get("a") != nil || ix.Fields() == nil && false {
		t.Fatal("zero Indexes not empty")
	}
	ix.Put(NewIndex("b", SchemaKeyword))
	ix.Put(NewIndex("a", SchemaInteger))
	ix.Put(NewIndex("a", SchemaFloat)) // replaces
	if got := ix.Fields(); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("Fields = %v", got)
	}
	if ix.Get("a").Schema() != SchemaFloat || ix.Get("a").Field() != "a" {
		t.Error("Put did not replace")
	}
	if ix.String() != "a:float, b:keyword" {
		t.Errorf("String = %q", ix.String())
	}
	ix.Add(0, payload(t, `{"a": [1, 2.5, "x"], "b": ["x", "y", 3]}`))
	ix.Add(1, payload(t, `{"a": "none", "b": "x"}`))
	if a, b := ix.Get("a"), ix.Get("b"); a.Points() != 1 || a.Values() != 2 || b.Points() != 2 || b.Values() != 2 {
		t.Errorf("points/values: a %d/%d b %d/%d", a.Points(), a.Values(), b.Points(), b.Values())
	}
	ix.Remove(0, payload(t, `{"a": [1, 2.5, "x"], "b": ["x", "y", 3]}`))
	if a, b := ix.Get("a"), ix.Get("b"); a.Points() != 0 || a.Values() != 0 || b.Points() != 1 || b.Values() != 1 {
		t.Errorf("after remove: a %d/%d b %d/%d", a.Points(), a.Values(), b.Points(), b.Values())
	}
	if !ix.Delete("a") || ix.Delete("a") || ix.Len() != 1 {
		t.Error("Delete")
	}
	var nilIx *Indexes
	if nilIx.Len() != 0 || nilIx.Get("x") != nil || nilIx.Fields() != nil {
		t.Error("nil Indexes")
	}
}

// candidateSlots runs Candidates and returns the slots (or nil, false).
func candidateSlots(t *testing.T, f *Filter, ix *Indexes, n int) ([]uint32, bool) {
	t.Helper()
	bits, ok := f.Candidates(ix, n)
	if !ok {
		return nil, false
	}
	var out []uint32
	for s, ok := bits.Next(0); ok; s, ok = bits.Next(s + 1) {
		if int(s) >= n {
			t.Fatalf("candidate slot %d >= n %d", s, n)
		}
		out = append(out, s)
	}
	return out, true
}

func TestCandidates(t *testing.T) {
	pts := fixturePoints(t)
	ix := &Indexes{}
	for _, f := range []struct {
		field string
		s     Schema
	}{{"city", SchemaKeyword}, {"color", SchemaKeyword}, {"count", SchemaInteger}, {"price", SchemaFloat},
		{"active", SchemaBool}, {"date", SchemaDatetime}, {"note", SchemaKeyword}, {"diet[].likes", SchemaBool},
		{"diet[].food", SchemaKeyword}, {"country.cities[].population", SchemaFloat}} {
		ix.Put(NewIndex(f.field, f.s))
	}
	for i, p := range pts {
		ix.Add(uint32(i), p.payload)
	}
	n := len(pts)
	slotOf := map[string]uint32{}
	for i, p := range pts {
		slotOf[p.name] = uint32(i)
	}
	names := func(slots []uint32) string {
		var out []string
		for _, s := range slots {
			out = append(out, pts[s].name)
		}
		return strings.Join(out, " ")
	}
	cases := []struct {
		name, filter string
		want         string // candidate names, or "-" for ok=false
	}{
		{"keyword", `{"must": [{"key": "city", "match": {"value": "Berlin"}}]}`, "4 6"},
		{"keyword any", `{"must": [{"key": "city", "match": {"any": ["Berlin", "Paris"]}}]}`, "4 6 u"},
		{"must intersects", `{"must": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, "2"},
		{"must skips unindexed", `{"must": [{"key": "city", "match": {"value": "London"}}, {"key": "tags", "match": {"value": "a"}}]}`, "1 2 3"},
		{"should unions", `{"should": [{"key": "city", "match": {"value": "Moscow"}}, {"key": "color", "match": {"value": "blue"}}]}`, "3 5 6"},
		{"should with unindexed branch", `{"should": [{"key": "city", "match": {"value": "Moscow"}}, {"key": "tags", "match": {"value": "a"}}]}`, "-"},
		{"empty should", `{"should": []}`, ""},
		{"must_not only", `{"must_not": [{"key": "city", "match": {"value": "London"}}]}`, "-"},
		{"must_not ignored", `{"must": [{"key": "color", "match": {"value": "red"}}], "must_not": [{"key": "city", "match": {"value": "London"}}]}`, "2 4 15"},
		{"integer match superset of 5.0", `{"must": [{"key": "count", "match": {"value": 5}}]}`, "3 4"},
		{"integer any", `{"must": [{"key": "count", "match": {"any": [1, 2]}}]}`, "1 2"},
		{"range on integer index", `{"must": [{"key": "count", "range": {"gt": 2, "lt": 6}}]}`, "3 4 15"},
		{"range strict bounds", `{"must": [{"key": "price", "range": {"gt": 9.5, "lt": 10.5}}]}`, "2"},
		{"float index cannot answer except", `{"must": [{"key": "count", "match": {"except": [1]}}]}`, "-"},
		{"keyword index cannot answer int match", `{"must": [{"key": "city", "match": {"value": 1}}]}`, "-"},
		{"bool", `{"must": [{"key": "active", "match": {"value": true}}]}`, "6 8"},
		{"datetime", `{"must": [{"key": "date", "range": {"gte": "2024-01-01"}}]}`, "8"},
		{"datetime index cannot answer number range", `{"must": [{"key": "date", "range": {"gte": 1}}]}`, "-"},
		{"text via keyword keys", `{"must": [{"key": "note", "match": {"text": "ello"}}]}`, "7 8"},
		{"prefix via keyword keys", `{"must": [{"key": "city", "match": {"prefix": "B"}}]}`, "4 6"},
		{"nested via projected index", `{"must": [{"nested": {"key": "diet", "filter": {"must": [{"key": "food", "match": {"value": "meat"}}, {"key": "likes", "match": {"value": true}}]}}}]}`, "11 12"},
		{"nested range", `{"must": [{"nested": {"key": "country.cities", "filter": {"must": [{"key": "population", "range": {"gte": 9}}]}}}]}`, "10"},
		{"filter as condition", `{"must": [{"should": [{"key": "color", "match": {"value": "blue"}}, {"key": "city", "match": {"value": "Paris"}}]}]}`, "3 6 u"},
		{"min_should union", `{"min_should": {"min_count": 1, "conditions": [{"key": "color", "match": {"value": "blue"}}, {"key": "city", "match": {"value": "Paris"}}]}}`, "3 6 u"},
		{"min_should all = must", `{"min_should": {"min_count": 2, "conditions": [{"key": "color", "match": {"value": "blue"}}, {"key": "city", "match": {"value": "Moscow"}}]}}`, "6"},
		{"min_should unreachable", `{"min_should": {"min_count": 3, "conditions": [{"key": "color", "match": {"value": "blue"}}]}}`, ""},
		{"has_id without lookup", `{"must": [{"has_id": [1]}]}`, "-"},
		{"is_empty unanswerable", `{"must": [{"is_empty": {"key": "city"}}]}`, "-"},
	}
	for _, c := range cases {
		f := mustParse(t, c.filter)
		slots, ok := candidateSlots(t, f, ix, n)
		got := "-"
		if ok {
			got = names(slots)
		}
		if got != c.want {
			t.Errorf("%s: candidates %q, want %q", c.name, got, c.want)
		}
		// Superset check.
		for i, p := range pts {
			if f.Match(p.id, p.payload) && ok && !containsSlot(slots, uint32(i)) {
				t.Errorf("%s: slot of point %s matches but is not a candidate", c.name, p.name)
			}
		}
	}

	// has_id through IDLookup.
	ix.IDLookup = func(id pointid.ID) (uint32, bool) {
		s, ok := slotOf[id.String()]
		if id.IsUUID() {
			s, ok = slotOf["u"]
		}
		return s, ok
	}
	f := mustParse(t, `{"must": [{"has_id": [1, 3, 1000, "`+fixtureUUID+`"]}]}`)
	if slots, ok := candidateSlots(t, f, ix, n); !ok || names(slots) != "1 3 u" {
		t.Errorf("has_id with lookup: %v %v", names(slots), ok)
	}
	if _, ok := f.Candidates(ix, 0); ok {
		t.Error("n = 0 must not be ok")
	}
	if _, ok := (*Filter)(nil).Candidates(ix, n); ok {
		t.Error("nil filter must not be ok")
	}
	if _, ok := mustParse(t, `{"must": [{"key": "city", "match": {"value": "x"}}]}`).Candidates(nil, n); ok {
		t.Error("nil indexes must not be ok")
	}
	if b, ok := mustParse(t, `{"should": []}`).Candidates(nil, n); !ok || b.Count() != 0 {
		t.Error("empty should without indexes must be an empty set")
	}
}

func containsSlot(s []uint32, x uint32) bool {
	i := sort.Search(len(s), func(i int) bool { return s[i] >= x })
	return i < len(s) && s[i] == x
}

func TestUUIDIndex(t *testing.T) {
	ix := &Indexes{}
	ix.Put(NewIndex("u", SchemaUUID))
	pays := []string{`{"u": "550e8400-e29b-41d4-a716-446655440000"}`, `{"u": "550E8400-E29B-41D4-A716-446655440000"}`,
		`{"u": "not a uuid"}`, `{"u": ["550e8400e29b41d4a716446655440000", 5]}`}
	for i, p := range pays {
		ix.Add(uint32(i), payload(t, p))
	}
	for _, c := range []struct {
		filter string
		want   []uint32
	}{
		{`{"must": {"key": "u", "match": {"value": "550e8400-e29b-41d4-a716-446655440000"}}}`, []uint32{0, 1, 3}},
		{`{"must": {"key": "u", "match": {"any": ["not a uuid"]}}}`, []uint32{2}},
	} {
		got, ok := candidateSlots(t, mustParse(t, c.filter), ix, len(pays))
		if !ok || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: %v %v", c.filter, got, ok)
		}
	}
	if _, ok := mustParse(t, `{"must": {"key": "u", "match": {"prefix": "55"}}}`).Candidates(ix, 4); ok {
		t.Error("uuid index must not answer prefix")
	}
	if ix.Get("u").Values() != 2 {
		t.Errorf("uuid values = %d", ix.Get("u").Values())
	}
}

// TestPostings checks postings against a map model through the sparse/dense transitions.
func TestPostings(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var p postings
	model := map[uint32]bool{}
	for step := 0; step < 60000; step++ {
		s := uint32(r.IntN(12000))
		if step < 30000 && r.IntN(4) != 0 || step >= 30000 && r.IntN(4) == 0 {
			if got := p.add(s); got == model[s] {
				t.Fatalf("add(%d) = %v with model %v", s, got, model[s])
			}
			model[s] = true
		} else {
			if got := p.remove(s); got != model[s] {
				t.Fatalf("remove(%d) = %v with model %v", s, got, model[s])
			}
			delete(model, s)
		}
		if p.n != len(model) {
			t.Fatalf("step %d: n = %d, model %d", step, p.n, len(model))
		}
		if step%5000 == 0 {
			checkPostings(t, &p, model)
		}
	}
	checkPostings(t, &p, model)
}

func checkPostings(t *testing.T, p *postings, model map[uint32]bool) {
	t.Helper()
	dst := NewBitmap(10000) // smaller than the slot range: orInto must clip
	p.orInto(dst)
	for s := uint32(0); s < 12000; s++ {
		want := model[s] && s < uint32(dst.Len())
		if dst.Get(s) != want {
			t.Fatalf("slot %d: got %v want %v (dense %v)", s, dst.Get(s), want, p.bits != nil)
		}
	}
}

// TestNumericIndexChurn drives merges and compaction and compares range scans with a model.
func TestNumericIndexChurn(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := NewIndex("v", SchemaFloat).(*numericIndex)
	const n = 5000
	vals := make([]float64, n)
	live := make([]bool, n)
	pay := func(v float64) map[string]any { return map[string]any{"v": v} }
	for round := 0; round < 4; round++ {
		for s := 0; s < n; s++ {
			if live[s] && r.IntN(2) == 0 {
				x.Remove(uint32(s), pay(vals[s]))
				live[s] = false
			}
			if !live[s] && r.IntN(3) != 0 {
				vals[s] = float64(r.IntN(1_000_000)) / 7
				x.Add(uint32(s), pay(vals[s]))
				live[s] = true
			}
		}
		for q := 0; q < 50; q++ {
			lo := float64(r.IntN(1_000_000)) / 7
			hi := lo + float64(r.IntN(200_000))/7
			dst := NewBitmap(n)
			x.scan(&numRange{gte: lo, lte: hi, hasGte: true, hasLte: true}, dst)
			for s := 0; s < n; s++ {
				want := live[s] && vals[s] >= lo && vals[s] <= hi
				if dst.Get(uint32(s)) != want {
					t.Fatalf("round %d: slot %d value %v range [%v, %v]: got %v", round, s, vals[s], lo, hi, dst.Get(uint32(s)))
				}
			}
		}
		if !sort.Float64sAreSorted(x.keys) {
			t.Fatal("keys not sorted")
		}
	}
	// Remove everything: compaction must leave an empty index.
	for s := 0; s < n; s++ {
		if live[s] {
			x.Remove(uint32(s), pay(vals[s]))
		}
	}
	if x.Values() != 0 || x.Points() != 0 || len(x.m) > 1024 {
		t.Errorf("after removing all: values %d points %d map %d", x.Values(), x.Points(), len(x.m))
	}
}

func TestBitmap(t *testing.T) {
	b := NewBitmap(130)
	if b.Len() != 192 || b.Count() != 0 {
		t.Fatal(b.Len(), b.Count())
	}
	for _, s := range []uint32{0, 63, 64, 129} {
		b.Set(s)
	}
	if b.Count() != 4 || !b.Get(63) || b.Get(62) || b.Get(1000) {
		t.Error("Set/Get")
	}
	var got []uint32
	for s, ok := b.Next(0); ok; s, ok = b.Next(s + 1) {
		got = append(got, s)
	}
	if !reflect.DeepEqual(got, []uint32{0, 63, 64, 129}) {
		t.Errorf("Next: %v", got)
	}
	if _, ok := b.Next(130); ok {
		t.Error("Next past last")
	}
	if _, ok := b.Next(5000); ok {
		t.Error("Next out of range")
	}
	b.Clear(63)
	o := NewBitmap(64)
	o.Set(0)
	o.Set(5)
	c := append(Bitmap(nil), b...)
	c.And(o)
	if c.Count() != 1 || !c.Get(0) {
		t.Error("And")
	}
	b.Or(o)
	if b.Count() != 4 || !b.Get(5) {
		t.Error("Or")
	}
	if NewBitmap(-1).Len() != 0 {
		t.Error("negative size")
	}
}

func TestParseSchemaTrailing(t *testing.T) {
	if _, err := ParseSchema(json.RawMessage(`"keyword" "x"`)); err == nil {
		t.Error("trailing data accepted")
	}
}

func TestPostingsStaySparseWhenSpread(t *testing.T) {
	var p postings
	for i := uint32(0); i < 5000; i++ {
		p.add(i * 1000)
	}
	if p.bits != nil || p.n != 5000 {
		t.Errorf("spread postings went dense (n %d)", p.n)
	}
	dst := NewBitmap(5000 * 1000)
	p.orInto(dst)
	if dst.Count() != 5000 {
		t.Errorf("count %d", dst.Count())
	}
}
