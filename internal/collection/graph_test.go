package collection

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

func intp(v int) *int { return &v }

// TestHNSWSegments: sealed segments get graphs (built once, persisted, loaded on restart), searches
// use them with good recall, exact=true bypasses them, filters and deletes are honoured.
func TestHNSWSegments(t *testing.T) {
	dir := t.TempDir()
	m, _ := OpenManager(dir, testOptions(), quiet)
	cfg := &Config{Vectors: map[string]VectorParams{"": {Size: 24, Distance: Cosine}}, Unnamed: true,
		Hnsw: HnswConfig{M: intp(12), EfConstruct: intp(80), FullScanThreshold: intp(0)}}
	if err := m.Create("g", cfg); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Get("g")
	rng := rand.New(rand.NewSource(5))
	pts := map[pointid.ID][]float32{}
	op := Op{Kind: OpUpsert}
	for i := 0; i < 3000; i++ {
		v := randVec(rng, 24)
		pts[pointid.Num(uint64(i))] = v
		op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": v}, Payload: payloadOf(i)})
	}
	ctx := context.Background()
	c.Submit(ctx, &op, true)
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if n := c.Info().IndexedPoints; n != 3000 {
		t.Fatalf("indexed_vectors_count = %d, want 3000", n)
	}
	graphs, _ := filepath.Glob(filepath.Join(dir, "collections", "g", "segments", "*", "hnsw-*.bin"))
	if len(graphs) != 1 {
		t.Fatalf("graph files: %v", graphs)
	}
	recall := func(label string, exact bool, f func(pointid.ID) bool, fj string) float64 {
		hits, total := 0, 0
		for q := 0; q < 40; q++ {
			v := randVec(rng, 24)
			req := SearchRequest{Vector: v, Limit: 10, Exact: exact, Ef: 64}
			if fj != "" {
				req.Filter = mustFilter(t, fj)
			}
			got, err := c.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want := bruteForce(Cosine, pts, v, f)[:10]
			in := map[pointid.ID]bool{}
			for _, w := range want {
				in[w] = true
			}
			for _, r := range got {
				if f != nil && !f(r.ID) {
					t.Fatalf("%s: returned %v, which the filter excludes", label, r.ID)
				}
				if in[r.ID] {
					hits++
				}
			}
			total += 10
		}
		return float64(hits) / float64(total)
	}
	if r := recall("hnsw", false, nil, ""); r < 0.9 {
		t.Fatalf("hnsw recall@10 = %.3f", r)
	}
	if r := recall("exact", true, nil, ""); r != 1 {
		t.Fatalf("exact recall@10 = %.3f", r)
	}
	odd := func(id pointid.ID) bool { return id.Uint64()%5 == 1 }
	if r := recall("filtered", false, odd, `{"must":[{"key":"group","match":{"value":1}}]}`); r < 0.9 {
		t.Fatalf("filtered hnsw recall@10 = %.3f", r)
	}
	// Deleted points never come back, with the graph still holding them.
	var del []pointid.ID
	for i := 0; i < 3000; i += 2 {
		del = append(del, pointid.Num(uint64(i)))
		delete(pts, pointid.Num(uint64(i)))
	}
	c.Submit(ctx, &Op{Kind: OpDelete, Select: Selector{IDs: del}}, true)
	even := func(id pointid.ID) bool { return id.Uint64()%2 == 1 }
	if r := recall("after deletes", false, even, ""); r < 0.85 {
		t.Fatalf("recall after deleting half = %.3f", r)
	}
	// Restart: the graph is loaded from its file, not rebuilt (same file, same modification time).
	st, _ := os.Stat(graphs[0])
	m.Close()
	m, _ = OpenManager(dir, testOptions(), quiet)
	defer m.Close()
	c, _ = m.Get("g")
	st2, err := os.Stat(graphs[0])
	if err != nil || !st2.ModTime().Equal(st.ModTime()) {
		t.Fatalf("graph file changed on restart: %v", err)
	}
	if r := recall("after restart", false, even, ""); r < 0.85 {
		t.Fatalf("recall after restart = %.3f", r)
	}
	if n := c.Info().IndexedPoints; n != 1500 {
		t.Fatalf("indexed_vectors_count after deletes = %d", n)
	}
	b, _ := json.Marshal(c.Config().Hnsw)
	if string(b) != `{"m":12,"ef_construct":80,"full_scan_threshold":0}` {
		t.Fatalf("hnsw config not persisted: %s", b)
	}
	_ = fmt.Sprint
}

// TestHugeLimitsStayBounded: a limit or hnsw_ef of two billion must not size any allocation.
func TestHugeLimitsStayBounded(t *testing.T) {
	m, _ := OpenManager(t.TempDir(), testOptions(), quiet)
	defer m.Close()
	m.Create("h", &Config{Vectors: map[string]VectorParams{"": {Size: 4, Distance: Euclid}}, Unnamed: true,
		Hnsw: HnswConfig{FullScanThreshold: intp(0)}})
	c, _ := m.Get("h")
	upsertN(t, c, 0, 50, 4, rand.New(rand.NewSource(1)))
	c.Checkpoint()
	upsertN(t, c, 50, 10, 4, rand.New(rand.NewSource(2)))
	for _, exact := range []bool{false, true} {
		res, err := c.Search(context.Background(), SearchRequest{Vector: []float32{1, 2, 3, 4}, Limit: 2_000_000_000, Ef: 2_000_000_000, Exact: exact})
		if err != nil || len(res) != 60 {
			t.Fatalf("exact=%v: %d results, %v", exact, len(res), err)
		}
	}
}
