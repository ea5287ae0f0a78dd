package filter

import (
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// TestConcurrentReaders runs Match and Candidates from many goroutines on one Filter and one
// Indexes, as queries do under the collection's shared lock; -race proves neither writes.
func TestConcurrentReaders(t *testing.T) {
	pts := fixturePoints(t)
	ix := &Indexes{}
	ix.Put(NewIndex("city", SchemaKeyword))
	ix.Put(NewIndex("price", SchemaFloat))
	ix.Put(NewIndex("date", SchemaDatetime))
	ix.Put(NewIndex("active", SchemaBool))
	for i, p := range pts {
		ix.Add(uint32(i), p.payload)
	}
	f := mustParse(t, `{"should": [{"key": "city", "match": {"text": "o"}}, {"key": "price", "range": {"gt": 9}},
		{"key": "date", "range": {"gte": "2020-01-01"}}, {"key": "active", "match": {"value": true}}]}`)
	want, ok := f.Candidates(ix, len(pts))
	if !ok {
		t.Fatal("not answered")
	}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				got, _ := f.Candidates(ix, len(pts))
				if got.Count() != want.Count() {
					t.Errorf("candidates changed: %d vs %d", got.Count(), want.Count())
					return
				}
				for _, p := range pts {
					f.Match(p.id, p.payload)
				}
				_ = f.Match(pointid.Num(uint64(i)), nil)
			}
		}()
	}
	wg.Wait()
}
