package api

import (
	"bytes"
)

// DecodeQueryRequest decodes the body of POST /points/query. A body whose top-level "query" is a
// plain array of numbers (the usual nearest-vector query) takes a fast path: the array is checked
// against JSON's number grammar in one pass and lifted out, and encoding/json reads only the rest
// (limit, params, filter...). For a 784-d query that is most of the body, and encoding/json's
// scanner spent about a fifth of the server's CPU on it under load (issue 5's profile). Any other
// body is decoded by encoding/json as before.
func DecodeQueryRequest(body []byte, req *QueryRequest) error {
	*req = QueryRequest{}
	rest, raw, vec, ok := liftNumberArray(body, "query")
	if !ok {
		return DecodeBytes(body, req, false)
	}
	if err := DecodeBytes(rest, req, false); err != nil {
		// Decode the client's own body for the error, so that byte offsets point into it.
		*req = QueryRequest{}
		return DecodeBytes(body, req, false)
	}
	req.Query, req.vector = raw, vec
	return nil
}

// liftNumberArray finds the member key of the top-level object body whose value is an array of
// JSON numbers and returns body with that value replaced by null, the array's bytes and its
// values as float32. It reports false, leaving the body to encoding/json, when the member is absent or not such an
// array, when the key appears twice or in another letter case (encoding/json matches keys
// case-insensitively and keeps the last), when a key has escapes, or when a number needs more
// than the fast conversion (out of float32 range, say): encoding/json's path then reports it.
func liftNumberArray(body []byte, key string) (rest, value []byte, vec []float32, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil, nil, nil, false
	}
	start, end := -1, -1
	i = skipSpace(body, i+1)
	if i < len(body) && body[i] == '}' {
		return nil, nil, nil, false
	}
	for {
		k, next, good := readKey(body, i)
		if !good {
			return nil, nil, nil, false
		}
		i = skipSpace(body, next)
		if i >= len(body) || body[i] != ':' {
			return nil, nil, nil, false
		}
		i = skipSpace(body, i+1)
		switch {
		case string(k) == key:
			if start >= 0 {
				return nil, nil, nil, false
			}
			v, e, good := parseNumberArray(body, i)
			if !good {
				return nil, nil, nil, false
			}
			start, end, i, vec = i, e, e, v
		case bytes.EqualFold(k, []byte(key)):
			return nil, nil, nil, false
		default:
			if i = skipValue(body, i); i < 0 {
				return nil, nil, nil, false
			}
		}
		i = skipSpace(body, i)
		if i >= len(body) {
			return nil, nil, nil, false
		}
		if body[i] == '}' {
			break
		}
		if body[i] != ',' {
			return nil, nil, nil, false
		}
		i = skipSpace(body, i+1)
	}
	if start < 0 {
		return nil, nil, nil, false
	}
	rest = make([]byte, 0, len(body)-(end-start)+4)
	rest = append(rest, body[:start]...)
	rest = append(rest, "null"...)
	rest = append(rest, body[end:]...)
	return rest, body[start:end], vec, true
}

// readKey reads a member name without escapes at body[i]; it returns the name and the index
// after its closing quote.
func readKey(body []byte, i int) (key []byte, next int, ok bool) {
	if i >= len(body) || body[i] != '"' {
		return nil, 0, false
	}
	q := bytes.IndexByte(body[i+1:], '"')
	if q < 0 {
		return nil, 0, false
	}
	key = body[i+1 : i+1+q]
	if bytes.IndexByte(key, '\\') >= 0 {
		return nil, 0, false
	}
	return key, i + q + 2, true
}

// parseNumberArray reads the array of JSON numbers at body[i:] (RFC 8259 grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?) into float32s and returns the index after its
// ']'. Integers of up to 9 digits followed directly by ',' or ']' convert directly (exactly, as
// fashion-mnist's pixels or any quantized vector are); other numbers go through parseNumber
// once, and their bytes are then checked against the grammar.
func parseNumberArray(b []byte, i int) ([]float32, int, bool) {
	if i >= len(b) || b[i] != '[' {
		return nil, 0, false
	}
	size := 1 // one number more than the commas before the first ']' (an estimate on bad input)
	if end := bytes.IndexByte(b[i:], ']'); end > 0 {
		size += bytes.Count(b[i:i+end], []byte{','})
	}
	out := make([]float32, 0, min(size, maxPresized))
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, true
	}
	for {
		// The common shape first: a short integer followed at once by ',' or ']' (pixels,
		// quantized vectors). Anything else takes the general path below from the same place.
		if f, next, ok := shortInt(b, i); ok {
			out = append(out, f)
			if b[next] == ']' {
				return out, next + 1, true
			}
			i = next + 1
			if i < len(b) && b[i] > ' ' { // no white space after the comma: stay on this path
				continue
			}
			i = skipSpace(b, i)
			continue
		}
		// Any other number: parsed once, then its bytes held to JSON's grammar.
		f, n, err := parseNumber(b[i:], len(out))
		if err != nil || numberLen(b[i:i+n]) != n {
			return nil, 0, false
		}
		out = append(out, f)
		i = skipSpace(b, i+n)
		if i >= len(b) {
			return nil, 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, i + 1, true
		default:
			return nil, 0, false
		}
	}
}

// maxPresized bounds the capacity parseNumberArray reserves from its comma count (a body of
// commas must not reserve four bytes per byte); longer vectors grow as they are read.
const maxPresized = 1 << 16

// shortInt reads at b[i:] an integer of at most 9 digits in JSON's grammar (no leading zero,
// not -0) that is followed directly by ',' or ']'; it returns its value and the index of that
// byte.
func shortInt(b []byte, i int) (float32, int, bool) {
	j, neg := i, false
	if j < len(b) && b[j] == '-' {
		j, neg = j+1, true
	}
	start, v := j, int32(0)
	for j < len(b) && j-start < 10 && b[j]-'0' <= 9 {
		v = v*10 + int32(b[j]-'0')
		j++
	}
	nd := j - start
	if nd == 0 || nd > 9 || nd > 1 && b[start] == '0' || j >= len(b) || b[j] != ',' && b[j] != ']' || neg && v == 0 {
		return 0, 0, false
	}
	if neg {
		v = -v
	}
	return float32(v), j, true
}

// numberLen is the length of the JSON number at the start of b, or 0 if there is none.
func numberLen(b []byte) int {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		i++
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return 0
	}
	if i < len(b) && b[i] == '.' {
		if i = digits(b, i+1); i < 0 {
			return 0
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i = digits(b, i); i < 0 {
			return 0
		}
	}
	return i
}

// digits passes over the run of at least one digit at b[i:], returning the index after it, or
// -1 when there is none.
func digits(b []byte, i int) int {
	d := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == d {
		return -1
	}
	return i
}

// skipValue passes over one value of any kind starting at b[i] (strings with escapes, nested
// objects and arrays) and returns the index after it, or -1 when the body ends inside it. It
// does not validate: whatever it passes over stays in the body encoding/json reads.
func skipValue(b []byte, i int) int {
	depth := 0
	for i < len(b) {
		c := b[i]
		switch {
		case c == '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
			i++
		case c == '{' || c == '[':
			depth++
			i++
		case c == '}' || c == ']':
			if depth == 0 {
				return i
			}
			depth--
			i++
		case depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			return i
		default:
			i++
		}
		if depth == 0 && (c == '"' || c == '}' || c == ']') {
			return i
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}
