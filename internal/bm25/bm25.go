// Package bm25 turns text into sparse vectors for server-side keyword search, with no model:
// Qdrant's `Document` objects with model "qdrant/bm25".
//
// Tokenizing: Unicode letters and digits form tokens (everything else separates them), lowercased;
// English stop words are dropped; each token is reduced by the Porter stemmer; a token's index is
// the FNV-1a 32-bit hash of its stem. A document's value for a term is BM25's term-frequency part,
// tf·(k+1) / (tf + k·(1 − b + b·len/avg_len)), with len the document's token count after stop words.
// A query's value is 1 for each distinct term. The IDF part is applied at query time by the
// collection (sparse vector modifier "idf"), from live statistics.
//
// Concurrency: every function is pure and safe for concurrent use.
package bm25

import (
	"slices"
	"strings"
	"unicode"
)

// Options are BM25's parameters (Qdrant's defaults: k 1.2, b 0.75, avg_len 256).
type Options struct {
	K      float64
	B      float64
	AvgLen float64
}

// DefaultOptions returns k=1.2, b=0.75, avg_len=256.
func DefaultOptions() Options { return Options{K: 1.2, B: 0.75, AvgLen: 256} }

// Tokens splits text into stemmed, lowercased tokens without stop words.
func Tokens(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		w = strings.ToLower(w)
		if stopWords[w] {
			continue
		}
		out = append(out, Stem(w))
	}
	return out
}

// Index returns the sparse index of a term.
func Index(term string) uint32 {
	// FNV-1a, 32 bit (hash/fnv's New32a), inline: no hasher or byte copy per token.
	h := uint32(2166136261)
	for i := 0; i < len(term); i++ {
		h ^= uint32(term[i])
		h *= 16777619
	}
	return h
}

// Document returns the sparse vector of a document: sorted indices and BM25 term-frequency values.
func Document(text string, o Options) (indices []uint32, values []float32) {
	toks := Tokens(text)
	tf := map[uint32]float64{}
	for _, t := range toks {
		tf[Index(t)]++
	}
	norm := o.K * (1 - o.B + o.B*float64(len(toks))/o.AvgLen)
	return sorted(tf, func(f float64) float32 { return float32(f * (o.K + 1) / (f + norm)) })
}

// Query returns the sparse vector of a query: each distinct term with value 1.
func Query(text string) (indices []uint32, values []float32) {
	tf := map[uint32]float64{}
	for _, t := range Tokens(text) {
		tf[Index(t)] = 1
	}
	return sorted(tf, func(float64) float32 { return 1 })
}

func sorted(m map[uint32]float64, value func(float64) float32) ([]uint32, []float32) {
	idx := make([]uint32, 0, len(m))
	for k := range m {
		idx = append(idx, k)
	}
	slices.Sort(idx)
	vals := make([]float32, len(idx))
	for i, k := range idx {
		vals[i] = value(m[k])
	}
	return idx, vals
}

// stopWords are common English words that carry no keyword signal.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a about above after again against all am an and any are aren't as at be because been
		before being below between both but by can cannot could did do does doing don down during each few for from
		further had has have having he her here hers herself him himself his how i if in into is isn it its itself
		just me more most my myself no nor not now of off on once only or other ought our ours ourselves out over own
		s same she should so some such t than that the their theirs them themselves then there these they this those
		through to too under until up very was we were what when where which while who whom why will with would you
		your yours yourself yourselves`) {
		m[w] = true
	}
	return m
}()
