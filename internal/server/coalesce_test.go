package server

import (
	"context"
	"fmt"
	"math/rand"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/config"
	"github.com/needlevdb/needle/internal/pointid"
)

func fillCollection(t testing.TB, h *harness, n, dim int) *collection.Collection {
	t.Helper()
	c, err := h.srv.manager.Get("c")
	if err != nil {
		h.ok("PUT", "/collections/c", fmt.Sprintf(`{"vectors":{"size":%d,"distance":"Euclid"}}`, dim))
		c, _ = h.srv.manager.Get("c")
	}
	rng := rand.New(rand.NewSource(1))
	for from := 0; from < n; from += 5000 {
		op := &collection.Op{Kind: collection.OpUpsert}
		for i := from; i < min(n, from+5000); i++ {
			v := make([]float32, dim)
			for j := range v {
				v[j] = rng.Float32()
			}
			op.Points = append(op.Points, collection.Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": v}})
		}
		if _, err := c.Submit(context.Background(), op, true); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestCoalescedQueriesMatchSingleOnes(t *testing.T) {
	h := newHarness(t, t.TempDir())
	c := fillCollection(t, h, 3000, 16)
	rng := rand.New(rand.NewSource(2))
	var wg sync.WaitGroup
	for g := 0; g < 24; g++ {
		q := make([]float32, 16)
		for j := range q {
			q[j] = rng.Float32()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := collection.SearchRequest{Vector: q, Limit: 5, Offset: g % 3}
			got, err := h.srv.coalescer.search(context.Background(), c, req)
			if err != nil {
				t.Error(err)
				return
			}
			want, _ := c.Search(context.Background(), req)
			if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
				t.Errorf("coalesced %v, single %v", ids(got), ids(want))
			}
		}()
	}
	wg.Wait()
}

func ids(rs []collection.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID.String()
	}
	return out
}

// BenchmarkCoalescing drives exact queries over 200k x 128 vectors through the query endpoint's
// path (runQueries) from 1 and 32 concurrent clients, with coalescing on and off, and reports
// queries/s and median latency.
func BenchmarkCoalescing(b *testing.B) {
	h := newHarness(b, b.TempDir(), func(c *config.Config) { c.CacheBytes = 0 })
	c := fillCollection(b, h, 200_000, 128)
	rng := rand.New(rand.NewSource(3))
	queries := make([][]float32, 256)
	for i := range queries {
		queries[i] = make([]float32, 128)
		for j := range queries[i] {
			queries[i][j] = rng.Float32()
		}
	}
	for _, clients := range []int{1, 32} {
		for _, on := range []bool{false, true} {
			b.Run(fmt.Sprintf("clients=%d/coalesce=%v", clients, on), func(b *testing.B) {
				var mu sync.Mutex
				var lat []time.Duration
				var next int64
				var wg sync.WaitGroup
				b.ResetTimer()
				for w := 0; w < clients; w++ {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							mu.Lock()
							i := next
							next++
							mu.Unlock()
							if i >= int64(b.N) {
								return
							}
							plan := queryPlan{search: &collection.SearchRequest{Vector: queries[i%256], Limit: 10}}
							if !on {
								plan.search.ScoreThreshold = new(float32) // cannot share a pass: goes the uncoalesced way
								*plan.search.ScoreThreshold = 1e9
							}
							t0 := time.Now()
							if _, err := h.srv.runQueries(context.Background(), c, []queryPlan{plan}); err != nil {
								b.Error(err)
								return
							}
							d := time.Since(t0)
							mu.Lock()
							lat = append(lat, d)
							mu.Unlock()
						}
					}()
				}
				wg.Wait()
				sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
				if len(lat) > 0 {
					b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
				}
			})
		}
	}
}

// TestCoalescedCancelDoesNotFailOthers: while a pass waits for a worker slot, one caller leaving
// must not fail the other callers batched with it.
func TestCoalescedCancelDoesNotFailOthers(t *testing.T) {
	h := newHarness(t, t.TempDir(), func(c *config.Config) { c.SearchWorkers, c.SearchQueue = 1, 8 })
	c := fillCollection(t, h, 100, 4)
	release, _ := h.srv.sched.Acquire(context.Background()) // hold the only worker
	ctxA, cancelA := context.WithCancel(context.Background())
	errs := make(chan error, 2)
	for i, ctx := range []context.Context{ctxA, context.Background()} {
		go func() {
			_, err := h.srv.coalescer.search(ctx, c, collection.SearchRequest{Vector: []float32{1, 0, float32(i), 0}, Limit: 3})
			errs <- err
		}()
	}
	time.Sleep(50 * time.Millisecond)
	cancelA()
	if err := <-errs; err == nil {
		t.Fatal("the cancelled caller got an answer")
	}
	release()
	select {
	case err := <-errs:
		if err != nil {
			t.Fatalf("the remaining caller failed: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the remaining caller never got an answer")
	}
}
