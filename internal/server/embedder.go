package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/needlevdb/needle/internal/api"
	"github.com/needlevdb/needle/internal/bm25"
	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/embed"
)

// BM25Model is the model name of server-side BM25 documents (case-insensitive), as in Qdrant.
const BM25Model = "qdrant/bm25"

// embedder turns Documents into vectors: "qdrant/bm25" on the server itself, other models through
// the configured embedding providers (internal/embed), one batched call per model.
type embedder struct {
	providers *embed.Embedder // nil when none is configured
}

// Embed implements api.Embedder.
func (e embedder) Embed(ctx context.Context, docs []api.Document, query bool) ([]api.Embedded, error) {
	out := make([]api.Embedded, len(docs))
	byModel := map[string][]int{}
	for i, d := range docs {
		if strings.EqualFold(d.Model, BM25Model) {
			o, err := bm25Options(d.Options)
			if err != nil {
				return nil, err
			}
			var sv collection.SparseVector
			if query {
				sv.Indices, sv.Values = bm25.Query(d.Text)
			} else {
				sv.Indices, sv.Values = bm25.Document(d.Text, o)
			}
			out[i].Sparse = &sv
			continue
		}
		byModel[d.Model] = append(byModel[d.Model], i)
	}
	for model, idx := range byModel {
		if e.providers == nil {
			return nil, api.BadRequest("unknown model %q: this server embeds documents with %q; configure embedding_providers for other models", model, BM25Model)
		}
		texts := make([]string, len(idx))
		for j, i := range idx {
			texts[j] = docs[i].Text
		}
		vecs, err := e.providers.Embed(ctx, model, texts)
		if err != nil {
			return nil, &api.Error{Status: embed.HTTPStatus(err), Msg: fmt.Sprintf("embedding with %q: %v", model, err)}
		}
		for j, i := range idx {
			out[i].Dense = vecs[j]
		}
	}
	return out, nil
}

// bm25Options reads Qdrant's BM25 document options: k, b, avg_len.
func bm25Options(opts map[string]any) (bm25.Options, error) {
	o := bm25.DefaultOptions()
	for key, v := range opts {
		f, ok := v.(float64)
		if n, isNum := v.(interface{ Float64() (float64, error) }); isNum {
			var err error
			f, err = n.Float64()
			ok = err == nil
		}
		if !ok {
			return o, api.BadRequest("bm25 option %s must be a number", key)
		}
		switch key {
		case "k":
			o.K = f
		case "b":
			o.B = f
		case "avg_len":
			o.AvgLen = f
		default:
			return o, api.BadRequest("unknown bm25 option %q (supported: k, b, avg_len)", key)
		}
	}
	if o.K < 0 || o.B < 0 || o.B > 1 || o.AvgLen <= 0 {
		return o, api.BadRequest("bm25 options out of range: %s", fmt.Sprintf("k=%v b=%v avg_len=%v", o.K, o.B, o.AvgLen))
	}
	return o, nil
}
