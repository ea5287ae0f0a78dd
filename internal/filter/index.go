package filter

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/needlevdb/needle/internal/pointid"
)

// Schema is the type of a payload field index, as Qdrant's field_schema names it.
type Schema string

// The supported index schemas.
const (
	SchemaKeyword  Schema = "keyword"
	SchemaInteger  Schema = "integer"
	SchemaFloat    Schema = "float"
	SchemaBool     Schema = "bool"
	SchemaUUID     Schema = "uuid"
	SchemaDatetime Schema = "datetime"
)

// indexParams lists the options Qdrant accepts in the object form of each schema. Needle accepts
// and ignores them: they tune Qdrant's storage, not results.
var indexParams = map[Schema][]string{
	SchemaKeyword:  {"type", "is_tenant", "on_disk", "memory", "enable_hnsw", "prefix"},
	SchemaInteger:  {"type", "lookup", "range", "is_principal", "on_disk", "memory", "enable_hnsw"},
	SchemaFloat:    {"type", "is_principal", "on_disk", "memory", "enable_hnsw"},
	SchemaBool:     {"type", "on_disk", "memory", "enable_hnsw"},
	SchemaUUID:     {"type", "is_tenant", "on_disk", "memory", "enable_hnsw"},
	SchemaDatetime: {"type", "is_principal", "on_disk", "memory", "enable_hnsw"},
}

// ParseSchema parses a Qdrant field_schema: a name ("keyword") or an object ({"type": "keyword",
// "is_tenant": true}). Options in the object form are validated for their names and ignored. The
// text and geo schemas return an error wrapping ErrUnsupported.
func ParseSchema(raw json.RawMessage) (Schema, error) {
	raw = bytes.TrimSpace(raw)
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", invalidf("field_schema", "invalid JSON: "+jsonErr(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", invalidf("field_schema", "invalid JSON: unexpected data after the schema")
	}
	switch x := v.(type) {
	case string:
		return schemaName("field_schema", x)
	case map[string]any:
		name, ok := x["type"].(string)
		if !ok {
			return "", invalidf("field_schema", `"type" must be one of keyword, integer, float, bool, uuid, datetime`)
		}
		s, err := schemaName("field_schema.type", name)
		if err != nil {
			return "", err
		}
		if err := onlyKeys("field_schema", x, string(s)+" index params", indexParams[s]...); err != nil {
			return "", err
		}
		for k, pv := range x {
			if k == "type" || k == "memory" || pv == nil {
				continue
			}
			if _, ok := pv.(bool); !ok {
				return "", invalidf("field_schema", fmt.Sprintf("%q must be a boolean, got %s", k, describe(pv)))
			}
		}
		if m, ok := x["memory"]; ok && m != nil {
			if ms, _ := m.(string); ms != "cold" && ms != "cached" && ms != "pinned" {
				return "", invalidf("field_schema", `"memory" must be one of cold, cached, pinned`)
			}
		}
		return s, nil
	}
	return "", invalidf("field_schema", "must be a schema name or an object with \"type\", got "+describe(v))
}

func schemaName(path, name string) (Schema, error) {
	s := Schema(name)
	if _, ok := indexParams[s]; ok {
		return s, nil
	}
	if name == "text" || name == "geo" {
		return "", unsupported(path, fmt.Sprintf("%q payload indexes are not supported", name))
	}
	return "", invalidf(path, fmt.Sprintf("unknown schema %q; expected one of keyword, integer, float, bool, uuid, datetime", name))
}

// Index is the payload index of one field. It maps the field's values to the slots (internal
// point offsets) holding them. An index never changes results: it only narrows the candidates that
// Match then checks. Mutating methods need the caller's exclusive lock; the others may run
// concurrently with each other.
type Index interface {
	// Field returns the indexed key path, as given to NewIndex.
	Field() string
	// Schema returns the index type.
	Schema() Schema
	// Add indexes the field's values in payload under slot.
	Add(slot uint32, payload map[string]any)
	// Remove removes slot from the values of the field in payload, which must be the payload
	// that was added under slot (a different payload leaves stale entries: harmless for
	// correctness, since candidates are only a superset, but wasteful).
	Remove(slot uint32, payload map[string]any)
	// Points returns the number of slots holding at least one indexed value, counting Add and
	// Remove calls whose payload had one (so it assumes they are paired, as the collection does).
	Points() int
	// Values returns the number of distinct indexed values.
	Values() int

	// candidates ORs into dst every slot that may satisfy c, and reports false if this index
	// cannot answer c (then dst is unspecified).
	candidates(c *fieldCond, dst Bitmap) bool
}

// NewIndex returns an empty index of the given schema for field, a key path (see ValidateKey; an
// invalid one is indexed as a literal top-level key). Conditions use the index when their key is
// spelled exactly as field. It panics if s is not one of the Schema constants; validate input with ParseSchema.
func NewIndex(field string, s Schema) Index {
	p, err := parsePath(field)
	if err != nil {
		p = keyPath{first: field} // unreachable through the API; index the literal key
	}
	base := indexBase{field: field, path: p, schema: s}
	switch s {
	case SchemaKeyword:
		return &keywordIndex{indexBase: base, m: map[string]*postings{}}
	case SchemaUUID:
		return &keywordIndex{indexBase: base, m: map[string]*postings{}, uuid: true}
	case SchemaInteger, SchemaFloat:
		return newNumericIndex(base)
	case SchemaDatetime:
		ix := newNumericIndex(base)
		ix.datetime = true
		return ix
	case SchemaBool:
		return &boolIndex{indexBase: base}
	}
	panic("BUG: filter.NewIndex: unknown schema " + string(s))
}

type indexBase struct {
	field  string
	path   keyPath
	schema Schema
	points int
}

func (b *indexBase) Field() string  { return b.field }
func (b *indexBase) Schema() Schema { return b.schema }
func (b *indexBase) Points() int    { return b.points }

// leaves calls fn for each value the field reaches in payload, arrays flattened one level, exactly
// as conditions see them; this identity is what makes index candidates a superset of matches.
func (b *indexBase) leaves(payload map[string]any, fn func(v any)) {
	var buf [8]any
	forEachLeaf(b.path.collect(payload, buf[:0]), func(v any) bool {
		fn(v)
		return false
	})
}

// Indexes is the set of payload indexes of a collection, keyed by field. The zero value is an empty
// set ready to use. It has no lock of its own: mutations (Put, Delete, Add, Remove) need the
// caller's exclusive lock; Get, Fields, Len and Filter.Candidates may run concurrently under a
// shared lock, as they do not modify anything.
type Indexes struct {
	byField map[string]Index

	// IDLookup, if set, returns the slot currently holding a point id. It lets has_id conditions
	// narrow candidates; without it they cannot.
	IDLookup func(id pointid.ID) (slot uint32, ok bool)
}

// Put adds idx, replacing any index on the same field. The caller fills it (Add) for existing points.
func (ix *Indexes) Put(idx Index) {
	if ix.byField == nil {
		ix.byField = map[string]Index{}
	}
	ix.byField[idx.Field()] = idx
}

// Get returns the index on field, or nil.
func (ix *Indexes) Get(field string) Index {
	if ix == nil {
		return nil
	}
	return ix.byField[field]
}

// Delete removes the index on field and reports whether there was one.
func (ix *Indexes) Delete(field string) bool {
	_, ok := ix.byField[field]
	delete(ix.byField, field)
	return ok
}

// Len returns the number of indexes.
func (ix *Indexes) Len() int {
	if ix == nil {
		return 0
	}
	return len(ix.byField)
}

// Fields returns the indexed fields in sorted order.
func (ix *Indexes) Fields() []string {
	if ix == nil {
		return nil
	}
	out := make([]string, 0, len(ix.byField))
	for f := range ix.byField {
		out = append(out, f)
	}
	sort.Strings(out)
	return out
}

// Add indexes payload under slot in every index.
func (ix *Indexes) Add(slot uint32, payload map[string]any) {
	for _, idx := range ix.byField {
		idx.Add(slot, payload)
	}
}

// Remove removes slot, whose payload was payload, from every index.
func (ix *Indexes) Remove(slot uint32, payload map[string]any) {
	for _, idx := range ix.byField {
		idx.Remove(slot, payload)
	}
}

// String lists the indexes, for logs and tests.
func (ix *Indexes) String() string {
	var sb strings.Builder
	for i, f := range ix.Fields() {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "%s:%s", f, ix.byField[f].Schema())
	}
	return sb.String()
}
