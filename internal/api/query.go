package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

// SearchParams is Qdrant's `params` of a search or query.
type SearchParams struct {
	HnswEf       *int                `json:"hnsw_ef"`
	Exact        bool                `json:"exact"`
	Quantization *QuantizationParams `json:"quantization"`
	IndexedOnly  bool                `json:"indexed_only"`
	// Nprobe is Needle's extension: IVF lists probed (collections with an ivf_config).
	Nprobe *int `json:"nprobe"`
}

// QuantizationParams is Qdrant's params.quantization: whether a search uses the quantized
// codes, rescores with the full vectors, and how many candidates it rescores.
type QuantizationParams struct {
	Ignore       bool     `json:"ignore"`
	Rescore      *bool    `json:"rescore"`
	Oversampling *float64 `json:"oversampling"`
}

// Apply copies exact, hnsw_ef and quantization into a search request (a nil SearchParams changes
// nothing).
func (p *SearchParams) Apply(req *collection.SearchRequest) {
	if p == nil {
		return
	}
	req.Exact = p.Exact
	if p.HnswEf != nil {
		req.Ef = *p.HnswEf
	}
	if p.Nprobe != nil {
		req.Nprobe = *p.Nprobe
	}
	if q := p.Quantization; q != nil {
		req.IgnoreQuantization = q.Ignore
		req.NoRescore = q.Rescore != nil && !*q.Rescore
		if q.Oversampling != nil {
			req.Oversampling = *q.Oversampling
		}
	}
}

// Target is what a query asks for: nearest to a dense vector, a sparse vector, a document (to be
// embedded) or an existing point; or a fusion of its prefetches. All nil means "no query": points
// are returned in id order.
type Target struct {
	Vector []float32
	Sparse *collection.SparseVector
	Doc    *Document
	ID     *pointid.ID
	MMR    *MMR
	Fusion *Fusion
}

// MaxMMRCandidates bounds mmr.candidates_limit (and an mmr query's limit): re-ranking costs a
// similarity per candidate per chosen point.
const MaxMMRCandidates = 10_000

// MMR is Qdrant's maximal-marginal-relevance re-ranking of a nearest query.
type MMR struct {
	Diversity       float32 // 0: relevance only, 1: diversity only (default 0.5)
	CandidatesLimit int     // how many nearest points to choose from (0: the query's limit)
}

// Fusion merges the results of a query's prefetches.
type Fusion struct {
	Method  string // "rrf" or "dbsf"
	K       int    // RRF's constant (Qdrant's default 2)
	Weights []float32
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

	// vector is Query's numbers when DecodeQueryRequest already read them; Target returns it
	// instead of parsing Query, so code that changes Query must clear it.
	vector []float32
}

// Prefetch is one entry of a query's `prefetch`: a sub-query whose results feed the outer query.
type Prefetch struct {
	Prefetch       json.RawMessage `json:"prefetch"`
	Query          json.RawMessage `json:"query"`
	Using          *string         `json:"using"`
	Filter         *RawFilter      `json:"filter"`
	Params         *SearchParams   `json:"params"`
	ScoreThreshold *float32        `json:"score_threshold"`
	Limit          *int            `json:"limit"`
	LookupFrom     json.RawMessage `json:"lookup_from"`
}

// ParsePrefetch decodes `prefetch`: one object or an array of them (nil when absent or empty).
func ParsePrefetch(raw json.RawMessage) ([]Prefetch, error) {
	raw = bytes.TrimSpace(raw)
	if isNull(raw) {
		return nil, nil
	}
	var list []Prefetch
	if raw[0] == '{' {
		var one Prefetch
		if err := DecodeBytes(raw, &one, false); err != nil {
			return nil, err
		}
		list = []Prefetch{one}
	} else if err := DecodeBytes(raw, &list, false); err != nil {
		return nil, err
	}
	for i := range list {
		if !isNull(list[i].LookupFrom) {
			return nil, BadRequest("prefetch[%d].lookup_from is not supported yet", i)
		}
	}
	return list, nil
}

// Target parses a prefetch's query field.
func (p *Prefetch) Target() (Target, error) {
	if isNull(p.Query) {
		return Target{}, nil
	}
	return parseVectorInput(p.Query, "prefetch.query")
}

// Target parses the query field.
func (r *QueryRequest) Target() (Target, error) {
	if !isNull(r.LookupFrom) {
		return Target{}, BadRequest("`lookup_from` is not supported yet")
	}
	if r.vector != nil {
		return Target{Vector: r.vector}, nil
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
var unsupportedQueries = []string{"recommend", "discover", "context", "order_by", "formula", "sample", "relevance_feedback"}

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
			if isNull(n) {
				return Target{}, BadRequest("%s.nearest must not be null", field)
			}
			t, err := parseVectorInput(n, field+".nearest")
			if err != nil {
				return t, err
			}
			if m, ok := obj["mmr"]; ok && !isNull(m) {
				var w struct {
					Diversity       *float32 `json:"diversity"`
					CandidatesLimit *int     `json:"candidates_limit"`
				}
				if err := json.Unmarshal(m, &w); err != nil {
					return t, BadRequest("%s.mmr: %v", field, err)
				}
				t.MMR = &MMR{Diversity: 0.5}
				if w.Diversity != nil {
					if *w.Diversity < 0 || *w.Diversity > 1 {
						return t, BadRequest("%s.mmr.diversity must be between 0 and 1", field)
					}
					t.MMR.Diversity = *w.Diversity
				}
				if w.CandidatesLimit != nil {
					if *w.CandidatesLimit < 1 || *w.CandidatesLimit > MaxMMRCandidates {
						return t, BadRequest("%s.mmr.candidates_limit must be between 1 and %d", field, MaxMMRCandidates)
					}
					t.MMR.CandidatesLimit = *w.CandidatesLimit
				}
			}
			return t, nil
		}
		if f, ok := obj["fusion"]; ok {
			var method string
			if err := json.Unmarshal(f, &method); err != nil || method != "rrf" && method != "dbsf" {
				return Target{}, BadRequest("%s.fusion must be \"rrf\" or \"dbsf\"", field)
			}
			return Target{Fusion: &Fusion{Method: method, K: 2}}, nil
		}
		if r, ok := obj["rrf"]; ok {
			var w struct {
				K       *int      `json:"k"`
				Weights []float32 `json:"weights"`
			}
			if err := json.Unmarshal(r, &w); err != nil {
				return Target{}, BadRequest("%s.rrf: %v", field, err)
			}
			fu := &Fusion{Method: "rrf", K: 2, Weights: w.Weights}
			if w.K != nil {
				if *w.K < 1 {
					return Target{}, BadRequest("%s.rrf.k must be at least 1", field)
				}
				fu.K = *w.K
			}
			return Target{Fusion: fu}, nil
		}
		for _, k := range unsupportedQueries {
			if _, ok := obj[k]; ok {
				return Target{}, BadRequest("%s: `%s` queries are not supported yet; use `nearest`, `fusion` or `rrf`", field, k)
			}
		}
		if isSparse(obj) {
			sv, err := decodeSparse(b)
			if err != nil {
				return Target{}, BadRequest("%s: %v", field, err)
			}
			return Target{Sparse: &sv}, nil
		}
		if isDocument(obj) {
			var d Document
			if err := json.Unmarshal(b, &d); err != nil {
				return Target{}, BadRequest("%s: %v", field, err)
			}
			return Target{Doc: &d}, nil
		}
		return Target{}, BadRequest("%s: unknown query object; expected a vector, a point id, a document or {\"nearest\": ...}", field)
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
