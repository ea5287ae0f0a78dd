package collection

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// model is the expected content of a collection: id -> vector and payload JSON.
type model map[pointid.ID]struct {
	vec     []float32
	payload string
}

func dump(t *testing.T, c *Collection) model {
	t.Helper()
	recs, _, err := c.Scroll(ScrollRequest{Limit: 1 << 30, WithPayload: true, Vectors: VectorSelect{All: true}})
	if err != nil {
		t.Fatal(err)
	}
	out := model{}
	for _, r := range recs {
		b, _ := json.Marshal(r.Payload)
		out[r.ID] = struct {
			vec     []float32
			payload string
		}{r.Vectors[""], string(b)}
	}
	return out
}

func sameModel(t *testing.T, label string, got, want model) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d points, want %d", label, len(got), len(want))
	}
	for id, w := range want {
		g, ok := got[id]
		if !ok {
			t.Fatalf("%s: point %v missing", label, id)
		}
		if g.payload != w.payload {
			t.Fatalf("%s: point %v payload %s, want %s", label, id, g.payload, w.payload)
		}
		for i := range w.vec {
			if g.vec[i] != w.vec[i] {
				t.Fatalf("%s: point %v vector differs", label, id)
			}
		}
	}
}

// TestCheckpointRestartModel applies random operations with random checkpoints and restarts and
// checks, after each restart, that the collection holds exactly what a simple model says, and that
// searches agree with brute force.
func TestCheckpointRestartModel(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions()
	opts.MaxSegments = 3
	m, err := OpenManager(dir, opts, quiet)
	if err != nil {
		t.Fatal(err)
	}
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 6, Distance: Euclid}}, Unnamed: true})
	c, _ := m.Get("c")
	ctx := context.Background()
	c.Submit(ctx, &Op{Kind: OpCreateIndex, Field: "g", Schema: json.RawMessage(`"integer"`)}, true)
	rng := rand.New(rand.NewSource(42))
	var want model
	for round := 0; round < 12; round++ {
		for i := 0; i < 40; i++ {
			switch r := rng.Intn(10); {
			case r < 5:
				op := Op{Kind: OpUpsert}
				for j := 0; j < 1+rng.Intn(20); j++ {
					id := uint64(rng.Intn(300))
					op.Points = append(op.Points, Point{ID: pointid.Num(id), Vectors: map[string][]float32{"": randVec(rng, 6)},
						Payload: map[string]any{"g": json.Number(fmt.Sprint(rng.Intn(4))), "r": json.Number(fmt.Sprint(round))}})
				}
				c.Submit(ctx, &op, true)
			case r < 7:
				ids := []pointid.ID{pointid.Num(uint64(rng.Intn(300))), pointid.Num(uint64(rng.Intn(300)))}
				c.Submit(ctx, &Op{Kind: OpDelete, Select: Selector{IDs: ids}}, true)
			case r < 8:
				fj := json.RawMessage(fmt.Sprintf(`{"must":[{"key":"g","match":{"value":%d}},{"key":"r","range":{"lt":%d}}]}`, rng.Intn(4), round))
				c.Submit(ctx, &Op{Kind: OpDelete, Select: Selector{Filter: mustFilter(t, string(fj)), FilterJSON: fj}}, true)
			default:
				fj := json.RawMessage(fmt.Sprintf(`{"must":[{"key":"g","match":{"value":%d}}]}`, rng.Intn(4)))
				c.Submit(ctx, &Op{Kind: OpSetPayload, Select: Selector{Filter: mustFilter(t, string(fj)), FilterJSON: fj},
					Payload: map[string]any{"touched": json.Number(fmt.Sprint(round))}}, true)
			}
			if rng.Intn(15) == 0 {
				if err := c.Checkpoint(); err != nil {
					t.Fatal(err)
				}
			}
		}
		want = dump(t, c)
		checkSearch(t, c, want, rng)
		if round%3 == 2 {
			c.Checkpoint()
		}
		m.Close()
		if m, err = OpenManager(dir, opts, quiet); err != nil {
			t.Fatalf("round %d reopen: %v", round, err)
		}
		c, _ = m.Get("c")
		sameModel(t, fmt.Sprintf("round %d after restart", round), dump(t, c), want)
		checkSearch(t, c, want, rng)
		t.Logf("round %d: %d points in %d segments", round, c.Count(nil), c.Info().Segments)
		if n := c.Info().Segments; n > opts.MaxSegments+1 {
			t.Fatalf("round %d: %d segments, MaxSegments is %d", round, n, opts.MaxSegments)
		}
	}
	// The filter still narrows through the index on sealed segments and matches the model.
	f := mustFilter(t, `{"must":[{"key":"g","match":{"value":2}}]}`)
	n := 0
	for _, p := range want {
		var pl map[string]any
		json.Unmarshal([]byte(p.payload), &pl)
		if fmt.Sprint(pl["g"]) == "2" {
			n++
		}
	}
	if got := c.Count(f); got != n {
		t.Fatalf("filtered count %d, model %d", got, n)
	}
	m.Close()
}

func checkSearch(t *testing.T, c *Collection, want model, rng *rand.Rand) {
	t.Helper()
	pts := map[pointid.ID][]float32{}
	for id, p := range want {
		pts[id] = p.vec
	}
	q := randVec(rng, 6)
	res, err := c.Search(context.Background(), SearchRequest{Vector: q, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	bf := bruteForce(Euclid, pts, q, nil)
	for i := range res {
		if res[i].ID != bf[i] {
			t.Fatalf("search rank %d: %v, brute force %v", i, res[i].ID, bf[i])
		}
	}
}

func TestCheckpointConcurrentWithWritesAndReads(t *testing.T) {
	m, _ := OpenManager(t.TempDir(), testOptions(), quiet)
	defer m.Close()
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 8, Distance: Cosine}}, Unnamed: true})
	c, _ := m.Get("c")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < 30; i++ {
				upsertN(t, c, w*10000+i*10, 10, 8, rng)
			}
		}(w)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(9))
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Search(context.Background(), SearchRequest{Vector: randVec(rng, 8), Limit: 3}); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for i := 0; i < 10; i++ {
		if err := c.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	for c.Count(nil) < 900 {
		c.Checkpoint()
	}
	close(stop)
	wg.Wait()
	if n := c.Count(nil); n != 900 {
		t.Fatalf("count %d", n)
	}
}

func TestOrphanSegmentsRemovedAndWALTrimmed(t *testing.T) {
	dir := t.TempDir()
	m, _ := OpenManager(dir, testOptions(), quiet)
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 2, Distance: Dot}}, Unnamed: true})
	c, _ := m.Get("c")
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 5; i++ {
		upsertN(t, c, i*10, 10, 2, rng)
	}
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	walFiles, _ := filepath.Glob(filepath.Join(dir, "collections", "c", "wal", "*.log"))
	if len(walFiles) != 1 {
		t.Fatalf("%d wal files after checkpoint, want 1 (the empty active one)", len(walFiles))
	}
	m.Close()
	orphan := filepath.Join(dir, "collections", "c", "segments", "999")
	os.MkdirAll(orphan, 0o755)
	m, _ = OpenManager(dir, testOptions(), quiet)
	defer m.Close()
	if _, err := os.Stat(orphan); !os.IsNotExist(err) {
		t.Fatal("orphan segment directory survived a restart")
	}
	c, _ = m.Get("c")
	if c.Count(nil) != 50 {
		t.Fatalf("count %d", c.Count(nil))
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "collections", "c", "segments"))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if len(names) != 1 {
		t.Fatalf("segments on disk: %v", names)
	}
}
