package filter

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// fixture: point id -> payload. Ids 1..6 follow Qdrant's filtering docs; the rest cover edge cases.
var fixture = map[uint64]string{
	1:  `{"city": "London", "color": "green", "count": 1, "price": 9.5, "tags": ["a", "b"]}`,
	2:  `{"city": "London", "color": "red", "count": 2, "price": 10, "tags": ["b"]}`,
	3:  `{"city": "London", "color": "blue", "count": 5.0, "price": 10.5}`,
	4:  `{"city": "Berlin", "color": "red", "count": [5, 6], "tags": []}`,
	5:  `{"city": "Moscow", "color": "green", "count": "5", "tags": null}`,
	6:  `{"city": ["Moscow", "Berlin"], "color": "blue", "active": true}`,
	7:  `{"active": false, "note": "Hello World", "date": "2023-02-08T10:49:00Z", "tags": [null]}`,
	8:  `{"active": [true, false], "note": "hello there", "date": "2024-01-31 10:14:31", "nested": {"x": {"y": 3}}}`,
	9:  `{"country": {"name": "Germany", "cities": [{"name": "Berlin", "population": 3.7, "sightseeing": ["Brandenburg Gate", "Reichstag"]}, {"name": "Munich", "population": 1.5, "sightseeing": ["Marienplatz", "Olympiapark"]}]}}`,
	10: `{"country": {"name": "Japan", "cities": [{"name": "Tokyo", "population": 9.3, "sightseeing": ["Tokyo Tower", "Tokyo Skytree"]}, {"name": "Osaka", "population": 2.7, "sightseeing": ["Osaka Castle", "Universal Studios Japan"]}]}}`,
	11: `{"diet": [{"food": "meat", "likes": false}, {"food": "vegetables", "likes": true}]}`,
	12: `{"diet": [{"food": "meat", "likes": true}, {"food": "vegetables", "likes": false}]}`,
	13: `{"diet": [{"food": "meat", "likes": false}, {"food": "vegetables", "likes": false}]}`,
	14: `{}`,
	15: `{"color": ["red", "green"], "count": [[1], 2.5], "big": 18446744073709551615}`,
}

// fixtureUUID is a point with a UUID id.
const fixtureUUID = "550e8400-e29b-41d4-a716-446655440000"

type point struct {
	id      pointid.ID
	name    string
	payload map[string]any
}

func fixturePoints(t testing.TB) []point {
	var pts []point
	keys := make([]uint64, 0, len(fixture))
	for k := range fixture {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, k := range keys {
		pts = append(pts, point{id: pointid.Num(k), name: fmt.Sprint(k), payload: payload(t, fixture[k])})
	}
	u, _ := pointid.ParseUUID(fixtureUUID)
	pts = append(pts, point{id: u, name: "u", payload: payload(t, `{"city": "Paris"}`)})
	return pts
}

func mustParse(t testing.TB, s string) *Filter {
	t.Helper()
	f, err := Parse([]byte(s))
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return f
}

func TestMatch(t *testing.T) {
	pts := fixturePoints(t)
	cases := []struct {
		name, filter, want string // want: matching point names, space-separated
	}{
		// Boolean structure.
		{"empty filter", `{}`, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 u"},
		{"must", `{"must": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, "2"},
		{"must single object", `{"must": {"key": "city", "match": {"value": "London"}}}`, "1 2 3"},
		{"should", `{"should": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`, "1 2 3 4 15"},
		{"must_not", `{"must_not": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "red"}}]}`,
			"5 6 7 8 9 10 11 12 13 14 u"},
		{"combined", `{"must": [{"key": "city", "match": {"value": "London"}}], "must_not": [{"key": "color", "match": {"value": "red"}}]}`, "1 3"},
		{"empty should matches nothing", `{"should": []}`, ""},
		{"empty must matches all", `{"must": [], "must_not": []}`, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 u"},
		{"null clauses", `{"must": null, "should": null, "must_not": null, "min_should": null}`, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 u"},
		{"nested filter condition", `{"must": [{"should": [{"key": "color", "match": {"value": "blue"}}, {"key": "count", "match": {"value": 1}}]}], "must_not": [{"key": "city", "match": {"value": "Moscow"}}]}`, "1 3"},
		{"min_should 2 of 3", `{"min_should": {"min_count": 2, "conditions": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "green"}}, {"key": "price", "range": {"gte": 10}}]}}`, "1 2 3"},
		{"min_should all", `{"min_should": {"min_count": 3, "conditions": [{"key": "city", "match": {"value": "London"}}, {"key": "color", "match": {"value": "green"}}, {"key": "price", "range": {"lt": 10}}]}}`, "1"},
		{"min_should unreachable", `{"min_should": {"min_count": 2, "conditions": [{"key": "city", "match": {"value": "London"}}]}}`, ""},
		{"min_should empty", `{"min_should": {"min_count": 1, "conditions": []}}`, ""},
		{"should and min_should", `{"should": [{"key": "color", "match": {"value": "red"}}], "min_should": {"min_count": 1, "conditions": [{"key": "city", "match": {"value": "Berlin"}}]}}`, "4"},

		// match value.
		{"keyword in array", `{"must": [{"key": "city", "match": {"value": "Berlin"}}]}`, "4 6"},
		{"keyword case sensitive", `{"must": [{"key": "city", "match": {"value": "london"}}]}`, ""},
		{"integer matches integers only", `{"must": [{"key": "count", "match": {"value": 5}}]}`, "4"},
		{"integer in nested array not flattened", `{"must": [{"key": "count", "match": {"value": 1}}]}`, "1"},
		{"bool", `{"must": [{"key": "active", "match": {"value": true}}]}`, "6 8"},
		{"bool false", `{"must": [{"key": "active", "match": {"value": false}}]}`, "7 8"},
		{"big integer", `{"must": [{"key": "big", "match": {"value": 9223372036854775807}}]}`, ""},
		{"nested object key", `{"must": [{"key": "nested.x.y", "match": {"value": 3}}]}`, "8"},
		{"value on object", `{"must": [{"key": "nested", "match": {"value": "x"}}]}`, ""},

		// match any / except.
		{"any strings", `{"must": [{"key": "color", "match": {"any": ["red", "blue"]}}]}`, "2 3 4 6 15"},
		{"any ints", `{"must": [{"key": "count", "match": {"any": [2, 6]}}]}`, "2 4"},
		{"any empty", `{"must": [{"key": "color", "match": {"any": []}}]}`, ""},
		{"any large list", `{"must": [{"key": "color", "match": {"any": ["c1","c2","c3","c4","c5","c6","c7","c8","c9","c10","c11","c12","c13","red"]}}]}`, "2 4 15"},
		{"except strings", `{"must": [{"key": "color", "match": {"except": ["red", "blue"]}}]}`, "1 5 15"},
		{"except ints", `{"must": [{"key": "count", "match": {"except": [1, 2, 5]}}]}`, "3 4 5 15"},
		{"except empty list", `{"must": [{"key": "tags", "match": {"except": []}}]}`, "1 2"},
		{"except on other types", `{"must": [{"key": "active", "match": {"except": ["x"]}}]}`, "6 7 8"},
		{"except large list", `{"must": [{"key": "count", "match": {"except": [1,2,3,4,5,6,7,8,9,10,11,12,13,14]}}]}`, "3 5 15"},

		// text matching.
		{"text substring", `{"must": [{"key": "note", "match": {"text": "ello"}}]}`, "7 8"},
		{"text case sensitive", `{"must": [{"key": "note", "match": {"text": "World"}}]}`, "7"},
		{"phrase", `{"must": [{"key": "note", "match": {"phrase": "hello there"}}]}`, "8"},
		{"text_any", `{"must": [{"key": "note", "match": {"text_any": "World there"}}]}`, "7 8"},
		{"text_any empty", `{"must": [{"key": "note", "match": {"text_any": "  "}}]}`, ""},
		{"prefix", `{"must": [{"key": "city", "match": {"prefix": "Mo"}}]}`, "5 6"},

		// range.
		{"range number", `{"must": [{"key": "price", "range": {"gte": 9.5, "lt": 10.5}}]}`, "1 2"},
		{"range int and float payloads", `{"must": [{"key": "count", "range": {"gt": 4, "lte": 5}}]}`, "3 4"},
		{"range on array", `{"must": [{"key": "count", "range": {"gte": 6}}]}`, "4"},
		{"range ignores strings", `{"must": [{"key": "count", "range": {"gte": 5, "lte": 5}}]}`, "3 4"},
		{"range no bounds = any number", `{"must": [{"key": "count", "range": {}}]}`, "1 2 3 4 15"},
		{"range all bounds", `{"must": [{"key": "price", "range": {"gt": 9, "gte": 9.5, "lt": 11, "lte": 10}}]}`, "1 2"},
		{"datetime range", `{"must": [{"key": "date", "range": {"gt": "2023-02-08T10:49:00Z", "lte": "2024-01-31T10:14:31Z"}}]}`, "8"},
		{"datetime range with offsets", `{"must": [{"key": "date", "range": {"gte": "2023-02-08T11:49:00+01:00", "lt": "2023-02-09"}}]}`, "7"},
		{"nested array range", `{"must": [{"key": "country.cities[].population", "range": {"gte": 9.0}}]}`, "10"},

		// values_count.
		{"values_count gt", `{"must": [{"key": "count", "values_count": {"gt": 1}}]}`, "4 15"},
		{"values_count lt 1 counts missing and null", `{"must": [{"key": "tags", "values_count": {"lt": 1}}]}`, "3 4 5 6 8 9 10 11 12 13 14 15 u"},
		{"values_count exact", `{"must": [{"key": "tags", "values_count": {"gte": 1, "lte": 1}}]}`, "2 7"},

		// empty / null.
		{"is_empty", `{"must": [{"is_empty": {"key": "tags"}}]}`, "3 4 5 6 8 9 10 11 12 13 14 15 u"},
		{"is_null", `{"must": [{"is_null": {"key": "tags"}}]}`, "5"},
		{"is_empty on nested path", `{"must": [{"is_empty": {"key": "nested.x.y"}}]}`, "1 2 3 4 5 6 7 9 10 11 12 13 14 15 u"},
		{"not is_empty", `{"must_not": [{"is_empty": {"key": "tags"}}]}`, "1 2 7"},
		{"field is_empty true", `{"must": [{"key": "tags", "is_empty": true}]}`, "3 4 5 6 8 9 10 11 12 13 14 15 u"},
		{"field is_empty false", `{"must": [{"key": "tags", "is_empty": false}]}`, "1 2 7"},
		{"field is_null true", `{"must": [{"key": "tags", "is_null": true}]}`, "5 7"},
		{"field is_null false", `{"must": [{"key": "tags", "is_null": false}]}`, "1 2 3 4 6 8 9 10 11 12 13 14 15 u"},

		// has_id, slice.
		{"has_id", `{"must": [{"has_id": [1, 3, 99, "` + fixtureUUID + `"]}]}`, "1 3 u"},
		{"has_id uppercase uuid", `{"must": [{"has_id": ["550E8400-E29B-41D4-A716-446655440000"]}]}`, "u"},
		{"has_id empty", `{"must": [{"has_id": []}]}`, ""},
		{"must_not has_id", `{"must_not": [{"has_id": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]}]}`, "15 u"},
		{"slice total 1", `{"must": [{"slice": {"total": 1, "index": 0}}]}`, "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 u"},

		// nested.
		{"nested array projection", `{"should": [{"key": "country.cities[].sightseeing", "match": {"value": "Osaka Castle"}}]}`, "10"},
		{"projection is not element-wise", `{"must": [{"key": "diet[].food", "match": {"value": "meat"}}, {"key": "diet[].likes", "match": {"value": true}}]}`, "11 12"},
		{"nested is element-wise", `{"must": [{"nested": {"key": "diet", "filter": {"must": [{"key": "food", "match": {"value": "meat"}}, {"key": "likes", "match": {"value": true}}]}}}]}`, "12"},
		{"nested key with []", `{"must": [{"nested": {"key": "diet[]", "filter": {"must": [{"key": "likes", "match": {"value": true}}]}}}]}`, "11 12"},
		{"nested must_not", `{"must": [{"nested": {"key": "diet", "filter": {"must_not": [{"key": "likes", "match": {"value": true}}]}}}]}`, "11 12 13"},
		{"not nested", `{"must_not": [{"nested": {"key": "diet", "filter": {"must": [{"key": "likes", "match": {"value": true}}]}}}]}`,
			"1 2 3 4 5 6 7 8 9 10 13 14 15 u"},
		{"nested in nested", `{"must": [{"nested": {"key": "country.cities", "filter": {"must": [{"key": "sightseeing", "match": {"value": "Tokyo Tower"}}, {"key": "population", "range": {"gt": 9}}]}}}]}`, "10"},
		{"nested on non-array", `{"must": [{"nested": {"key": "nested", "filter": {}}}]}`, ""},
		{"nested is_empty", `{"must": [{"nested": {"key": "country.cities", "filter": {"must": [{"is_empty": {"key": "name"}}]}}}]}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := mustParse(t, c.filter)
			var got []string
			for _, p := range pts {
				if f.Match(p.id, p.payload) {
					got = append(got, p.name)
				}
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("filter %s\n got: %s\nwant: %s", c.filter, g, c.want)
			}
		})
	}
}

func TestNilFilter(t *testing.T) {
	var f *Filter
	if !f.Match(pointid.Num(1), nil) {
		t.Error("nil filter must match")
	}
	f, err := Parse([]byte(" null "))
	if f != nil || err != nil {
		t.Errorf("Parse(null) = %v, %v", f, err)
	}
	f, err = Parse(nil)
	if f != nil || err != nil {
		t.Errorf("Parse(nil) = %v, %v", f, err)
	}
	if !(&Filter{}).Match(pointid.Num(1), nil) {
		t.Error("zero filter must match")
	}
	if !mustParse(t, `{"must": [{"is_empty": {"key": "a"}}]}`).Match(pointid.Num(1), nil) {
		t.Error("is_empty on a nil payload must match")
	}
}

func TestSliceCondition(t *testing.T) {
	const total = 4
	counts := make([]int, total)
	for i := uint64(0); i < 1000; i++ {
		id := pointid.Num(i)
		hits := 0
		for s := 0; s < total; s++ {
			f := mustParse(t, fmt.Sprintf(`{"must": {"slice": {"total": %d, "index": %d}}}`, total, s))
			if f.Match(id, nil) {
				hits++
				counts[s]++
			}
		}
		if hits != 1 {
			t.Fatalf("id %d is in %d slices, want exactly 1", i, hits)
		}
		// Slices with different totals nest: slice 0 of 4 is inside slice 0 of 2.
		in4 := mustParse(t, `{"must": {"slice": {"total": 4, "index": 0}}}`).Match(id, nil)
		in2 := mustParse(t, `{"must": {"slice": {"total": 2, "index": 0}}}`).Match(id, nil)
		if in4 && !in2 {
			t.Fatalf("id %d: slice 0/4 not contained in slice 0/2", i)
		}
	}
	for s, n := range counts {
		if n < 200 || n > 300 {
			t.Errorf("slice %d holds %d of 1000 ids; hash not uniform", s, n)
		}
	}
}

func TestSipHashVectors(t *testing.T) {
	// Test vectors from the SipHash paper (key 00..0f, message 00..len-1).
	const k0, k1 = 0x0706050403020100, 0x0f0e0d0c0b0a0908
	msg := []byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}
	if got := sipHash24(k0, k1, nil); got != 0x726fdb47dd0e0e31 {
		t.Errorf("empty: %#x", got)
	}
	if got := sipHash24(k0, k1, msg); got != 0xa129ca6149be45e5 {
		t.Errorf("15 bytes: %#x", got)
	}
}

func TestMarshalJSON(t *testing.T) {
	f := mustParse(t, ` { "must" : [ {"key": "a", "match": {"value": 1}} ] } `)
	if got := f.String(); got != `{"must":[{"key":"a","match":{"value":1}}]}` {
		t.Errorf("String() = %s", got)
	}
	var g Filter
	if err := g.UnmarshalJSON([]byte(f.String())); err != nil || g.String() != f.String() {
		t.Errorf("round trip: %v %s", err, g.String())
	}
	if got := (&Filter{}).String(); got != "{}" {
		t.Errorf("zero String() = %s", got)
	}
}

func TestMarshalByValue(t *testing.T) {
	type req struct {
		F Filter  `json:"f"`
		P *Filter `json:"p"`
	}
	r := req{F: *mustParse(t, `{"must": {"is_null": {"key": "a"}}}`)}
	if got := jsonOf(t, r); got != `{"f":{"must":{"is_null":{"key":"a"}}},"p":null}` {
		t.Errorf("marshal = %s", got)
	}
	if (*Filter)(nil).String() != "null" {
		t.Error("nil String")
	}
}
