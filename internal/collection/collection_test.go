package collection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newManager(t *testing.T, dir string) *Manager {
	t.Helper()
	m, err := OpenManager(dir, testOptions(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func mustFilter(t *testing.T, s string) *filter.Filter {
	t.Helper()
	f, err := filter.Parse([]byte(s))
	if err != nil {
		t.Fatalf("parse filter %s: %v", s, err)
	}
	return f
}

func randVec(rng *rand.Rand, d int) []float32 {
	v := make([]float32, d)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return v
}

func payloadOf(i int) map[string]any {
	return map[string]any{"group": json.Number(fmt.Sprint(i % 5)), "tag": fmt.Sprintf("t%d", i%3)}
}

// bruteForce scores every point of pts against q with Qdrant's semantics and returns ids best first.
func bruteForce(d Distance, pts map[pointid.ID][]float32, q []float32, keep func(pointid.ID) bool) []pointid.ID {
	type sc struct {
		id pointid.ID
		s  float64
	}
	var all []sc
	norm := func(v []float32) []float64 {
		out := make([]float64, len(v))
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		n = math.Sqrt(n)
		for i, x := range v {
			out[i] = float64(x)
			if d == Cosine && n > 0 {
				out[i] /= n
			}
		}
		return out
	}
	qq := norm(q)
	for id, v := range pts {
		if keep != nil && !keep(id) {
			continue
		}
		vv := norm(v)
		var s float64
		for i := range vv {
			switch d {
			case Cosine, Dot:
				s += qq[i] * vv[i]
			case Euclid:
				s += (qq[i] - vv[i]) * (qq[i] - vv[i])
			case Manhattan:
				s += math.Abs(qq[i] - vv[i])
			}
		}
		if d == Cosine || d == Dot {
			s = -s
		}
		all = append(all, sc{id, s})
	}
	sort.Slice(all, func(i, j int) bool { return all[i].s < all[j].s })
	out := make([]pointid.ID, len(all))
	for i, x := range all {
		out[i] = x.id
	}
	return out
}

func TestSearchMatchesBruteForceEveryMetric(t *testing.T) {
	for _, d := range []Distance{Cosine, Dot, Euclid, Manhattan} {
		t.Run(string(d), func(t *testing.T) {
			m := newManager(t, t.TempDir())
			defer m.Close()
			if err := m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 17, Distance: d}}, Unnamed: true}); err != nil {
				t.Fatal(err)
			}
			c, _ := m.Get("c")
			rng := rand.New(rand.NewSource(7))
			pts := map[pointid.ID][]float32{}
			var op Op
			op.Kind = OpUpsert
			for i := 0; i < 700; i++ {
				v := randVec(rng, 17)
				id := pointid.Num(uint64(i))
				pts[id] = v
				op.Points = append(op.Points, Point{ID: id, Vectors: map[string][]float32{"": v}, Payload: payloadOf(i)})
			}
			if _, err := c.Submit(context.Background(), &op, true); err != nil {
				t.Fatal(err)
			}
			f := mustFilter(t, `{"must":[{"key":"group","match":{"any":[1,3]}}]}`)
			keep := func(id pointid.ID) bool { g := id.Uint64() % 5; return g == 1 || g == 3 }
			var reqs []SearchRequest
			for i := 0; i < 9; i++ {
				r := SearchRequest{Vector: randVec(rng, 17), Limit: 10, Offset: i % 3}
				if i%2 == 1 {
					r.Filter = f
				}
				reqs = append(reqs, r)
			}
			// Batch (shared passes) and one-by-one must agree with brute force.
			batch, err := c.SearchBatch(context.Background(), reqs)
			if err != nil {
				t.Fatal(err)
			}
			for i, r := range reqs {
				one, err := c.Search(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				var k func(pointid.ID) bool
				if r.Filter != nil {
					k = keep
				}
				want := bruteForce(d, pts, r.Vector, k)[r.Offset : r.Offset+10]
				for _, got := range [][]Record{batch[i], one} {
					if len(got) != 10 {
						t.Fatalf("query %d: %d results", i, len(got))
					}
					for j := range got {
						if got[j].ID != want[j] {
							t.Fatalf("query %d rank %d: got %v want %v", i, j, got[j].ID, want[j])
						}
					}
				}
			}
		})
	}
}

func upsertN(t *testing.T, c *Collection, from, n, dim int, rng *rand.Rand) {
	t.Helper()
	op := Op{Kind: OpUpsert}
	for i := from; i < from+n; i++ {
		op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": randVec(rng, dim)}, Payload: payloadOf(i)})
	}
	if _, err := c.Submit(context.Background(), &op, true); err != nil {
		t.Fatal(err)
	}
}

func TestWritesSurviveRestartAndFiltersResolveOnReplay(t *testing.T) {
	dir := t.TempDir()
	m := newManager(t, dir)
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 4, Distance: Euclid}}, Unnamed: true})
	c, _ := m.Get("c")
	rng := rand.New(rand.NewSource(1))
	upsertN(t, c, 0, 100, 4, rng)
	ctx := context.Background()
	steps := []*Op{
		{Kind: OpCreateIndex, Field: "group", Schema: json.RawMessage(`"integer"`)},
		{Kind: OpDelete, Select: Selector{Filter: mustFilter(t, `{"must":[{"key":"tag","match":{"value":"t0"}}]}`), FilterJSON: json.RawMessage(`{"must":[{"key":"tag","match":{"value":"t0"}}]}`)}},
		{Kind: OpSetPayload, Select: Selector{IDs: []pointid.ID{pointid.Num(1)}}, Payload: map[string]any{"x": "y"}},
		{Kind: OpDeletePayload, Select: Selector{IDs: []pointid.ID{pointid.Num(2)}}, Keys: []string{"tag"}},
		{Kind: OpOverwritePayload, Select: Selector{IDs: []pointid.ID{pointid.Num(4)}}, Payload: map[string]any{"only": true}},
		{Kind: OpClearPayload, Select: Selector{IDs: []pointid.ID{pointid.Num(5)}}},
	}
	for _, op := range steps {
		if _, err := c.Submit(ctx, op, true); err != nil {
			t.Fatal(err)
		}
	}
	snapshot := func(c *Collection) string {
		recs, _, err := c.Scroll(ScrollRequest{Limit: 1000, WithPayload: true, Vectors: VectorSelect{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(recs)
		return string(b)
	}
	before := snapshot(c)
	if n := c.Count(nil); n != 66 {
		t.Fatalf("count after delete by filter = %d, want 66", n)
	}
	m.Close()
	m = newManager(t, dir)
	defer m.Close()
	c, _ = m.Get("c")
	if after := snapshot(c); after != before {
		t.Fatalf("state differs after restart:\nbefore %s\nafter  %s", before, after)
	}
	if info := c.Info(); info.PayloadSchema["group"].Schema != filter.SchemaInteger {
		t.Fatalf("index lost on restart: %+v", info)
	}
}

func TestScrollPagesAndOrderBy(t *testing.T) {
	m := newManager(t, t.TempDir())
	defer m.Close()
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 2, Distance: Dot}}, Unnamed: true})
	c, _ := m.Get("c")
	op := Op{Kind: OpUpsert}
	rng := rand.New(rand.NewSource(3))
	ids := rng.Perm(250)
	for _, i := range ids {
		op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": {1, 2}},
			Payload: map[string]any{"rank": json.Number(fmt.Sprint(1000 - i))}})
	}
	c.Submit(context.Background(), &op, true)
	var seen []uint64
	var off *pointid.ID
	for {
		recs, next, err := c.Scroll(ScrollRequest{Limit: 33, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			seen = append(seen, r.ID.Uint64())
		}
		if next == nil {
			break
		}
		off = next
	}
	if len(seen) != 250 || !sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i] < seen[j] }) {
		t.Fatalf("scroll saw %d ids, sorted=%v", len(seen), sort.SliceIsSorted(seen, func(i, j int) bool { return seen[i] < seen[j] }))
	}
	if _, _, err := c.Scroll(ScrollRequest{Limit: 5, OrderBy: &OrderBy{Key: "rank"}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("order_by without index: %v", err)
	}
	c.Submit(context.Background(), &Op{Kind: OpCreateIndex, Field: "rank", Schema: json.RawMessage(`"integer"`)}, true)
	recs, _, err := c.Scroll(ScrollRequest{Limit: 5, OrderBy: &OrderBy{Key: "rank"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if r.ID.Uint64() != uint64(249-i) || *r.OrderValue != float64(751+i) {
			t.Fatalf("order_by asc item %d: id %v value %v", i, r.ID, *r.OrderValue)
		}
	}
}

func TestValidationErrors(t *testing.T) {
	m := newManager(t, t.TempDir())
	defer m.Close()
	m.Create("c", &Config{Vectors: map[string]VectorParams{"img": {Size: 3, Distance: Cosine}, "txt": {Size: 2, Distance: Dot}}})
	c, _ := m.Get("c")
	ctx := context.Background()
	cases := []struct {
		op   *Op
		want error
	}{
		{&Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1), Vectors: map[string][]float32{"img": {1, 2}}}}}, ErrInvalid},
		{&Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1), Vectors: map[string][]float32{"nope": {1, 2}}}}}, ErrInvalid},
		{&Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1), Vectors: map[string][]float32{"txt": {1, float32(math.NaN())}}}}}, ErrInvalid},
		{&Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1), Vectors: map[string][]float32{"": {1, 2}}}}}, ErrInvalid},
		{&Op{Kind: OpSetPayload, Select: Selector{IDs: []pointid.ID{pointid.Num(9)}}, Payload: map[string]any{"a": 1}}, ErrNotFound},
		{&Op{Kind: OpCreateIndex, Field: "f", Schema: json.RawMessage(`"geo-ish"`)}, ErrInvalid},
	}
	for i, tc := range cases {
		if _, err := c.Submit(ctx, tc.op, true); !errors.Is(err, tc.want) {
			t.Errorf("case %d: got %v, want %v", i, err, tc.want)
		}
	}
	if _, err := c.Search(ctx, SearchRequest{Vector: []float32{1, 2, 3}, Limit: 1}); !errors.Is(err, ErrInvalid) {
		t.Errorf("search without using on named collection: %v", err)
	}
	if n := c.Count(nil); n != 0 {
		t.Fatalf("a rejected write changed the collection: %d points", n)
	}
	if err := m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 2, Distance: Dot}}, Unnamed: true}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate create: %v", err)
	}
	if err := m.Create("../x", &Config{Vectors: map[string]VectorParams{"": {Size: 2, Distance: Dot}}, Unnamed: true}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unsafe name accepted: %v", err)
	}
}

func TestConcurrentWritesAndReads(t *testing.T) {
	m := newManager(t, t.TempDir())
	defer m.Close()
	m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 8, Distance: Cosine}}, Unnamed: true})
	c, _ := m.Get("c")
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(2)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(w)))
			for i := 0; i < 20; i++ {
				upsertN(t, c, w*1000+i*10, 10, 8, rng)
			}
		}(w)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(int64(100 + w)))
			for i := 0; i < 50; i++ {
				if _, err := c.Search(context.Background(), SearchRequest{Vector: randVec(rng, 8), Limit: 5, Filter: mustFilter(t, `{"must":[{"key":"tag","match":{"value":"t1"}}]}`)}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	if n := c.Count(nil); n != 800 {
		t.Fatalf("count = %d, want 800", n)
	}
}

func TestOpCodecRoundTrip(t *testing.T) {
	u, _ := pointid.Parse("550e8400-e29b-41d4-a716-446655440000")
	ops := []*Op{
		{Kind: OpUpsert, Points: []Point{{ID: u, Vectors: map[string][]float32{"a": {1, 2}, "b": {3}}, Payload: map[string]any{"k": json.Number("12345678901234567")}}}},
		{Kind: OpDelete, Select: Selector{IDs: []pointid.ID{pointid.Num(3), u}}},
		{Kind: OpSetPayload, Select: Selector{Filter: mustFilter(t, `{"must":[{"has_id":[1]}]}`), FilterJSON: json.RawMessage(`{"must":[{"has_id":[1]}]}`)}, Payload: map[string]any{"a": "b"}, Key: "x.y"},
		{Kind: OpDeletePayload, Select: Selector{IDs: []pointid.ID{pointid.Num(1)}}, Keys: []string{"a", "b.c"}},
		{Kind: OpCreateIndex, Field: "f", Schema: json.RawMessage(`{"type":"keyword"}`)},
		{Kind: OpDeleteIndex, Field: "f"},
	}
	for _, op := range ops {
		b, err := op.encode()
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOp(b)
		if err != nil {
			t.Fatalf("decode %d: %v", op.Kind, err)
		}
		b2, _ := got.encode()
		if string(b) != string(b2) {
			t.Fatalf("op %d does not round-trip", op.Kind)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, err := decodeOp(b[:cut]); err == nil {
				t.Fatalf("op %d truncated to %d bytes decoded without error", op.Kind, cut)
			}
		}
	}
}

func FuzzDecodeOp(f *testing.F) {
	op := &Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1), Vectors: map[string][]float32{"": {1, 2}}, Payload: map[string]any{"a": "b"}}}}
	b, _ := op.encode()
	f.Add(b)
	f.Add([]byte{2, 0, 1, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		op, err := decodeOp(data)
		if err != nil {
			return
		}
		if _, err := op.encode(); err != nil {
			t.Fatalf("decoded op does not encode: %v", err)
		}
	})
}

// testOptions keep the background optimizer out of the way; tests call Checkpoint themselves.
func testOptions() Options {
	o := DefaultOptions()
	o.Interval = time.Hour
	return o
}
