package filter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in, want    string
		unsupported bool
	}{
		{`[]`, `filter: filter must be a JSON object, got an array`, false},
		{`{"must": [}`, `filter: invalid JSON`, false},
		{`{"must": []} x`, `filter: invalid JSON: unexpected data after the filter object`, false},
		{`{"must"`, `filter: invalid JSON: unexpected end of input`, false},
		{`{"mustt": []}`, `filter: unknown field "mustt" in filter (allowed: must, should, must_not, min_should)`, false},
		{`{"must": 1}`, `filter.must: must be a condition object or an array of conditions, got the number 1`, false},
		{`{"must": [1]}`, `filter.must[0]: condition must be a JSON object, got the number 1`, false},
		{`{"must": [{"foo": 1}]}`, `filter.must[0]: unknown condition field "foo"`, false},
		{`{"must": [{"key": "a", "mach": {"value": 1}}]}`, `filter.must[0]: unknown field "mach" in field condition`, false},
		{`{"must": [{"key": "a"}]}`, `filter.must[0]: field condition on "a" has no check`, false},
		{`{"must": [{"key": 1, "match": {"value": 1}}]}`, `filter.must[0]: "key" must be a string, got the number 1`, false},
		{`{"must": [{"key": "a b", "match": {"value": 1}}]}`, `filter.must[0]: invalid key "a b"`, false},
		{`{"must": [{"key": "", "match": {"value": 1}}]}`, `filter.must[0]: invalid key "": key must not be empty`, false},
		{`{"must": [{"key": "a", "match": {"value": 1}, "range": {"gt": 1}}]}`, `filter.must[0]: field condition on "a" has both "match" and "range"`, false},
		{`{"must": [{"key": "a", "match": {"value": 1.5}}]}`, `filter.must[0].match: "value" must be a string, an integer or a boolean; got the non-integer number 1.5`, false},
		{`{"must": [{"key": "a", "match": {"value": [1]}}]}`, `filter.must[0].match: "value" must be a string, an integer or a boolean, got an array`, false},
		{`{"must": [{"key": "a", "match": {"value": null}}]}`, `filter.must[0].match: must have exactly one of value, any, except`, false},
		{`{"must": [{"key": "a", "match": {"value": 1, "any": [1]}}]}`, `filter.must[0].match: must have exactly one of`, false},
		{`{"must": [{"key": "a", "match": {"values": 1}}]}`, `filter.must[0].match: unknown field "values" in match`, false},
		{`{"must": [{"key": "a", "match": 1}]}`, `filter.must[0].match: must be an object`, false},
		{`{"must": [{"key": "a", "match": {"any": [1, "x"]}}]}`, `filter.must[0].match: "any" must be an array of strings or an array of integers`, false},
		{`{"must": [{"key": "a", "match": {"except": [1.5]}}]}`, `filter.must[0].match: "except" must be an array of strings or an array of integers`, false},
		{`{"must": [{"key": "a", "match": {"any": "x"}}]}`, `filter.must[0].match: "any" must be an array`, false},
		{`{"must": [{"key": "a", "match": {"text": 1}}]}`, `filter.must[0].match: "text" must be a string, got the number 1`, false},
		{`{"must": [{"key": "a", "range": {"gt": true}}]}`, `filter.must[0].range: "gt" must be a number`, false},
		{`{"should": {"key": "a", "range": {"gt": "yesterday"}}}`, `filter.should.range: "gt" must be a number or a datetime`, false},
		{`{"must": [{"key": "a", "range": {"gt": 1, "lt": "2020-01-01"}}]}`, `filter.must[0].range: bounds must be all numbers or all datetime strings`, false},
		{`{"must": [{"key": "a", "range": {"gt": 1e999}}]}`, `filter.must[0].range: "gt" must be a number within float64 range`, false},
		{`{"must": [{"key": "a", "range": {"from": 1}}]}`, `filter.must[0].range: unknown field "from" in range (allowed: gt, gte, lt, lte)`, false},
		{`{"must": [{"key": "a", "values_count": {"gt": -1}}]}`, `filter.must[0].values_count: "gt" must be a non-negative integer`, false},
		{`{"must": [{"key": "a", "values_count": {"gt": 1.5}}]}`, `filter.must[0].values_count: "gt" must be a non-negative integer`, false},
		{`{"must": [{"key": "a", "is_empty": "yes"}]}`, `filter.must[0].is_empty: must be a boolean`, false},
		{`{"must": [{"is_empty": {"key": "a", "x": 1}}]}`, `filter.must[0].is_empty: unknown field "x" in is_empty`, false},
		{`{"must": [{"is_empty": "a"}]}`, `filter.must[0].is_empty: must be an object {"key": "..."}, got the string "a"`, false},
		{`{"must": [{"is_null": {"key": "a"}, "extra": 1}]}`, `filter.must[0]: unknown field "extra" in is_null condition`, false},
		{`{"must": [{"has_id": [1, -1]}]}`, `filter.must[0].has_id[1]: point id must be an unsigned integer or a UUID string`, false},
		{`{"must": [{"has_id": ["not-a-uuid"]}]}`, `filter.must[0].has_id[0]: point id must be an unsigned integer or a UUID string`, false},
		{`{"must": [{"has_id": 1}]}`, `filter.must[0].has_id: must be an array of point ids`, false},
		{`{"must": [{"nested": {"key": "a"}}]}`, `filter.must[0].nested: "filter" is required`, false},
		{`{"must": [{"nested": {"key": "a", "filter": {"must": [{"key": "b", "match": {"value": 1.5}}]}}}]}`, `filter.must[0].nested.filter.must[0].match: "value" must be`, false},
		{`{"must": [{"nested": {"key": "a", "filter": {"must": [{"has_id": [1]}]}}}]}`, `filter.must[0].nested.filter.must[0]: has_id is not allowed inside a nested filter`, false},
		{`{"min_should": {"conditions": [], "min_count": 0}}`, `filter.min_should: "min_count" must be an integer >= 1`, false},
		{`{"min_should": {"conditions": {}, "min_count": 1}}`, `filter.min_should: "conditions" must be an array of conditions`, false},
		{`{"min_should": {"conditions": [{"key": "a"}], "min_count": 1}}`, `filter.min_should.conditions[0]: field condition on "a" has no check`, false},
		{`{"min_should": {"conditions": [], "min_count": 1, "x": 1}}`, `filter.min_should: unknown field "x" in min_should`, false},
		{`{"must": [{"slice": {"total": 0, "index": 0}}]}`, `filter.must[0].slice: "total" must be an integer between 1 and 4294967295`, false},
		{`{"must": [{"slice": {"total": 2, "index": 2}}]}`, `filter.must[0].slice: "index" must be an integer in 0..total-1`, false},
		{`{"must": [{"must": [{"must_not": {"key": "a", "match": {"value": "x", "y": 1}}}]}]}`, `filter.must[0].must[0].must_not.match: unknown field "y" in match`, false},
		{`{"must": [{"key": "loc", "geo_radius": {"center": {"lat": 1, "lon": 2}, "radius": 3}}]}`, `filter.must[0].geo_radius: geo conditions are not supported`, true},
		{`{"must": [{"key": "loc", "geo_bounding_box": {}}]}`, `filter.must[0].geo_bounding_box: geo conditions are not supported`, true},
		{`{"must": [{"has_vector": "image"}]}`, `filter.must[0]: has_vector conditions are not supported`, true},
		{strings.Repeat(`{"must": `, 70) + `{}` + strings.Repeat(`}`, 70), `filter is nested too deeply`, false},
	}
	for _, c := range cases {
		f, err := Parse([]byte(c.in))
		if err == nil {
			t.Errorf("Parse(%s) = %v, want error %q", c.in, f, c.want)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%s)\n error: %s\n  want: %s", c.in, err, c.want)
		}
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("Parse(%s): error %T is not a *ParseError", c.in, err)
		}
		if got := errors.Is(err, ErrUnsupported); got != c.unsupported {
			t.Errorf("Parse(%s): errors.Is(ErrUnsupported) = %v", c.in, got)
		}
		if got := errors.Is(err, ErrInvalid); got == c.unsupported {
			t.Errorf("Parse(%s): errors.Is(ErrInvalid) = %v", c.in, got)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"must": {"key": "a", "match": {"value": "x"}, "range": null, "geo_radius": null}}`,
		`{"must": [{"key": "a.b[].c", "match": {"value": true}}]}`,
		`{"must": [{"key": "a", "range": {"gt": null, "lt": 5}}]}`,
		`{"must": [{"key": "a", "range": {"gte": "2020-01-01", "lt": "2021-01-01T00:00:00+02:00"}}]}`,
		`{"should": [{"has_id": [1, "550e8400-e29b-41d4-a716-446655440000", "550e8400e29b41d4a716446655440000"]}]}`,
		`{"must": [{"key": "a", "match": {"any": []}}, {"key": "b", "match": {"except": ["x"]}}]}`,
		`{"min_should": {"conditions": [{"is_null": {"key": "a"}}], "min_count": 5}}`,
		`{"must": [{"nested": {"key": "a", "filter": {"must": [{"nested": {"key": "b", "filter": {}}}]}}}]}`,
		`{"must": [{"must": [], "should": [{"must_not": []}]}]}`,
		strings.Repeat(`{"must": `, 60) + `{}` + strings.Repeat(`}`, 60),
	} {
		if _, err := Parse([]byte(in)); err != nil {
			t.Errorf("Parse(%s): %v", in, err)
		}
	}
}

// request is how the collection embeds a filter in a request body.
type request struct {
	Filter *Filter `json:"filter"`
	Limit  int     `json:"limit"`
}

func TestUnmarshalEmbedded(t *testing.T) {
	var r request
	if err := json.Unmarshal([]byte(`{"filter": {"must": [{"key": "a", "match": {"value": 1}}]}, "limit": 3}`), &r); err != nil {
		t.Fatal(err)
	}
	if r.Filter == nil || r.Limit != 3 || !r.Filter.Match(pointid.Num(0), payload(t, `{"a": 1}`)) || r.Filter.Match(pointid.Num(0), payload(t, `{"a": 2}`)) {
		t.Errorf("embedded filter decoded wrongly: %+v", r)
	}
	r = request{}
	if err := json.Unmarshal([]byte(`{"filter": null}`), &r); err != nil || r.Filter != nil {
		t.Errorf("null filter: %v %v", r.Filter, err)
	}
	err := json.Unmarshal([]byte(`{"filter": {"must": [{"key": "a", "range": {"gt": "x"}}]}}`), &r)
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.HasPrefix(err.Error(), "filter.must[0].range:") {
		t.Errorf("embedded error = %v", err)
	}
	var byValue struct{ Filter Filter }
	if err := json.Unmarshal([]byte(`{"Filter": null}`), &byValue); err != nil {
		t.Errorf("null into value: %v", err)
	}
}
