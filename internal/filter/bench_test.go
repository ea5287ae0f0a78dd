package filter

import (
	"fmt"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// benchFilter is a typical RAG filter: "tenant = 7 and year >= 2020", a tag list, a nested path and
// an exclusion.
const benchFilter = `{
	"must": [
		{"key": "tenant", "match": {"value": 7}},
		{"key": "year", "range": {"gte": 2020}},
		{"key": "tags", "match": {"any": ["go", "rust", "zig"]}}
	],
	"should": [
		{"key": "meta.lang", "match": {"value": "en"}},
		{"key": "meta.lang", "match": {"value": "de"}}
	],
	"must_not": [{"key": "status", "match": {"value": "deleted"}}]
}`

const benchPayload = `{"tenant": 7, "year": 2023, "tags": ["python", "go"], "meta": {"lang": "en", "source": "web"},
	"status": "live", "title": "Filtering in vector databases", "score": 0.87, "views": 1234, "author": "ann"}`

func BenchmarkMatch(b *testing.B) {
	f := mustParse(b, benchFilter)
	p := payload(b, benchPayload)
	id := pointid.Num(42)
	if !f.Match(id, p) {
		b.Fatal("benchmark filter does not match its payload")
	}
	b.ReportAllocs()
	for b.Loop() {
		if !f.Match(id, p) {
			b.Fatal("mismatch")
		}
	}
}

func BenchmarkMatchReject(b *testing.B) {
	f := mustParse(b, benchFilter)
	p := payload(b, `{"tenant": 8, "year": 2023}`)
	b.ReportAllocs()
	for b.Loop() {
		if f.Match(pointid.Num(1), p) {
			b.Fatal("mismatch")
		}
	}
}

func BenchmarkParse(b *testing.B) {
	data := []byte(benchFilter)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCandidates: 100k points, 100 tenants, years 2000..2024; the filter keeps ~0.4%.
func BenchmarkCandidates(b *testing.B) {
	const n = 100_000
	ix := &Indexes{}
	ix.Put(NewIndex("tenant", SchemaInteger))
	ix.Put(NewIndex("year", SchemaInteger))
	ix.Put(NewIndex("tags", SchemaKeyword))
	tags := []string{"go", "rust", "zig", "python", "c"}
	for s := 0; s < n; s++ {
		ix.Add(uint32(s), payload(b, fmt.Sprintf(`{"tenant": %d, "year": %d, "tags": [%q]}`, s%100, 2000+s%25, tags[s%5])))
	}
	f := mustParse(b, benchFilter)
	bits, ok := f.Candidates(ix, n)
	if !ok {
		b.Fatal("not answered")
	}
	b.ReportMetric(float64(bits.Count()), "candidates")
	b.ReportAllocs()
	for b.Loop() {
		f.Candidates(ix, n)
	}
}

// BenchmarkNumericIndexAdd loads distinct float keys, exercising the pending-list merges.
func BenchmarkNumericIndexAdd(b *testing.B) {
	p := map[string]any{"v": nil}
	b.ReportAllocs()
	for b.Loop() {
		x := NewIndex("v", SchemaFloat)
		for s := 0; s < 100_000; s++ {
			p["v"] = float64((s*7919)%100_003) / 3
			x.Add(uint32(s), p)
		}
	}
}
