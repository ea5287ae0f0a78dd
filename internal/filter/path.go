package filter

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// A key path addresses values inside a payload, with Qdrant's grammar:
//
//	path  = key { "." key | "[]" | "[" digits "]" }
//	key   = 1*( letter | digit | "_" | "-" )  |  '"' *( any character except '"' and '\' ) '"'
//
// "a.b" descends into objects only; "a[]" expands every element of the array a; "a[2]" selects one
// element. A step that does not fit the value it meets (a key on an array, "[]" on an object) yields
// nothing; Qdrant 1.19 does not flatten intermediate arrays implicitly.

type stepKind uint8

const (
	stepKey stepKind = iota
	stepIndex
	stepAll
)

type step struct {
	kind  stepKind
	key   string
	index int
}

// keyPath is a parsed key. The zero value is invalid; build one with parsePath.
type keyPath struct {
	first string
	rest  []step
}

// maxPathIndex bounds "[N]" so that parsing cannot overflow and absurd indexes are rejected.
const maxPathIndex = 1 << 31

var errEmptyKey = errors.New("key must not be empty")

// ValidateKey reports whether key is a valid payload key path ("a", "a.b", "a[].b", "a[0]", `a."b.c"`).
// Callers use it to validate payload index field names; Parse applies it to every key in a filter.
func ValidateKey(key string) error {
	_, err := parsePath(key)
	return err
}

func parsePath(s string) (keyPath, error) {
	if s == "" {
		return keyPath{}, errEmptyKey
	}
	var p keyPath
	first, rest, err := parseKey(s, 0)
	if err != nil {
		return keyPath{}, err
	}
	p.first = first
	i := rest
	for i < len(s) {
		switch {
		case s[i] == '.':
			k, next, err := parseKey(s, i+1)
			if err != nil {
				return keyPath{}, err
			}
			p.rest = append(p.rest, step{kind: stepKey, key: k})
			i = next
		case strings.HasPrefix(s[i:], "[]"):
			p.rest = append(p.rest, step{kind: stepAll})
			i += 2
		case s[i] == '[':
			j := i + 1
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			if j == i+1 || j >= len(s) || s[j] != ']' {
				return keyPath{}, errors.New("invalid array index at offset " + strconv.Itoa(i) + `: expected "[]" or "[N]"`)
			}
			n, err := strconv.Atoi(s[i+1 : j])
			if err != nil || n >= maxPathIndex {
				return keyPath{}, errors.New("array index too large at offset " + strconv.Itoa(i))
			}
			p.rest = append(p.rest, step{kind: stepIndex, index: n})
			i = j + 1
		default:
			r, _ := utf8.DecodeRuneInString(s[i:])
			return keyPath{}, errors.New("unexpected character " + strconv.QuoteRune(r) + " at offset " + strconv.Itoa(i) +
				`; quote keys with other characters, e.g. a."b c"`)
		}
	}
	return p, nil
}

// parseKey reads one key (bare or quoted) starting at s[i] and returns it with the offset after it.
func parseKey(s string, i int) (string, int, error) {
	if i >= len(s) {
		return "", 0, errors.New("missing key after '.' at end of path")
	}
	if s[i] == '"' {
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				return "", 0, errors.New(`backslash is not allowed in a quoted key at offset ` + strconv.Itoa(j))
			}
			j++
		}
		if j >= len(s) {
			return "", 0, errors.New("unterminated quoted key at offset " + strconv.Itoa(i))
		}
		return s[i+1 : j], j + 1, nil
	}
	j := i
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if !isKeyRune(r) || (r == utf8.RuneError && size == 1) {
			break
		}
		j += size
	}
	if j == i {
		r, _ := utf8.DecodeRuneInString(s[i:])
		return "", 0, errors.New("unexpected character " + strconv.QuoteRune(r) + " at offset " + strconv.Itoa(i) +
			`; quote keys with other characters, e.g. a."b c"`)
	}
	return s[i:j], j, nil
}

// isKeyRune mirrors Rust's char::is_alphanumeric plus '_' and '-', as Qdrant's path parser does.
func isKeyRune(r rune) bool {
	return r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Other_Alphabetic, r)
}

// simple reports whether the path is a single top-level key.
func (p *keyPath) simple() bool { return len(p.rest) == 0 }

// endsWithAll reports whether the last step is "[]".
func (p *keyPath) endsWithAll() bool { return len(p.rest) > 0 && p.rest[len(p.rest)-1].kind == stepAll }

// collect appends the values the path reaches in payload to dst. Arrays reached at the end of the
// path are appended as one value (not flattened); conditions flatten them one level.
func (p *keyPath) collect(payload map[string]any, dst []any) []any {
	v, ok := payload[p.first]
	if !ok {
		return dst
	}
	return collectSteps(p.rest, v, dst)
}

func collectSteps(steps []step, v any, dst []any) []any {
	for len(steps) > 0 {
		st := &steps[0]
		switch st.kind {
		case stepKey:
			m, ok := v.(map[string]any)
			if !ok {
				return dst
			}
			if v, ok = m[st.key]; !ok {
				return dst
			}
		case stepIndex:
			a, ok := v.([]any)
			if !ok || st.index >= len(a) {
				return dst
			}
			v = a[st.index]
		case stepAll:
			a, ok := v.([]any)
			if !ok {
				return dst
			}
			for _, e := range a {
				dst = collectSteps(steps[1:], e, dst)
			}
			return dst
		}
		steps = steps[1:]
	}
	return append(dst, v)
}

// Values returns the values key reaches in payload, as Qdrant resolves a payload key:
// "a.b" walks nested objects; "a[].b" projects b out of every element of the array a;
// "a[]" yields the elements of a; "a[1]" one element. An array found at the end of the path is
// returned as a single []any value (conditions then match if any element matches). A JSON null
// present at the path is returned as a nil element; a missing path yields no values.
// An invalid key yields nil (see ValidateKey).
func Values(payload map[string]any, key string) []any {
	if !needsParse(key) {
		if v, ok := payload[key]; ok {
			return []any{v}
		}
		return nil
	}
	p, err := parsePath(key)
	if err != nil {
		return nil
	}
	return p.collect(payload, nil)
}

// needsParse reports whether key contains path syntax; plain keys are looked up directly.
func needsParse(key string) bool {
	return key == "" || strings.ContainsAny(key, `.[]"`) || !validBare(key)
}

func validBare(key string) bool {
	for _, r := range key {
		if !isKeyRune(r) {
			return false
		}
	}
	return true
}

// forEachLeaf calls fn for every value the path reaches, flattening arrays at the end of the path
// one level (so {"a": [1, [2]]} visits 1 and [2]). It stops early when fn returns true and reports
// whether it did.
func forEachLeaf(vals []any, fn func(v any) bool) bool {
	for _, v := range vals {
		if a, ok := v.([]any); ok {
			for _, e := range a {
				if fn(e) {
					return true
				}
			}
			continue
		}
		if fn(v) {
			return true
		}
	}
	return false
}
