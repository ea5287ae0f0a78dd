package api

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/needlevdb/needle/internal/jsonnum"
)

// parseFloats decodes a JSON array of numbers into float32s without reflection: vectors dominate
// upsert bodies, and encoding/json's generic path spent more than half the upsert CPU here
// (BenchmarkUpsertHTTP profile). Numbers take jsonnum's fast path where it is exact, strconv
// otherwise. b has already been validated as JSON by encoding/json.
func parseFloats(b []byte) ([]float32, error) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return nil, fmt.Errorf("vector must be an array of numbers")
	}
	out := make([]float32, 0, len(b)/8)
	ints := true
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, nil
	}
	for {
		if i >= len(b) {
			return nil, fmt.Errorf("vector: unexpected end of array")
		}
		// Short integers (pixels, quantized vectors) directly, until the first other number: a
		// vector is of one kind, and floats then skip the attempt.
		var f float32
		var next int
		if ints {
			f, next, ints = shortInt(b, i)
		}
		if ints {
			out = append(out, f)
			i = next
		} else {
			f, n, err := parseNumber(b[i:], len(out))
			if err != nil {
				return nil, err
			}
			out = append(out, f)
			i = skipSpace(b, i+n)
		}
		if i >= len(b) {
			return nil, fmt.Errorf("vector: unexpected end of array")
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, nil
		default:
			return nil, fmt.Errorf("vector: unexpected %q after position %d", b[i], len(out)-1)
		}
	}
}

// parseNumber reads one JSON number at the start of b (element pos of the vector): jsonnum's fast
// path, or strconv for everything it declines.
func parseNumber(b []byte, pos int) (float32, int, error) {
	if f, n := jsonnum.ParseFloat32(b); n > 0 {
		return f, n, nil
	}
	if len(b) == 0 {
		return 0, 0, fmt.Errorf("vector: unexpected end of array")
	}
	i := 0
	for i < len(b) && isNumberByte(b[i]) {
		i++
	}
	if i == 0 || !(b[0] == '-' || b[0] >= '0' && b[0] <= '9') {
		return 0, 0, fmt.Errorf("vector must be an array of numbers, got %s at position %d", tokenKind(b[0]), pos)
	}
	tok := b[:i]
	f, err := strconv.ParseFloat(unsafe.String(&tok[0], len(tok)), 32)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0) {
			return 0, 0, fmt.Errorf("vector value %s at position %d is out of float32 range", tok, pos)
		}
		if !errors.Is(err, strconv.ErrRange) {
			return 0, 0, fmt.Errorf("vector value %s at position %d is not a number", tok, pos)
		}
	}
	return float32(f), i, nil
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\n' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	return i
}

func tokenKind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 'n':
		return "null"
	case 't', 'f':
		return "a boolean"
	}
	return fmt.Sprintf("%q", c)
}
