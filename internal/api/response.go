package api

import (
	"math"
	"strings"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

// ScoredPoint is a search result on the wire.
type ScoredPoint struct {
	ID      pointid.ID     `json:"id"`
	Version uint64         `json:"version"`
	Score   float32        `json:"score"`
	Payload map[string]any `json:"payload"`
	Vector  any            `json:"vector"`
}

// RecordWire is a retrieved point on the wire.
type RecordWire struct {
	ID         pointid.ID     `json:"id"`
	Payload    map[string]any `json:"payload"`
	Vector     any            `json:"vector"`
	OrderValue *float64       `json:"order_value,omitempty"`
}

// Shaper turns collection records into wire points for one request.
type Shaper struct {
	Unnamed bool // the collection has one unnamed vector: vectors go out as bare arrays
	Payload *WithPayload
}

func (s Shaper) payload(p map[string]any) map[string]any {
	if p == nil || s.Payload == nil {
		return p
	}
	if s.Payload.Include != nil {
		out := map[string]any{}
		for _, k := range s.Payload.Include {
			copyPath(out, p, k)
		}
		return out
	}
	if len(s.Payload.Exclude) > 0 {
		return collection.DeletePayloadKeys(p, s.Payload.Exclude)
	}
	return p
}

// copyPath copies the value at a dotted key path from src into dst, keeping its nesting.
func copyPath(dst, src map[string]any, key string) {
	head, rest, nested := strings.Cut(key, ".")
	v, ok := src[head]
	if !ok {
		return
	}
	if !nested {
		dst[head] = v
		return
	}
	inner, ok := v.(map[string]any)
	if !ok {
		return
	}
	sub, _ := dst[head].(map[string]any)
	if sub == nil {
		sub = map[string]any{}
		dst[head] = sub
	}
	copyPath(sub, inner, rest)
}

// vector shapes a record's vectors as Qdrant does: a bare array when the collection has only its
// unnamed dense vector, otherwise an object of named vectors (sparse ones as {indices, values}).
func (s Shaper) vector(r collection.Record) any {
	if r.Vectors == nil && r.Sparse == nil {
		return nil
	}
	if s.Unnamed && len(r.Sparse) == 0 {
		if v, ok := r.Vectors[""]; ok {
			return v
		}
		return nil
	}
	if len(r.Sparse) == 0 {
		return r.Vectors // no copy per record when there is nothing to merge
	}
	out := make(map[string]any, len(r.Vectors)+len(r.Sparse))
	for name, v := range r.Vectors {
		out[name] = v
	}
	for name, sv := range r.Sparse {
		out[name] = map[string]any{"indices": sv.Indices, "values": sv.Values}
	}
	return out
}

// wireScore makes a score encodable: JSON has no infinities, and distances between vectors of
// huge (finite) values can overflow float32. ±Inf becomes ±MaxFloat32, NaN (∞ − ∞) the lowest.
func wireScore(x float32) float32 {
	switch {
	case x != x:
		return -math.MaxFloat32
	case x > math.MaxFloat32:
		return math.MaxFloat32
	case x < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return x
}

// Scored converts search results.
func (s Shaper) Scored(recs []collection.Record) []ScoredPoint {
	out := make([]ScoredPoint, len(recs))
	for i, r := range recs {
		out[i] = ScoredPoint{ID: r.ID, Version: r.Version, Score: wireScore(r.Score), Payload: s.payload(r.Payload), Vector: s.vector(r)}
	}
	return out
}

// Records converts retrieved points.
func (s Shaper) Records(recs []collection.Record) []RecordWire {
	out := make([]RecordWire, len(recs))
	for i, r := range recs {
		out[i] = RecordWire{ID: r.ID, Payload: s.payload(r.Payload), Vector: s.vector(r), OrderValue: r.OrderValue}
	}
	return out
}

// UpdateResult is the result of every write.
type UpdateResult struct {
	OperationID uint64 `json:"operation_id"`
	Status      string `json:"status"`
}

// Envelope is Qdrant's response wrapper.
type Envelope struct {
	Result any     `json:"result"`
	Status string  `json:"status"`
	Time   float64 `json:"time"`
}

// ErrorEnvelope is Qdrant's error response.
type ErrorEnvelope struct {
	Status struct {
		Error string `json:"error"`
	} `json:"status"`
	Time float64 `json:"time"`
}
