package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

// PointStruct is one point in an upsert list.
type PointStruct struct {
	ID      *pointid.ID    `json:"id"`
	Vector  *VectorStruct  `json:"vector"`
	Payload map[string]any `json:"payload"`
}

// BatchStruct is the columnar upsert form.
type BatchStruct struct {
	IDs      []pointid.ID      `json:"ids"`
	Vectors  json.RawMessage   `json:"vectors"`
	Payloads []json.RawMessage `json:"payloads"`
}

// UpsertRequest is the body of PUT /collections/{name}/points.
type UpsertRequest struct {
	Points       *[]PointStruct  `json:"points"`
	Batch        *BatchStruct    `json:"batch"`
	UpdateMode   json.RawMessage `json:"update_mode"`
	UpdateFilter json.RawMessage `json:"update_filter"`
}

// Op converts the request into an upsert operation, embedding any Documents through emb.
func (r *UpsertRequest) Op(ctx context.Context, emb Embedder) (*collection.Op, error) {
	if !isNull(r.UpdateMode) && string(bytes.TrimSpace(r.UpdateMode)) != `"upsert"` {
		return nil, BadRequest("update_mode other than \"upsert\" is not supported yet")
	}
	if !isNull(r.UpdateFilter) {
		return nil, BadRequest("update_filter is not supported yet")
	}
	switch {
	case r.Points != nil && r.Batch != nil:
		return nil, BadRequest("give either `points` or `batch`, not both")
	case r.Points != nil:
		vs := make([]*VectorStruct, len(*r.Points))
		for i, p := range *r.Points {
			if p.ID == nil {
				return nil, BadRequest("points[%d].id is missing", i)
			}
			if p.Vector == nil {
				return nil, BadRequest("points[%d].vector is missing", i)
			}
			vs[i] = p.Vector
		}
		if err := resolveDocs(ctx, emb, vs); err != nil {
			return nil, err
		}
		pts := make([]collection.Point, len(*r.Points))
		for i, p := range *r.Points {
			pts[i] = collection.Point{ID: *p.ID, Vectors: p.Vector.Dense, Sparse: p.Vector.Sparse, Payload: p.Payload}
		}
		return &collection.Op{Kind: collection.OpUpsert, Points: pts}, nil
	case r.Batch != nil:
		return r.Batch.op(ctx, emb)
	}
	return nil, BadRequest("the body must contain `points` or `batch`")
}

func (b *BatchStruct) op(ctx context.Context, emb Embedder) (*collection.Op, error) {
	n := len(b.IDs)
	vs, err := decodeBatchVectors(b.Vectors, n)
	if err != nil {
		return nil, err
	}
	if b.Payloads != nil && len(b.Payloads) != n {
		return nil, BadRequest("batch.payloads has %d entries but batch.ids has %d", len(b.Payloads), n)
	}
	if err := resolveDocs(ctx, emb, vs); err != nil {
		return nil, err
	}
	pts := make([]collection.Point, n)
	for i := range pts {
		pts[i] = collection.Point{ID: b.IDs[i], Vectors: vs[i].Dense, Sparse: vs[i].Sparse}
		if b.Payloads != nil && len(b.Payloads[i]) > 0 && string(b.Payloads[i]) != "null" {
			m, err := collection.DecodePayload(b.Payloads[i])
			if err != nil {
				return nil, BadRequest("batch.payloads[%d]: must be an object: %v", i, err)
			}
			pts[i].Payload = m
		}
	}
	return &collection.Op{Kind: collection.OpUpsert, Points: pts}, nil
}

// decodeBatchVectors decodes the columnar vectors: an array with one entry per point (the default
// vector: dense arrays or documents) or an object of named columns; each entry is dense, sparse
// or a document. Every column must have n entries.
func decodeBatchVectors(raw json.RawMessage, n int) ([]*VectorStruct, error) {
	if len(raw) == 0 {
		return nil, BadRequest("batch.vectors is missing")
	}
	out := make([]*VectorStruct, n)
	for i := range out {
		out[i] = &VectorStruct{}
	}
	column := func(name string, col json.RawMessage) error {
		var rows []json.RawMessage
		if err := json.Unmarshal(col, &rows); err != nil {
			return BadRequest("batch.vectors%s must be an array with one vector per id: %v", suffix(name), err)
		}
		if len(rows) != n {
			return BadRequest("batch.vectors%s has %d rows but batch.ids has %d", suffix(name), len(rows), n)
		}
		for i, r := range rows {
			if err := out[i].add(name, r); err != nil {
				return BadRequest("batch.vectors%s[%d]: %v", suffix(name), i, err)
			}
		}
		return nil
	}
	raw = json.RawMessage(bytes.TrimSpace(raw))
	if raw[0] == '[' {
		if err := column("", raw); err != nil {
			return nil, err
		}
		return out, nil
	}
	var named map[string]json.RawMessage
	if err := json.Unmarshal(raw, &named); err != nil {
		return nil, BadRequest("batch.vectors must be an array of vectors or an object of named vector arrays: %v", err)
	}
	for name, col := range named {
		if err := column(name, col); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func suffix(name string) string {
	if name == "" {
		return ""
	}
	return "." + name
}

// PointsSelector is {"points": [ids]} or {"filter": {...}}, used by delete and payload operations.
type PointsSelector struct {
	Points *[]pointid.ID `json:"points"`
	Filter *RawFilter    `json:"filter"`
}

// Selector converts to the collection's selector; exactly one of the two forms must be given.
func (s *PointsSelector) Selector() (collection.Selector, error) {
	switch {
	case s.Points != nil && s.Filter != nil:
		return collection.Selector{}, BadRequest("give either `points` or `filter`, not both")
	case s.Points != nil:
		return collection.Selector{IDs: *s.Points}, nil
	case s.Filter != nil:
		if s.Filter.Filter == nil {
			return collection.Selector{}, BadRequest("filter must not be null")
		}
		return collection.Selector{Filter: s.Filter.Filter, FilterJSON: s.Filter.JSON}, nil
	}
	return collection.Selector{}, BadRequest("the body must contain `points` or `filter`")
}

// SetPayloadRequest is the body of set (POST) and overwrite (PUT) payload.
type SetPayloadRequest struct {
	PointsSelector
	Payload map[string]any `json:"payload"`
	Key     string         `json:"key"`
}

// DeletePayloadRequest is the body of POST /points/payload/delete.
type DeletePayloadRequest struct {
	PointsSelector
	Keys []string `json:"keys"`
}

// GetPointsRequest is the body of POST /points.
type GetPointsRequest struct {
	IDs         []pointid.ID `json:"ids"`
	WithPayload *WithPayload `json:"with_payload"`
	WithVector  *WithVector  `json:"with_vector"`
}

// CreateIndexRequest is the body of PUT /index.
type CreateIndexRequest struct {
	FieldName   string          `json:"field_name"`
	FieldSchema json.RawMessage `json:"field_schema"`
}

// Op converts the request into an index creation.
func (r *CreateIndexRequest) Op() (*collection.Op, error) {
	if r.FieldName == "" {
		return nil, BadRequest("field_name is missing")
	}
	if len(r.FieldSchema) == 0 || string(r.FieldSchema) == "null" {
		return nil, BadRequest("field_schema is missing: give one of keyword, integer, float, bool, uuid, datetime")
	}
	return &collection.Op{Kind: collection.OpCreateIndex, Field: r.FieldName, Schema: r.FieldSchema}, nil
}

// CountRequest is the body of POST /points/count.
type CountRequest struct {
	Filter *RawFilter `json:"filter"`
	Exact  *bool      `json:"exact"`
}

// OrderByWire is order_by: a key string or {key, direction, start_from}.
type OrderByWire struct {
	collection.OrderBy
}

// UnmarshalJSON decodes both forms.
func (o *OrderByWire) UnmarshalJSON(b []byte) error {
	var key string
	if err := json.Unmarshal(b, &key); err == nil {
		o.Key = key
		return nil
	}
	var full struct {
		Key       string          `json:"key"`
		Direction string          `json:"direction"`
		StartFrom json.RawMessage `json:"start_from"`
	}
	if err := json.Unmarshal(b, &full); err != nil {
		return fmt.Errorf("order_by must be a key or {key, direction, start_from}: %v", err)
	}
	if full.Key == "" {
		return fmt.Errorf("order_by.key is missing")
	}
	o.Key = full.Key
	switch full.Direction {
	case "", "asc":
	case "desc":
		o.Desc = true
	default:
		return fmt.Errorf("order_by.direction must be asc or desc, got %q", full.Direction)
	}
	if !isNull(full.StartFrom) {
		var num float64
		var str string
		switch {
		case json.Unmarshal(full.StartFrom, &num) == nil:
		case json.Unmarshal(full.StartFrom, &str) == nil:
			us, ok := filter.ParseDatetime(str)
			if !ok {
				return fmt.Errorf("order_by.start_from: %q is not a datetime", str)
			}
			num = float64(us)
		default:
			return fmt.Errorf("order_by.start_from must be a number or a datetime string")
		}
		o.StartFrom = &num
	}
	return nil
}

// ScrollRequest is the body of POST /points/scroll.
type ScrollRequest struct {
	Offset      *pointid.ID  `json:"offset"`
	Limit       *int         `json:"limit"`
	Filter      *RawFilter   `json:"filter"`
	WithPayload *WithPayload `json:"with_payload"`
	WithVector  *WithVector  `json:"with_vector"`
	OrderBy     *OrderByWire `json:"order_by"`
}

// Request converts to the collection's scroll request (default limit 10, payload on).
func (r *ScrollRequest) Request() (collection.ScrollRequest, error) {
	limit := 10
	if r.Limit != nil {
		limit = *r.Limit
	}
	if limit < 1 {
		return collection.ScrollRequest{}, BadRequest("limit must be at least 1, got %d", limit)
	}
	req := collection.ScrollRequest{
		Filter: r.Filter.Get(), Offset: r.Offset, Limit: limit,
		WithPayload: r.WithPayload.Or(true), Vectors: r.WithVector.selection(),
	}
	if r.OrderBy != nil {
		ob := r.OrderBy.OrderBy
		req.OrderBy = &ob
		if r.Offset != nil {
			return req, BadRequest("offset cannot be used with order_by; use order_by.start_from")
		}
	}
	return req, nil
}

func (w *WithVector) selection() collection.VectorSelect {
	if w == nil {
		return collection.VectorSelect{}
	}
	return collection.VectorSelect{All: w.All, Names: w.Names}
}

// UpdateVectorsRequest is the body of PUT /points/vectors.
type UpdateVectorsRequest struct {
	Points []struct {
		ID     *pointid.ID   `json:"id"`
		Vector *VectorStruct `json:"vector"`
	} `json:"points"`
}

// Op converts the request, embedding documents through emb.
func (r *UpdateVectorsRequest) Op(ctx context.Context, emb Embedder) (*collection.Op, error) {
	if len(r.Points) == 0 {
		return nil, BadRequest("points is missing or empty")
	}
	vs := make([]*VectorStruct, len(r.Points))
	for i, p := range r.Points {
		if p.ID == nil || p.Vector == nil {
			return nil, BadRequest("points[%d] needs an id and a vector", i)
		}
		vs[i] = p.Vector
	}
	if err := resolveDocs(ctx, emb, vs); err != nil {
		return nil, err
	}
	op := &collection.Op{Kind: collection.OpUpdateVectors, Points: make([]collection.Point, len(r.Points))}
	for i, p := range r.Points {
		op.Points[i] = collection.Point{ID: *p.ID, Vectors: p.Vector.Dense, Sparse: p.Vector.Sparse}
	}
	return op, nil
}

// DeleteVectorsRequest is the body of POST /points/vectors/delete.
type DeleteVectorsRequest struct {
	PointsSelector
	Vector []string `json:"vector"`
}
