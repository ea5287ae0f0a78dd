package collection

import (
	"maps"
	"math/rand"
	"path/filepath"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/segment"
)

// randomSparse returns a normalized sparse vector of up to 12 terms out of vocab.
func randomSparse(rng *rand.Rand, vocab int) SparseVector {
	n := 1 + rng.Intn(12)
	seen := map[uint32]bool{}
	var v SparseVector
	for len(v.Indices) < n {
		t := uint32(rng.Intn(vocab))
		if !seen[t] {
			seen[t] = true
			v.Indices = append(v.Indices, t)
			v.Values = append(v.Values, rng.Float32())
		}
	}
	if err := v.normalize(); err != nil {
		panic(err)
	}
	return v
}

// The inverted index of a mutable segment stays exactly the postings of its live vectors through
// random puts, replacements and removes (which find their postings through at, not by scanning).
func TestSparseSpacePutRemove(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	const slots, vocab = 64, 20 // few terms: long lists, many swaps
	ss := newSparseSpace(SparseParams{})
	model := map[uint32]SparseVector{}
	for step := 0; step < 5000; step++ {
		slot := uint32(rng.Intn(slots))
		if rng.Intn(3) == 0 {
			ss.remove(slot)
			delete(model, slot)
		} else {
			v := randomSparse(rng, vocab)
			ss.put(slot, v)
			model[slot] = v
		}
		if step%97 != 0 {
			continue
		}
		want := map[uint32][]posting{}
		for slot, v := range model {
			for i, t := range v.Indices {
				want[t] = append(want[t], posting{slot, v.Values[i]})
			}
		}
		cmp := func(a, b posting) int { return int(a.slot) - int(b.slot) }
		for term, list := range ss.post {
			got := slices.SortedFunc(slices.Values(list), cmp)
			if w := slices.SortedFunc(slices.Values(want[term]), cmp); !slices.Equal(got, w) {
				t.Fatalf("step %d: term %d postings %v, want %v", step, term, got, w)
			}
			if ss.liveDocs(term) != len(want[term]) {
				t.Fatalf("step %d: term %d live docs %d, want %d", step, term, ss.liveDocs(term), len(want[term]))
			}
			for j, p := range list {
				k, _ := slices.BinarySearch(ss.vecs[p.slot].Indices, term)
				if ss.at[p.slot][k] != uint32(j) {
					t.Fatalf("step %d: slot %d's place in term %d is %d, its posting is at %d", step, p.slot, term, ss.at[p.slot][k], j)
				}
			}
		}
		if len(ss.post) != len(want) {
			t.Fatalf("step %d: %d terms indexed, want %d (%v)", step, len(ss.post), len(want), slices.Sorted(maps.Keys(ss.post)))
		}
	}
}

// In a sealed segment a kill keeps the postings but counts them dead: live document frequencies
// (what IDF uses) match a count over the live slots, and killing twice counts once.
func TestSparseSpaceKill(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	const slots, vocab = 200, 30
	ss := newSparseSpace(SparseParams{})
	ss.vecs = make([]SparseVector, slots)
	for s := range uint32(slots) {
		v := randomSparse(rng, vocab)
		ss.vecs[s] = v
		for i, t := range v.Indices {
			ss.post[t] = append(ss.post[t], posting{s, v.Values[i]})
		}
		ss.has.set(s)
	}
	for range 150 {
		s := uint32(rng.Intn(slots))
		ss.kill(s)
		ss.kill(s) // twice: counted once
	}
	for term := range uint32(vocab) {
		want := 0
		for _, p := range ss.post[term] {
			if ss.has.get(p.slot) {
				want++
			}
		}
		if got := ss.liveDocs(term); got != want {
			t.Errorf("term %d: %d live docs, want %d", term, got, want)
		}
	}
}

// BenchmarkSparseReplace re-puts documents of a mutable segment holding 50,000 BM25-like
// vectors (Zipf-distributed terms, so the common terms' lists are long): the cost of an update.
func BenchmarkSparseReplace(b *testing.B) {
	const slots, vocab = 50_000, 50_000
	rng := rand.New(rand.NewSource(3))
	zipf := rand.NewZipf(rng, 1.1, 10, vocab-1)
	doc := func() SparseVector {
		seen := map[uint32]bool{}
		var v SparseVector
		for n := 8 + rng.Intn(17); len(v.Indices) < n; {
			if t := uint32(zipf.Uint64()); !seen[t] {
				seen[t] = true
				v.Indices, v.Values = append(v.Indices, t), append(v.Values, 1)
			}
		}
		v.normalize()
		return v
	}
	ss := newSparseSpace(SparseParams{})
	for s := range uint32(slots) {
		ss.put(s, doc())
	}
	docs := make([]SparseVector, 1024)
	for i := range docs {
		docs[i] = doc()
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		ss.put(uint32(rng.Intn(slots)), docs[i%len(docs)])
	}
}

// A vector whose indices are out of order or repeated (only a damaged segment file read without
// verification holds one) is repaired when its sealed segment opens: the sealed postings hold each
// term once, and once the vector moves into a mutable segment, removes still find its postings.
func TestSealedSparseRepaired(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "001")
	_, err := segment.Write(dir, &segment.Source{
		Count:   2,
		ID:      func(i int) pointid.ID { return pointid.Num(uint64(i + 1)) },
		Version: func(int) uint64 { return 1 },
		Payload: func(int) []byte { return nil },
		Dims:    map[string]int{},
		Vector:  func(string, int) []float32 { return nil },

		SparseNames: []string{"t"},
		Sparse: func(_ string, i int) ([]uint32, []float32, bool) {
			if i == 0 {
				return []uint32{5, 2, 5, 1}, []float32{1, 2, 3, 4}, true
			}
			return []uint32{2, 5}, []float32{6, 7}, true
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := segment.Open(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sealed := openSealed(&Config{SparseVectors: map[string]SparseParams{"t": {}}}, 1, f, nil).sparse["t"]
	if v := sealed.vector(0); !slices.Equal(v.Indices, []uint32{1, 2, 5}) || !slices.Equal(v.Values, []float32{4, 2, 1}) {
		t.Fatalf("repaired vector %v", v)
	}
	if n := len(sealed.post[5]); n != 2 || sealed.liveDocs(5) != 2 {
		t.Fatalf("term 5: %d postings, %d live docs; want 2 and 2", n, sealed.liveDocs(5))
	}
	ss := newSparseSpace(SparseParams{})
	ss.put(0, sealed.vector(0))
	ss.put(1, sealed.vector(1))
	ss.remove(0)
	for _, term := range []uint32{2, 5} {
		if list := ss.post[term]; len(list) != 1 || list[0].slot != 1 || ss.liveDocs(term) != 1 {
			t.Fatalf("term %d postings %v after removing slot 0", term, list)
		}
	}
	if _, ok := ss.post[1]; ok {
		t.Fatal("term 1 still indexed")
	}
}

// SharesPass is the one rule for joining a shared scan (the server's coalescer asks it, and
// SearchBatch groups by it): dense, unfiltered, no threshold; a sparse query never waits for one.
func TestSharesPass(t *testing.T) {
	m := newManager(t, t.TempDir())
	defer m.Close()
	m.Create("c", &Config{Vectors: map[string]VectorParams{"d": {Size: 2, Distance: Dot}}, SparseVectors: map[string]SparseParams{"s": {}}})
	c, _ := m.Get("c")
	f := mustFilter(t, `{"must":[{"key":"a","match":{"value":1}}]}`)
	threshold := float32(0.5)
	for _, tc := range []struct {
		name string
		req  SearchRequest
		want bool
	}{
		{"dense", SearchRequest{Using: "d", Vector: []float32{1, 0}}, true},
		{"filtered", SearchRequest{Using: "d", Vector: []float32{1, 0}, Filter: f}, false},
		{"threshold", SearchRequest{Using: "d", Vector: []float32{1, 0}, ScoreThreshold: &threshold}, false},
		{"sparse", SearchRequest{Using: "s", Sparse: &SparseVector{Indices: []uint32{1}, Values: []float32{1}}}, false},
	} {
		if got := c.SharesPass(&tc.req); got != tc.want {
			t.Errorf("%s: SharesPass = %v, want %v", tc.name, got, tc.want)
		}
	}
}
