package embed

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/needlevdb/needle/internal/jsonnum"
)

// The body of a 2xx answer is decoded by hand: a batch of 64 vectors of 768 floats is ~0.5 MB of
// numbers, and encoding/json's reflective path over it cost several times the parse below
// (BenchmarkParseResponse). The parser reads exactly the shape
//
//	{"data": [{"index": i, "embedding": [f, ...] | "base64"}, ...], ...anything else...}
//
// skipping every other member, and accepts the non-JSON tokens NaN and Infinity that Python
// servers emit so that they are reported as non-finite values rather than as syntax errors.

// responseError describes why a response was rejected; dims marks a dimension mismatch.
type responseError struct {
	dims bool
	msg  string
}

func (e *responseError) Error() string { return e.msg }

func badResponse(format string, args ...any) error {
	return &responseError{msg: fmt.Sprintf(format, args...)}
}

var errTruncated = badResponse("response is not valid JSON: unexpected end")

// parseResponse decodes the embeddings of n texts, each of dims float32s, from body.
func parseResponse(body []byte, n, dims int) ([][]float32, error) {
	s := &scanner{b: body}
	var out [][]float32
	var got int
	var upstreamErr string
	sawData := false
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "data":
			sawData = true
			out, got = make([][]float32, n), 0
			return s.array(func(pos int) error {
				got++
				return s.item(pos, out, dims)
			})
		case "error":
			upstreamErr = s.errorMessage()
			return nil
		}
		return s.skip()
	})
	if err != nil {
		return nil, err
	}
	if !sawData {
		if upstreamErr != "" {
			return nil, badResponse("response has no data, error: %s", upstreamErr)
		}
		return nil, badResponse(`response has no "data" member`)
	}
	if got != n {
		return nil, badResponse("response has %d embeddings for %d texts", got, n)
	}
	for i, v := range out {
		if v == nil {
			return nil, badResponse("response has no embedding for index %d", i)
		}
	}
	return out, nil
}

// item decodes one element of "data" (at position pos) into out[index].
func (s *scanner) item(pos int, out [][]float32, dims int) error {
	index := pos // servers that omit "index" answer in order
	var vec []float32
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "index":
			tok := s.token()
			v, err := strconv.Atoi(unsafe.String(unsafe.SliceData(tok), len(tok)))
			if err != nil {
				return badResponse("response index %q is not an integer", tok)
			}
			index = v
			return nil
		case "embedding":
			var err error
			vec, err = s.embedding(dims)
			return err
		}
		return s.skip()
	})
	if err != nil {
		return err
	}
	if vec == nil {
		return badResponse("response element %d has no embedding", pos)
	}
	if index < 0 || index >= len(out) {
		return badResponse("response index %d is out of range for %d texts", index, len(out))
	}
	if out[index] != nil {
		return badResponse("response has index %d twice", index)
	}
	out[index] = vec
	return nil
}

// embedding decodes an array of numbers or a base64 string of little-endian float32s.
func (s *scanner) embedding(dims int) ([]float32, error) {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '"' {
		return s.base64Vector(dims)
	}
	vec := make([]float32, dims)
	count := 0
	err := s.array(func(int) error {
		s.ws()
		f, n := jsonnum.ParseFloat32(s.b[s.i:])
		if n > 0 {
			s.i += n
		} else {
			tok := s.token()
			var ok bool
			if f, ok = parseFloat32Slow(tok); !ok || len(tok) == 0 {
				return badResponse("embedding value %d is not a number: %q", count, shorten(string(tok), 40))
			}
			if f != f || math.IsInf(float64(f), 0) {
				return badResponse("embedding value %d is not finite: %s", count, tok)
			}
		}
		if count < dims {
			vec[count] = f
		}
		count++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if count != dims {
		return nil, &responseError{dims: true, msg: fmt.Sprintf("embedding has %d dimensions, expected %d", count, dims)}
	}
	return vec, nil
}

func (s *scanner) base64Vector(dims int) ([]float32, error) {
	raw, err := s.str()
	if err != nil {
		return nil, err
	}
	for _, c := range raw {
		if c == '\\' { // escaped characters ("\/"): let encoding/json unescape
			var str string
			if err := json.Unmarshal(s.b[s.i-len(raw)-2:s.i], &str); err != nil {
				return nil, badResponse("embedding string is not valid JSON")
			}
			raw = []byte(str)
			break
		}
	}
	buf := make([]byte, base64.StdEncoding.DecodedLen(len(raw)))
	m, err := base64.StdEncoding.Decode(buf, raw)
	if err != nil {
		return nil, badResponse("embedding is neither an array nor valid base64")
	}
	if m%4 != 0 || m/4 != dims {
		return nil, &responseError{dims: true, msg: fmt.Sprintf("embedding has %d bytes (%d dimensions), expected %d dimensions", m, m/4, dims)}
	}
	vec := make([]float32, dims)
	for i := range vec {
		f := math.Float32frombits(binary.LittleEndian.Uint32(buf[4*i:]))
		if f != f || math.IsInf(float64(f), 0) {
			return nil, badResponse("embedding value %d is not finite", i)
		}
		vec[i] = f
	}
	return vec, nil
}

// errorMessage reads the value of an "error" member: a string or an object with "message".
func (s *scanner) errorMessage() string {
	s.ws()
	start := s.i
	if s.skip() != nil {
		return ""
	}
	return upstreamMessage(s.b[start:s.i])
}

// upstreamMessage extracts a readable message from an error body or value.
func upstreamMessage(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	for {
		switch t := v.(type) {
		case string:
			return t
		case map[string]any:
			if m, ok := t["message"]; ok {
				v = m
				continue
			}
			if m, ok := t["error"]; ok {
				v = m
				continue
			}
			if m, ok := t["detail"]; ok {
				v = m
				continue
			}
		}
		out, _ := json.Marshal(v)
		return string(out)
	}
}

// scanner walks JSON bytes. It is lenient where leniency cannot change the meaning of a valid
// document (it does not check that skipped brackets pair up by kind), and strict where a value
// is read.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// consume skips white space and then the byte c, or fails.
func (s *scanner) consume(c byte) error {
	s.ws()
	if s.i >= len(s.b) {
		return errTruncated
	}
	if s.b[s.i] != c {
		return badResponse("response is not valid JSON: expected %q at byte %d, found %q", c, s.i, s.b[s.i])
	}
	s.i++
	return nil
}

// str reads a string and returns its raw contents (escapes not decoded).
func (s *scanner) str() ([]byte, error) {
	if err := s.consume('"'); err != nil {
		return nil, err
	}
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			s.i++
			return s.b[start : s.i-1], nil
		case '\\':
			s.i++
		}
		s.i++
	}
	return nil, errTruncated
}

// token reads a scalar (number, literal, or a non-JSON NaN/Infinity) after white space.
func (s *scanner) token() []byte {
	s.ws()
	start := s.i
	for s.i < len(s.b) {
		c := s.b[s.i]
		if c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.' {
			s.i++
			continue
		}
		break
	}
	return s.b[start:s.i]
}

// object reads {"key": value, ...}, calling fn with each key; fn must consume the value.
func (s *scanner) object(fn func(key []byte) error) error {
	if err := s.consume('{'); err != nil {
		return err
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		key, err := s.str()
		if err != nil {
			return err
		}
		if err := s.consume(':'); err != nil {
			return err
		}
		if err := fn(key); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return badResponse("response is not valid JSON: unexpected %q at byte %d", s.b[s.i], s.i)
		}
	}
}

// array reads [value, ...], calling fn with each position; fn must consume the value.
func (s *scanner) array(fn func(pos int) error) error {
	if err := s.consume('['); err != nil {
		return err
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for pos := 0; ; pos++ {
		if err := fn(pos); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return badResponse("response is not valid JSON: unexpected %q at byte %d", s.b[s.i], s.i)
		}
	}
}

// skip passes over one value of any kind without recursion.
func (s *scanner) skip() error {
	depth := 0
	for {
		s.ws()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch c := s.b[s.i]; c {
		case '{', '[':
			depth++
			s.i++
			continue
		case '}', ']':
			if depth == 0 {
				return badResponse("response is not valid JSON: unexpected %q at byte %d", c, s.i)
			}
			depth--
			s.i++
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
		case ',', ':':
			if depth == 0 {
				return badResponse("response is not valid JSON: unexpected %q at byte %d", c, s.i)
			}
			s.i++
			continue
		default:
			if len(s.token()) == 0 {
				return badResponse("response is not valid JSON: unexpected %q at byte %d", c, s.i)
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
