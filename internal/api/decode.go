package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

var errEmptyBody = errors.New("empty body")

// Decode reads one JSON value from r into v, keeping numbers in untyped values as json.Number.
// An empty body decodes as {} when allowEmpty is set (Qdrant accepts a missing body on scroll and count).
func Decode(r io.Reader, v any, allowEmpty bool) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return decodeError(err)
	}
	return DecodeBytes(data, v, allowEmpty)
}

// ReadBody reads a request's body, in one allocation of its declared length when it has a small
// one. A body that ends early or passes the size limit is the client's error (400 or 413), as in
// Decode.
func ReadBody(r *http.Request) ([]byte, error) {
	if n := r.ContentLength; n > 0 && n <= 64<<10 { // larger ones grow as they arrive, under the body limit
		body := make([]byte, n)
		if _, err := io.ReadFull(r.Body, body); err != nil {
			return nil, decodeError(err)
		}
		return body, nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, decodeError(err)
	}
	return body, nil
}

// DecodeBytes is Decode on a byte slice.
func DecodeBytes(data []byte, v any, allowEmpty bool) error {
	if len(bytes.TrimSpace(data)) == 0 {
		if allowEmpty {
			data = []byte("{}")
		} else {
			return decodeError(errEmptyBody)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if dec.More() {
		return BadRequest("Json deserialize error: trailing data after the JSON body")
	}
	return nil
}

// Vector is a dense vector that rejects NaN and infinities while decoding.
type Vector []float32

// UnmarshalJSON decodes an array of numbers.
func (v *Vector) UnmarshalJSON(b []byte) error {
	f, err := parseFloats(b)
	if err != nil {
		return err
	}
	*v = f
	return nil
}

// Document is Qdrant's inference object: text that a model turns into a vector on the server.
type Document struct {
	Text    string         `json:"text"`
	Model   string         `json:"model"`
	Options map[string]any `json:"options"`
}

// VectorStruct is a point's vectors as sent: a bare array for the default vector, or an object of
// named vectors, each dense (an array), sparse ({indices, values}) or a Document ({text, model}).
type VectorStruct struct {
	Dense  map[string][]float32
	Sparse map[string]collection.SparseVector
	Docs   map[string]Document
}

// Empty reports whether no vector at all was given.
func (vs *VectorStruct) Empty() bool {
	return len(vs.Dense) == 0 && len(vs.Sparse) == 0 && len(vs.Docs) == 0
}

// UnmarshalJSON accepts every form above; multi-vectors get a clear error.
func (vs *VectorStruct) UnmarshalJSON(b []byte) error {
	*vs = VectorStruct{}
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(b, &raw); err != nil {
			return err
		}
		if isDocument(raw) || isSparse(raw) {
			return vs.add("", b) // an unnamed document (or sparse vector, refused by the collection)
		}
		for name, r := range raw {
			if err := vs.add(name, r); err != nil {
				return err
			}
		}
		return nil
	}
	return vs.add("", b)
}

// add decodes one vector value under name.
func (vs *VectorStruct) add(name string, r json.RawMessage) error {
	r = bytes.TrimSpace(r)
	label := "vector"
	if name != "" {
		label = fmt.Sprintf("vector `%s`", name)
	}
	switch {
	case len(r) > 0 && r[0] == '[':
		if bytes.HasPrefix(bytes.TrimSpace(r[1:]), []byte("[")) {
			return fmt.Errorf("%s: multi-vectors (arrays of arrays) are not supported", label)
		}
		var v Vector
		if err := v.UnmarshalJSON(r); err != nil {
			if name == "" {
				return err
			}
			return fmt.Errorf("%s: %v", label, err)
		}
		if vs.Dense == nil {
			vs.Dense = map[string][]float32{}
		}
		vs.Dense[name] = v
	case len(r) > 0 && r[0] == '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(r, &obj); err != nil {
			return fmt.Errorf("%s: %v", label, err)
		}
		switch {
		case isSparse(obj):
			sv, err := decodeSparse(r)
			if err != nil {
				return fmt.Errorf("%s: %v", label, err)
			}
			if vs.Sparse == nil {
				vs.Sparse = map[string]collection.SparseVector{}
			}
			vs.Sparse[name] = sv
		case isDocument(obj):
			var d Document
			if err := json.Unmarshal(r, &d); err != nil {
				return fmt.Errorf("%s: %v", label, err)
			}
			if vs.Docs == nil {
				vs.Docs = map[string]Document{}
			}
			vs.Docs[name] = d
		default:
			return fmt.Errorf("%s must be an array of numbers, a sparse vector {indices, values} or a document {text, model}", label)
		}
	default:
		return fmt.Errorf("%s must be an array of numbers or an object of named vectors", label)
	}
	return nil
}

// decodeSparse decodes {"indices": [...], "values": [...]}.
func decodeSparse(r json.RawMessage) (collection.SparseVector, error) {
	var w struct {
		Indices []uint32 `json:"indices"`
		Values  Vector   `json:"values"`
	}
	if err := json.Unmarshal(r, &w); err != nil {
		return collection.SparseVector{}, fmt.Errorf("sparse vector: indices must be unsigned 32-bit integers and values numbers: %v", err)
	}
	if len(w.Indices) != len(w.Values) {
		return collection.SparseVector{}, fmt.Errorf("sparse vector has %d indices but %d values", len(w.Indices), len(w.Values))
	}
	return collection.SparseVector{Indices: w.Indices, Values: w.Values}, nil
}

// RawFilter is a filter as received: the raw JSON (for the write-ahead log) and its parsed form.
type RawFilter struct {
	JSON   json.RawMessage
	Filter *filter.Filter
}

// UnmarshalJSON parses and validates the filter.
func (f *RawFilter) UnmarshalJSON(b []byte) error {
	parsed, err := filter.Parse(b)
	if err != nil {
		return &Error{Status: 400, Msg: "Bad request: " + err.Error()}
	}
	f.JSON = append(json.RawMessage(nil), b...)
	f.Filter = parsed
	return nil
}

// Get returns the parsed filter of a possibly nil RawFilter.
func (f *RawFilter) Get() *filter.Filter {
	if f == nil {
		return nil
	}
	return f.Filter
}

// WithPayload is Qdrant's with_payload: true/false, a list of keys, or {include}/{exclude}.
type WithPayload struct {
	Set     bool // the field was present
	Enabled bool
	Include []string
	Exclude []string
}

// UnmarshalJSON decodes every accepted form.
func (w *WithPayload) UnmarshalJSON(b []byte) error {
	w.Set = true
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		w.Enabled = on
		return nil
	}
	var keys []string
	if err := json.Unmarshal(b, &keys); err == nil && keys != nil {
		w.Enabled, w.Include = true, keys
		return nil
	}
	var sel struct {
		Include *[]string `json:"include"`
		Exclude *[]string `json:"exclude"`
	}
	if err := json.Unmarshal(b, &sel); err == nil && (sel.Include != nil) != (sel.Exclude != nil) {
		w.Enabled = true
		if sel.Include != nil {
			w.Include = *sel.Include
		} else {
			w.Exclude = *sel.Exclude
		}
		return nil
	}
	return fmt.Errorf("with_payload must be a boolean, a list of keys, {\"include\": [...]} or {\"exclude\": [...]}")
}

// Or returns whether payload is wanted, with def when the field was absent.
func (w *WithPayload) Or(def bool) bool {
	if w == nil || !w.Set {
		return def
	}
	return w.Enabled
}

// WithVector is Qdrant's with_vector: true/false or a list of vector names.
type WithVector struct {
	All   bool
	Names []string
}

// UnmarshalJSON decodes a boolean or a list of names.
func (w *WithVector) UnmarshalJSON(b []byte) error {
	var on bool
	if err := json.Unmarshal(b, &on); err == nil {
		w.All = on
		return nil
	}
	var names []string
	if err := json.Unmarshal(b, &names); err == nil {
		w.Names = names
		return nil
	}
	return fmt.Errorf("with_vector must be a boolean or a list of vector names")
}

// ParseID parses a point id from a URL path segment.
func ParseID(s string) (pointid.ID, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return pointid.Num(n), nil
	}
	id, err := pointid.ParseUUID(s)
	if err != nil {
		return id, BadRequest("%v", err)
	}
	return id, nil
}

// isDocument reports whether an object is Qdrant's Document ({"text": "...", "model": "..."}) rather
// than named vectors that happen to include one called "text".
func isDocument(obj map[string]json.RawMessage) bool {
	t, okT := obj["text"]
	_, okM := obj["model"]
	return okT && okM && len(t) > 0 && t[0] == '"'
}

// isSparse reports whether an object is a sparse vector ({"indices": [...], "values": [...]}).
func isSparse(obj map[string]json.RawMessage) bool {
	i, okI := obj["indices"]
	v, okV := obj["values"]
	return okI && okV && len(obj) == 2 && len(i) > 0 && len(v) > 0 && i[0] == '[' && v[0] == '[' &&
		!bytes.HasPrefix(bytes.TrimSpace(i[1:]), []byte("[")) && !bytes.HasPrefix(bytes.TrimSpace(v[1:]), []byte("["))
}
