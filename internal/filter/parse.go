package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/needlevdb/needle/internal/pointid"
)

// maxDepth bounds how deeply filters may nest (filters inside conditions, nested conditions), so a
// hostile request cannot make parsing or matching recurse without limit.
const maxDepth = 64

// Parse parses and validates a Qdrant filter. Empty input and JSON null yield (nil, nil), and a nil
// *Filter matches everything. Errors are *ParseError values naming the offending path, e.g.
// `filter.must[1].range: "gt" must be a number`; unknown keys are rejected.
func Parse(data []byte) (*Filter, error) {
	trimmed := bytes.TrimSpace(data)
	if len(trimmed) == 0 || string(trimmed) == "null" {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, invalidf("filter", "invalid JSON: "+jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, invalidf("filter", "invalid JSON: unexpected data after the filter object")
	}
	p := parser{}
	f, err := p.filter("filter", v, 0, false)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if json.Compact(&buf, trimmed) == nil {
		f.raw = buf.Bytes()
	}
	return f, nil
}

func jsonErr(err error) string {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "unexpected end of input"
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// UnmarshalJSON parses a filter embedded in a larger request (see Parse). JSON null yields the zero
// Filter, which matches everything; a *Filter field set to null stays nil.
func (f *Filter) UnmarshalJSON(data []byte) error {
	g, err := Parse(data)
	if err != nil {
		return err
	}
	if g == nil {
		*f = Filter{}
		return nil
	}
	*f = *g
	return nil
}

type parser struct{}

var filterKeys = []string{"must", "should", "must_not", "min_should"}

func (p parser) filter(path string, v any, depth int, nested bool) (*Filter, error) {
	if depth > maxDepth {
		return nil, invalidf(path, fmt.Sprintf("filter is nested too deeply (more than %d levels)", maxDepth))
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf(path, "filter must be a JSON object, got "+describe(v))
	}
	if err := onlyKeys(path, obj, "filter", filterKeys...); err != nil {
		return nil, err
	}
	f := &Filter{}
	var err error
	if f.must, _, err = p.condList(path+".must", obj["must"], depth, nested); err != nil {
		return nil, err
	}
	if f.should, f.hasShould, err = p.condList(path+".should", obj["should"], depth, nested); err != nil {
		return nil, err
	}
	if f.mustNot, _, err = p.condList(path+".must_not", obj["must_not"], depth, nested); err != nil {
		return nil, err
	}
	if ms := obj["min_should"]; ms != nil {
		if f.minShould, err = p.minShould(path+".min_should", ms, depth, nested); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// condList parses a condition or an array of conditions; null or absent yields (nil, false).
func (p parser) condList(path string, v any, depth int, nested bool) ([]cond, bool, error) {
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case []any:
		out := make([]cond, 0, len(x))
		for i, e := range x {
			c, err := p.condition(path+"["+strconv.Itoa(i)+"]", e, depth, nested)
			if err != nil {
				return nil, false, err
			}
			out = append(out, c)
		}
		return out, true, nil
	case map[string]any:
		c, err := p.condition(path, x, depth, nested)
		if err != nil {
			return nil, false, err
		}
		return []cond{c}, true, nil
	}
	return nil, false, invalidf(path, "must be a condition object or an array of conditions, got "+describe(v))
}

func (p parser) minShould(path string, v any, depth int, nested bool) (*minShould, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf(path, "must be an object {\"conditions\": [...], \"min_count\": n}, got "+describe(v))
	}
	if err := onlyKeys(path, obj, "min_should", "conditions", "min_count"); err != nil {
		return nil, err
	}
	rawConds, ok := obj["conditions"].([]any)
	if !ok {
		return nil, invalidf(path, `"conditions" must be an array of conditions`)
	}
	conds, _, err := p.condList(path+".conditions", rawConds, depth, nested)
	if err != nil {
		return nil, err
	}
	n, ok := uintValue(obj["min_count"])
	if !ok || n < 1 {
		return nil, invalidf(path, `"min_count" must be an integer >= 1`)
	}
	ms := &minShould{conds: conds, min: len(conds) + 1} // unreachable count: matches nothing
	if n <= uint64(len(conds)) {
		ms.min = int(n)
	}
	return ms, nil
}

// condition dispatches on the keys of a condition object, as Qdrant's untagged Condition does.
func (p parser) condition(path string, v any, depth int, nested bool) (cond, error) {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, invalidf(path, "condition must be a JSON object, got "+describe(v))
	}
	switch {
	case has(obj, "key"):
		return p.field(path, obj)
	case has(obj, "is_empty"):
		key, kp, err := p.payloadField(path, obj, "is_empty")
		if err != nil {
			return nil, err
		}
		return &isEmptyCond{key: key, path: kp}, nil
	case has(obj, "is_null"):
		key, kp, err := p.payloadField(path, obj, "is_null")
		if err != nil {
			return nil, err
		}
		return &isNullCond{key: key, path: kp}, nil
	case has(obj, "has_id"):
		if nested {
			return nil, invalidf(path, "has_id is not allowed inside a nested filter")
		}
		return p.hasID(path, obj)
	case has(obj, "nested"):
		return p.nested(path, obj, depth)
	case has(obj, "slice"):
		if nested {
			return nil, invalidf(path, "slice is not allowed inside a nested filter")
		}
		return p.slice(path, obj)
	case has(obj, "has_vector"):
		return nil, unsupported(path, "has_vector conditions are not supported")
	}
	for k := range obj {
		if !contains(filterKeys, k) {
			return nil, invalidf(path, fmt.Sprintf("unknown condition field %q; a condition is a field condition (\"key\"), "+
				"is_empty, is_null, has_id, nested, slice, or a filter (must, should, must_not, min_should)", firstUnknown(obj, filterKeys)))
		}
	}
	f, err := p.filter(path, obj, depth+1, nested)
	if err != nil {
		return nil, err
	}
	return filterCond{f}, nil
}

// payloadField parses {"<name>": {"key": "..."}}.
func (p parser) payloadField(path string, obj map[string]any, name string) (string, keyPath, error) {
	if err := onlyKeys(path, obj, name+" condition", name); err != nil {
		return "", keyPath{}, err
	}
	path += "." + name
	inner, ok := obj[name].(map[string]any)
	if !ok {
		return "", keyPath{}, invalidf(path, `must be an object {"key": "..."}, got `+describe(obj[name]))
	}
	if err := onlyKeys(path, inner, name, "key"); err != nil {
		return "", keyPath{}, err
	}
	return p.key(path, inner["key"])
}

func (p parser) key(path string, v any) (string, keyPath, error) {
	s, ok := v.(string)
	if !ok {
		return "", keyPath{}, invalidf(path, `"key" must be a string, got `+describe(v))
	}
	kp, err := parsePath(s)
	if err != nil {
		return "", keyPath{}, invalidf(path, fmt.Sprintf("invalid key %q: %v", s, err))
	}
	return s, kp, nil
}

func (p parser) hasID(path string, obj map[string]any) (cond, error) {
	if err := onlyKeys(path, obj, "has_id condition", "has_id"); err != nil {
		return nil, err
	}
	path += ".has_id"
	list, ok := obj["has_id"].([]any)
	if !ok {
		return nil, invalidf(path, "must be an array of point ids, got "+describe(obj["has_id"]))
	}
	c := &hasIDCond{ids: make(map[pointid.ID]struct{}, len(list))}
	for i, e := range list {
		id, err := pointID(e)
		if err != nil {
			return nil, invalidf(path+"["+strconv.Itoa(i)+"]", err.Error())
		}
		c.ids[id] = struct{}{}
	}
	return c, nil
}

func pointID(v any) (pointid.ID, error) {
	var id pointid.ID
	switch x := v.(type) {
	case json.Number:
		return id, id.UnmarshalJSON([]byte(x))
	case string:
		return pointid.ParseUUID(x)
	}
	return id, fmt.Errorf("%w, got %s", pointid.ErrInvalid, describe(v))
}

func (p parser) nested(path string, obj map[string]any, depth int) (cond, error) {
	if err := onlyKeys(path, obj, "nested condition", "nested"); err != nil {
		return nil, err
	}
	path += ".nested"
	inner, ok := obj["nested"].(map[string]any)
	if !ok {
		return nil, invalidf(path, `must be an object {"key": "...", "filter": {...}}, got `+describe(obj["nested"]))
	}
	if err := onlyKeys(path, inner, "nested", "key", "filter"); err != nil {
		return nil, err
	}
	key, _, err := p.key(path, inner["key"])
	if err != nil {
		return nil, err
	}
	array, err := parsePath(arrayKey(key))
	if err != nil {
		return nil, invalidf(path, fmt.Sprintf("invalid key %q: %v", key, err))
	}
	if inner["filter"] == nil {
		return nil, invalidf(path, `"filter" is required`)
	}
	f, err := p.filter(path+".filter", inner["filter"], depth+1, true)
	if err != nil {
		return nil, err
	}
	return &nestedCond{key: key, array: array, f: f}, nil
}

func (p parser) slice(path string, obj map[string]any) (cond, error) {
	if err := onlyKeys(path, obj, "slice condition", "slice"); err != nil {
		return nil, err
	}
	path += ".slice"
	inner, ok := obj["slice"].(map[string]any)
	if !ok {
		return nil, invalidf(path, `must be an object {"total": n, "index": i}, got `+describe(obj["slice"]))
	}
	if err := onlyKeys(path, inner, "slice", "total", "index"); err != nil {
		return nil, err
	}
	total, ok := uintValue(inner["total"])
	if !ok || total < 1 || total > 1<<32-1 {
		return nil, invalidf(path, `"total" must be an integer between 1 and 4294967295`)
	}
	index, ok := uintValue(inner["index"])
	if !ok || index >= total {
		return nil, invalidf(path, `"index" must be an integer in 0..total-1`)
	}
	return &sliceCond{total: total, index: index}, nil
}

// onlyKeys rejects keys of obj not in allowed, naming the first (in sorted order) it finds.
func onlyKeys(path string, obj map[string]any, what string, allowed ...string) error {
	if k := firstUnknown(obj, allowed); k != "" {
		return invalidf(path, fmt.Sprintf("unknown field %q in %s (allowed: %s)", k, what, strings.Join(allowed, ", ")))
	}
	return nil
}

func firstUnknown(obj map[string]any, allowed []string) string {
	var unknown []string
	for k := range obj {
		if !contains(allowed, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) == 0 {
		return ""
	}
	sort.Strings(unknown)
	return unknown[0]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func has(obj map[string]any, k string) bool {
	_, ok := obj[k]
	return ok
}

// uintValue reports v as a non-negative JSON integer.
func uintValue(v any) (uint64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	return u, err == nil
}

// describe names the JSON type of v for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "the number " + truncate(string(x))
	case string:
		return "the string " + strconv.Quote(truncate(x))
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
