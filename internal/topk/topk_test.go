package topk

import (
	"math/rand"
	"sort"
	"testing"
)

func TestHeapKeepsKSmallest(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, k := range []int{1, 2, 5, 10, 100} {
		for _, n := range []int{0, 1, 3, 10, 1000} {
			h := New(k)
			all := make([]Item, n)
			for i := range all {
				all[i] = Item{Dist: float32(rng.Intn(50)), Slot: uint32(i)}
				h.Push(all[i].Dist, all[i].Slot)
			}
			sort.Slice(all, func(i, j int) bool {
				if all[i].Dist != all[j].Dist {
					return all[i].Dist < all[j].Dist
				}
				return all[i].Slot < all[j].Slot
			})
			want := all
			if len(want) > k {
				want = want[:k]
			}
			got := h.Sorted()
			if len(got) != len(want) {
				t.Fatalf("k=%d n=%d: got %d items, want %d", k, n, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("k=%d n=%d: item %d = %+v, want %+v", k, n, i, got[i], want[i])
				}
			}
		}
	}
}

func TestMerge(t *testing.T) {
	a := []Item{{1, 1}, {3, 3}, {5, 5}}
	b := []Item{{2, 2}, {4, 4}}
	got := Merge(4, a, b)
	for i, it := range got {
		if it.Slot != uint32(i+1) {
			t.Fatalf("merge order wrong: %+v", got)
		}
	}
}

func BenchmarkPush(b *testing.B) {
	rng := rand.New(rand.NewSource(1))
	d := make([]float32, 1<<16)
	for i := range d {
		d[i] = rng.Float32()
	}
	h := New(10)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		h.Push(d[i&(len(d)-1)], uint32(i))
	}
}

// AppendSorted gives what Sorted gives, after what dst held, and allocates nothing when dst has
// room.
func TestAppendSorted(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	a, b := New(7), New(7)
	for i := range 100 {
		d := float32(rng.Intn(30))
		a.Push(d, uint32(i))
		b.Push(d, uint32(i))
	}
	prefix := Item{Dist: -1, Slot: 99}
	got := a.AppendSorted(append(make([]Item, 0, 16), prefix))
	want := append([]Item{prefix}, b.Sorted()...)
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("item %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if a.Len() != 0 {
		t.Fatalf("heap keeps %d items after AppendSorted", a.Len())
	}
	scratch := make([]Item, 0, 16)
	allocs := testing.AllocsPerRun(100, func() {
		a.Reset(7)
		for i := range 50 {
			a.Push(float32(i%13), uint32(i))
		}
		scratch = a.AppendSorted(scratch[:0])
	})
	if allocs != 0 {
		t.Fatalf("AppendSorted into room allocates %v times", allocs)
	}
}
