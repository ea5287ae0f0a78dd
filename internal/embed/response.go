package embed

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"sync"
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
//
// It works in two passes. The first walks the document's structure and records where each
// embedding's value lies, without decoding it (an array of numbers ends at the first ']', a
// base64 string at its closing quote). The second decodes those spans, split across cores when
// the body is large and slots has free ones (see Slots): a batch of 64 × 768 floats takes about a
// millisecond to decode on one core, and it sits on the latency of every text in the batch.
func parseResponse(body []byte, n, dims int, slots Slots) ([][]float32, error) {
	s := &scanner{b: body}
	var spans []span
	var upstreamErr string
	sawData := false
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "data":
			sawData = true
			spans = make([]span, 0, n)
			return s.array(func(pos int) error {
				sp, err := s.item(pos)
				spans = append(spans, sp)
				return err
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
	if len(spans) != n {
		return nil, badResponse("response has %d embeddings for %d texts", len(spans), n)
	}
	seen := make([]bool, n)
	for _, sp := range spans {
		if sp.index < 0 || sp.index >= n {
			return nil, badResponse("response index %d is out of range for %d texts", sp.index, n)
		}
		if seen[sp.index] {
			return nil, badResponse("response has index %d twice", sp.index)
		}
		seen[sp.index] = true
	}
	out := make([][]float32, n)
	if err := decodeSpans(body, spans, dims, out, slots); err != nil {
		return nil, err
	}
	return out, nil
}

// span is where one element of "data" keeps its embedding: body[start:end], for out[index].
type span struct {
	index, start, end int
}

// parallelDecodeBytes is the body size above which the embeddings are decoded on several cores.
const parallelDecodeBytes = 64 << 10

// decodeSpans decodes every span into out. When the body is large it is helped by up to
// min(GOMAXPROCS, 4)-1 more goroutines, one per slot that slots has free now (nil: no bound);
// without any, it decodes alone. The error reported is the one of the first failing span in
// document order, whatever the split.
func decodeSpans(body []byte, spans []span, dims int, out [][]float32, slots Slots) error {
	helpers := 0
	if len(body) >= parallelDecodeBytes {
		helpers = min(runtime.GOMAXPROCS(0), len(spans), 4) - 1
	}
	releases := takeSlots(slots, helpers)
	workers := 1 + len(releases)
	if workers < 2 {
		return decodeRange(body, spans, dims, out)
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	per := (len(spans) + workers - 1) / workers
	for w := 1; w < workers; w++ {
		lo, hi := min(w*per, len(spans)), min((w+1)*per, len(spans))
		release := releases[w-1]
		wg.Go(func() {
			defer release()
			errs[w] = decodeRange(body, spans[lo:hi], dims, out)
		})
	}
	errs[0] = decodeRange(body, spans[:min(per, len(spans))], dims, out)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// takeSlots takes up to n of the slots that slots has free now and returns their releases; nil
// slots lend n at once.
func takeSlots(slots Slots, n int) []func() {
	if n <= 0 {
		return nil
	}
	releases := make([]func(), 0, n)
	for range n {
		if slots == nil {
			releases = append(releases, func() {})
			continue
		}
		release, ok := slots.TryAcquire()
		if !ok {
			break
		}
		releases = append(releases, release)
	}
	return releases
}

// decodeRange decodes spans in order, stopping at the first error.
func decodeRange(body []byte, spans []span, dims int, out [][]float32) error {
	for _, sp := range spans {
		s := &scanner{b: body[:sp.end], i: sp.start}
		vec, err := s.embedding(dims)
		if err != nil {
			return err
		}
		if s.ws(); s.i != sp.end {
			return s.unexpected()
		}
		out[sp.index] = vec
	}
	return nil
}

// item walks one element of "data" (at position pos) and returns where its embedding is.
func (s *scanner) item(pos int) (span, error) {
	sp := span{index: pos, start: -1} // servers that omit "index" answer in order
	err := s.object(func(key []byte) error {
		switch string(key) {
		case "index":
			tok := s.token()
			v, err := strconv.Atoi(unsafe.String(unsafe.SliceData(tok), len(tok)))
			if err != nil {
				return badResponse("response index %q is not an integer", tok)
			}
			sp.index = v
			return nil
		case "embedding":
			var err error
			sp.start, sp.end, err = s.embeddingSpan()
			return err
		}
		return s.skip()
	})
	if err != nil {
		return sp, err
	}
	if sp.start < 0 {
		return sp, badResponse("response element %d has no embedding", pos)
	}
	return sp, nil
}

// embeddingSpan passes over an embedding value without decoding it: a string to its closing
// quote, an array to the first ']' (an array of numbers holds no other; anything else in it is
// reported when the span is decoded).
func (s *scanner) embeddingSpan() (start, end int, err error) {
	s.ws()
	start = s.i
	if s.i < len(s.b) && s.b[s.i] == '"' {
		if _, err := s.str(); err != nil {
			return 0, 0, err
		}
		return start, s.i, nil
	}
	if s.i >= len(s.b) {
		return 0, 0, errTruncated
	}
	if s.b[s.i] != '[' {
		return 0, 0, badResponse("embedding is neither an array nor a base64 string")
	}
	j := bytes.IndexByte(s.b[s.i:], ']')
	if j < 0 {
		return 0, 0, errTruncated
	}
	s.i += j + 1
	return start, s.i, nil
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
	if bytes.IndexByte(raw, '\\') >= 0 { // escaped characters ("\/"): let encoding/json unescape
		var str string
		if err := json.Unmarshal(s.b[s.i-len(raw)-2:s.i], &str); err != nil {
			return nil, badResponse("embedding string is not valid JSON")
		}
		raw = []byte(str)
	}
	n := base64.StdEncoding.DecodedLen(len(raw))
	vec := make([]float32, (n+3)/4)
	// The bytes are decoded straight into the vector's memory; the wire order is little-endian,
	// which is this machine's (littleEndian) or else swapped below.
	buf := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vec))), 4*len(vec))
	m, err := base64.StdEncoding.Decode(buf, raw)
	if err != nil {
		return nil, badResponse("embedding is neither an array nor valid base64")
	}
	if m%4 != 0 || m/4 != dims {
		return nil, &responseError{dims: true, msg: fmt.Sprintf("embedding has %d bytes (%d dimensions), expected %d dimensions", m, m/4, dims)}
	}
	vec = vec[:dims]
	for i := range vec {
		bits := math.Float32bits(vec[i])
		if !littleEndian {
			bits = binary.LittleEndian.Uint32(buf[4*i:])
			vec[i] = math.Float32frombits(bits)
		}
		if bits&0x7f800000 == 0x7f800000 { // exponent all ones: NaN or ±Inf
			return nil, badResponse("embedding value %d is not finite", i)
		}
	}
	return vec, nil
}

// littleEndian reports whether float32s are stored little-endian in memory.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

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
	// Fast path: the next quote ends the string unless a backslash comes before it.
	if q := bytes.IndexByte(s.b[s.i:], '"'); q >= 0 && bytes.IndexByte(s.b[s.i:s.i+q], '\\') < 0 {
		s.i += q + 1
		return s.b[start : s.i-1], nil
	}
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
	more, err := s.open('{', '}')
	if err != nil {
		return err
	}
	for more {
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
		var ok bool
		if more, ok = s.next('}'); !ok {
			return s.unexpected()
		}
	}
	return nil
}

// array reads [value, ...], calling fn with each position; fn must consume the value.
func (s *scanner) array(fn func(pos int) error) error {
	more, err := s.open('[', ']')
	if err != nil {
		return err
	}
	for pos := 0; more; pos++ {
		if err := fn(pos); err != nil {
			return err
		}
		var ok bool
		if more, ok = s.next(']'); !ok {
			return s.unexpected()
		}
	}
	return nil
}

// open reads the opening byte of an object or array and reports whether a member or an element
// follows (false: the closing byte did, and was read).
func (s *scanner) open(opening, closing byte) (more bool, err error) {
	if err := s.consume(opening); err != nil {
		return false, err
	}
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == closing {
		s.i++
		return false, nil
	}
	return true, nil
}

// next reads what follows a member or an element: a comma (more is true) or the closing byte.
// ok is false when it is neither, and unexpected tells what it is.
func (s *scanner) next(closing byte) (more, ok bool) {
	s.ws()
	if s.i < len(s.b) {
		if c := s.b[s.i]; c == ',' || c == closing {
			s.i++
			return c == ',', true
		}
	}
	return false, false
}

// unexpected is the error for the byte at s.i, or for the end of the body.
func (s *scanner) unexpected() error {
	if s.i >= len(s.b) {
		return errTruncated
	}
	return badResponse("response is not valid JSON: unexpected %q at byte %d", s.b[s.i], s.i)
}

// skip passes over one value of any kind without recursion.
func (s *scanner) skip() error {
	depth := 0
	for {
		s.ws()
		if s.i >= len(s.b) {
			return errTruncated
		}
		switch s.b[s.i] {
		case '{', '[':
			depth++
			s.i++
			continue
		case '}', ']':
			if depth == 0 {
				return s.unexpected()
			}
			depth--
			s.i++
		case '"':
			if _, err := s.str(); err != nil {
				return err
			}
		case ',', ':':
			if depth == 0 {
				return s.unexpected()
			}
			s.i++
			continue
		default:
			if len(s.token()) == 0 {
				return s.unexpected()
			}
		}
		if depth == 0 {
			return nil
		}
	}
}
