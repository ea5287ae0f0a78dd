package hnsw

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

// TestConcurrentInsertSearchDelete runs inserts, searches and deletes at
// once (the race detector checks the synchronisation) and then checks that
// the graph is as good as a sequentially built one and that a slot deleted
// before a search started is never returned by it.
func TestConcurrentInsertSearchDelete(t *testing.T) {
	const n, d = 3000, 16
	all, qs := split(clustered(n+50, d, 31), n)
	x, err := New(Config{Dim: d, Metric: flat.L2, M: 8, EfConstruct: 48, Quantization: Int8}, Vectors{Dim: d})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Train(all); err != nil {
		t.Fatal(err)
	}
	if err := x.SetVectors(all); err != nil {
		t.Fatal(err)
	}
	// deletedBefore[s] is set once Delete(s) has returned true.
	var deletedBefore [n]atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	var inserted atomic.Int64
	for w := 0; w < 3; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				s := next.Add(1) - 1
				if s >= n {
					return
				}
				if err := x.Insert(uint32(s)); err != nil {
					t.Error(err)
					return
				}
				inserted.Add(1)
			}
		}()
	}
	stop := make(chan struct{})
	var searchers sync.WaitGroup
	for w := 0; w < 2; w++ {
		searchers.Add(1)
		go func(w int) {
			defer searchers.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				var snapshot []uint32
				for s := range deletedBefore {
					if deletedBefore[s].Load() {
						snapshot = append(snapshot, uint32(s))
					}
				}
				res := x.Search(qs.Row(uint32((i+w)%qs.Slots())), 10, 32, nil)
				for _, it := range res {
					for _, s := range snapshot {
						if it.Slot == s {
							t.Errorf("search returned slot %d deleted before it started", s)
						}
					}
				}
			}
		}(w)
	}
	// Delete every 10th slot once it is inserted.
	for s := 0; s < n; s += 10 {
		for !x.Contains(uint32(s)) && inserted.Load() < n {
			runtime.Gosched()
		}
		if x.Delete(uint32(s)) {
			deletedBefore[s].Store(true)
		}
	}
	wg.Wait()
	close(stop)
	searchers.Wait()
	if x.Inserted() != n {
		t.Fatalf("Inserted = %d, want %d", x.Inserted(), n)
	}
	live := func(s uint32) bool { return !deletedBefore[s].Load() }
	r := recall(searchAll(x, qs, 10, 64, nil), truth(all, flat.L2, qs, 10, live))
	if r < 0.97 {
		t.Errorf("recall %.4f after a concurrent build", r)
	}
	if x.Len() != n-x.Deleted() {
		t.Errorf("Len %d, Deleted %d, n %d", x.Len(), x.Deleted(), n)
	}
}

// TestDeleteAndRebuild deletes half the slots: none is returned any more,
// and a rebuild over the live ones keeps recall and drops them from the
// graph.
func TestDeleteAndRebuild(t *testing.T) {
	base, qs := data(variants[0], 2000, 16, 32)
	x := build(t, base, Config{Metric: flat.L2, M: 8, EfConstruct: 48}, 2)
	for s := uint32(0); s < 2000; s++ {
		if s%2 == 0 && !x.Delete(s) {
			t.Fatalf("Delete(%d) = false", s)
		}
	}
	if x.Delete(0) {
		t.Fatal("deleting twice reported true")
	}
	if x.Delete(5000) {
		t.Fatal("deleting an absent slot reported true")
	}
	odd := func(s uint32) bool { return s%2 == 1 }
	want := truth(base, flat.L2, qs, 10, odd)
	check := func(name string, y *Index) {
		got := searchAll(y, qs, 10, 64, nil)
		for _, items := range got {
			for _, it := range items {
				if it.Slot%2 == 0 {
					t.Fatalf("%s: returned deleted slot %d", name, it.Slot)
				}
			}
		}
		if r := recall(got, want); r < 0.97 {
			t.Errorf("%s: recall %.4f", name, r)
		}
	}
	check("marked", x)
	y, err := x.Rebuild(2)
	if err != nil {
		t.Fatal(err)
	}
	if y.Len() != 1000 || y.Inserted() != 1000 || y.Deleted() != 0 {
		t.Fatalf("rebuilt: Len %d Inserted %d Deleted %d", y.Len(), y.Inserted(), y.Deleted())
	}
	check("rebuilt", y)
	if y.MemoryBytes() <= 0 {
		t.Error("MemoryBytes not positive")
	}
}
