package api

import (
	"context"
	"sort"

	"github.com/needlevdb/needle/internal/collection"
)

// Embedder turns Documents into vectors. The server implements it with server-side BM25 and the
// configured embedding providers. Embed returns one result per document, or an error and nothing
// (so a write is never half-applied). query says whether the documents are queries (BM25 weighs
// query terms differently from document terms).
type Embedder interface {
	Embed(ctx context.Context, docs []Document, query bool) ([]Embedded, error)
}

// Embedded is one document's vector: dense or sparse.
type Embedded struct {
	Dense  []float32
	Sparse *collection.SparseVector
}

// docRef locates a document in a list of points.
type docRef struct {
	point int
	name  string
}

// resolveDocs embeds every Document of vs (one call for all) and stores the vectors in place.
func resolveDocs(ctx context.Context, emb Embedder, vs []*VectorStruct) error {
	var refs []docRef
	var docs []Document
	for i, v := range vs {
		names := make([]string, 0, len(v.Docs))
		for name := range v.Docs {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			refs = append(refs, docRef{i, name})
			docs = append(docs, v.Docs[name])
		}
	}
	if len(docs) == 0 {
		return nil
	}
	if emb == nil {
		return BadRequest("documents need a model, and none is configured on this server")
	}
	out, err := emb.Embed(ctx, docs, false)
	if err != nil {
		return err
	}
	for j, ref := range refs {
		v := vs[ref.point]
		if out[j].Sparse != nil {
			if v.Sparse == nil {
				v.Sparse = map[string]collection.SparseVector{}
			}
			v.Sparse[ref.name] = *out[j].Sparse
		} else {
			if v.Dense == nil {
				v.Dense = map[string][]float32{}
			}
			v.Dense[ref.name] = out[j].Dense
		}
		delete(v.Docs, ref.name)
	}
	return nil
}
