package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/needlevdb/needle/internal/pointid"
)

// SearchParams is Qdrant's `params` of a search or query.
type SearchParams struct {
	HnswEf       *int            `json:"hnsw_ef"`
	Exact        bool            `json:"exact"`
	Quantization json.RawMessage `json:"quantization"`
	IndexedOnly  bool            `json:"indexed_only"`
}

// Target is what a query searches near: a vector, or the vector of an existing point.
// Both nil means "no query": points are returned in id order.
type Target struct {
	Vector []float32
	ID     *pointid.ID
}

// QueryRequest is the body of POST /points/query and one entry of /points/query/batch.
type QueryRequest struct {
	Query          json.RawMessage `json:"query"`
	Prefetch       json.RawMessage `json:"prefetch"`
	Using          *string         `json:"using"`
	Filter         *RawFilter      `json:"filter"`
	Params         *SearchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	Offset         *int            `json:"offset"`
	WithVector     *WithVector     `json:"with_vector"`
	WithPayload    *WithPayload    `json:"with_payload"`
	LookupFrom     json.RawMessage `json:"lookup_from"`
}

// Target parses the query field.
func (r *QueryRequest) Target() (Target, error) {
	if !isNull(r.Prefetch) && string(bytes.TrimSpace(r.Prefetch)) != "[]" {
		return Target{}, BadRequest("`prefetch` is not supported yet")
	}
	if !isNull(r.LookupFrom) {
		return Target{}, BadRequest("`lookup_from` is not supported yet")
	}
	if isNull(r.Query) {
		return Target{}, nil
	}
	return parseVectorInput(r.Query, "query")
}

func isNull(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) == 0 || string(b) == "null"
}

// unsupportedQueries names the Query variants Needle does not implement yet.
var unsupportedQueries = []string{"recommend", "discover", "context", "order_by", "fusion", "rrf", "formula", "sample", "relevance_feedback"}

func parseVectorInput(b json.RawMessage, field string) (Target, error) {
	nested := strings.HasSuffix(field, ".nearest")
	b = bytes.TrimSpace(b)
	switch b[0] {
	case '[':
		var v Vector
		if bytes.HasPrefix(bytes.TrimSpace(b[1:]), []byte("[")) {
			return Target{}, BadRequest("%s: multi-vector queries are not supported", field)
		}
		if err := v.UnmarshalJSON(b); err != nil {
			return Target{}, BadRequest("%s: %v", field, err)
		}
		return Target{Vector: v}, nil
	case '"':
		var id pointid.ID
		if err := id.UnmarshalJSON(b); err != nil {
			return Target{}, BadRequest("%s: %v", field, err)
		}
		return Target{ID: &id}, nil
	case '{':
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return Target{}, BadRequest("%s: %v", field, err)
		}
		if n, ok := obj["nearest"]; ok && !nested {
			if _, mmr := obj["mmr"]; mmr && !isNull(obj["mmr"]) {
				return Target{}, BadRequest("%s.mmr is not supported yet", field)
			}
			if isNull(n) {
				return Target{}, BadRequest("%s.nearest must not be null", field)
			}
			return parseVectorInput(n, field+".nearest")
		}
		for _, k := range unsupportedQueries {
			if _, ok := obj[k]; ok {
				return Target{}, BadRequest("%s: `%s` queries are not supported yet; use `nearest`", field, k)
			}
		}
		if isSparse(obj) {
			return Target{}, BadRequest("%s: sparse vectors are not supported yet", field)
		}
		if isDocument(obj) {
			return Target{}, BadRequest("%s: document (text) queries are not supported yet", field)
		}
		return Target{}, BadRequest("%s: unknown query object; expected a vector, a point id or {\"nearest\": ...}", field)
	default:
		var id pointid.ID
		if err := id.UnmarshalJSON(b); err != nil {
			return Target{}, BadRequest("%s: expected a vector, a point id or a query object: %v", field, err)
		}
		return Target{ID: &id}, nil
	}
}

// LimitOr returns the limit or its default (10), validated.
func LimitOr(limit *int, def int) (int, error) {
	if limit == nil {
		return def, nil
	}
	if *limit < 1 {
		return 0, BadRequest("limit must be at least 1, got %d", *limit)
	}
	return *limit, nil
}

// OffsetOr returns the offset or 0, validated.
func OffsetOr(offset *int) (int, error) {
	if offset == nil {
		return 0, nil
	}
	if *offset < 0 {
		return 0, BadRequest("offset must not be negative, got %d", *offset)
	}
	return *offset, nil
}

// QueryBatchRequest is the body of POST /points/query/batch.
type QueryBatchRequest struct {
	Searches *[]QueryRequest `json:"searches"`
}

// NamedVectorWire is the legacy search `vector`: a bare array or {"name": ..., "vector": [...]}.
type NamedVectorWire struct {
	Name   string
	Vector Vector
}

// UnmarshalJSON decodes both forms.
func (n *NamedVectorWire) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		return n.Vector.UnmarshalJSON(b)
	}
	var obj struct {
		Name   string `json:"name"`
		Vector Vector `json:"vector"`
	}
	if err := json.Unmarshal(b, &obj); err != nil {
		return fmt.Errorf("vector must be an array or {\"name\", \"vector\"}: %v", err)
	}
	if obj.Vector == nil {
		return fmt.Errorf("vector.vector is missing")
	}
	n.Name, n.Vector = obj.Name, obj.Vector
	return nil
}

// SearchRequest is the legacy body of POST /points/search.
type SearchRequest struct {
	Vector         *NamedVectorWire `json:"vector"`
	Filter         *RawFilter       `json:"filter"`
	Params         *SearchParams    `json:"params"`
	Limit          *int             `json:"limit"`
	Top            *int             `json:"top"`
	Offset         *int             `json:"offset"`
	WithPayload    *WithPayload     `json:"with_payload"`
	WithVector     *WithVector      `json:"with_vector"`
	ScoreThreshold *float32         `json:"score_threshold"`
}

// SearchBatchRequest is the legacy body of POST /points/search/batch.
type SearchBatchRequest struct {
	Searches *[]SearchRequest `json:"searches"`
}
