package filter

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// payload decodes JSON the way the rest of Needle does (UseNumber).
func payload(t testing.TB, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("bad test payload %s: %v", s, err)
	}
	return m
}

func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParsePath(t *testing.T) {
	valid := map[string]keyPath{
		"foo": {first: "foo"},
		"foo[1][50].bar-baz[].\"qux[.]quux\"": {first: "foo", rest: []step{
			{kind: stepIndex, index: 1}, {kind: stepIndex, index: 50}, {kind: stepKey, key: "bar-baz"},
			{kind: stepAll}, {kind: stepKey, key: "qux[.]quux"},
		}},
		`"a b".c`:   {first: "a b", rest: []step{{kind: stepKey, key: "c"}}},
		"ключ_1.x2": {first: "ключ_1", rest: []step{{kind: stepKey, key: "x2"}}},
		"a[]":       {first: "a", rest: []step{{kind: stepAll}}},
	}
	for in, want := range valid {
		got, err := parsePath(in)
		if err != nil {
			t.Errorf("parsePath(%q): %v", in, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("parsePath(%q) = %+v, want %+v", in, got, want)
		}
	}
	for _, in := range []string{"", ".a", "a.", "a..b", "a b", "a[", "a[x]", "a[1", "a]", `a."b`, `a."b\"c"`, "a[]b", "a.[]", "a[99999999999]", "a/b"} {
		if _, err := parsePath(in); err == nil {
			t.Errorf("parsePath(%q): want error", in)
		}
		if err := ValidateKey(in); err == nil {
			t.Errorf("ValidateKey(%q): want error", in)
		}
	}
}

func TestValues(t *testing.T) {
	p := payload(t, `{
		"a": {"b": [{"c": 1}, {"c": 2}, {"d": {"e": 3}}]},
		"f": 3, "g": ["g0", "g1", "g2"], "n": null,
		"arr": [{"a": [1, 2, 3]}, {"a": 4}, {"b": 5}],
		"arr1": [{"arr2": [{"a": 1}]}, {"arr2": [{"a": 3}, {"a": 5}]}],
		"dot.key": "quoted"
	}`)
	cases := []struct {
		key  string
		want string
	}{
		{"f", `[3]`},
		{"n", `[null]`},
		{"missing", `null`},
		{"a.b[].c", `[1,2]`},
		{"a.b[].d", `[{"e":3}]`},
		{"a.b[0]", `[{"c":1}]`},
		{"a.b[1].c", `[2]`},
		{"a.b[3]", `null`},
		{"g[2]", `["g2"]`},
		{"g", `[["g0","g1","g2"]]`},
		{"g[]", `["g0","g1","g2"]`},
		{"a.b.c", `null`}, // "a.b" does not walk into the array b
		{"arr[].a", `[[1,2,3],4]`},
		{"arr[].a[]", `[1,2,3]`},
		{"arr1[].arr2[].a", `[1,3,5]`},
		{"f.x", `null`},
		{"f[]", `null`},
		{`"dot.key"`, `["quoted"]`},
		{"dot.key", `null`},
		{"bad key", `null`},
	}
	for _, c := range cases {
		if got := jsonOf(t, Values(p, c.key)); got != c.want {
			t.Errorf("Values(%q) = %s, want %s", c.key, got, c.want)
		}
	}
}
