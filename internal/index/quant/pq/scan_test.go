package pq

import (
	"math/rand/v2"
	"testing"
)

func randomTable(m int, rng *rand.Rand) Table {
	t := NewTable(m)
	for j := range t {
		for c := range t[j] {
			t[j][c] = float32(rng.NormFloat64())
		}
	}
	return t
}

// TestScanFormsAgree checks that the unrolled loops (M = 8, 16, 32) and the
// generic ones return the reference sums bit for bit, and that ScanBelow
// keeps exactly the codes at or below the bound.
func TestScanFormsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, m := range []int{1, 2, 3, 5, 8, 12, 16, 24, 32, 64} {
		for _, n := range []int{0, 1, 7, 16, 33, 300} {
			tab := randomTable(m, rng)
			codes := make([]byte, n*m)
			for i := range codes {
				codes[i] = byte(rng.IntN(256))
			}
			const bias = 0.75
			want := make([]float32, n)
			for i := range n {
				want[i] = sumGeneric(tab, codes[i*m:(i+1)*m], bias)
			}
			got := make([]float32, n)
			Sums(tab, codes, bias, got)
			for i := range n {
				if got[i] != want[i] {
					t.Fatalf("M=%d n=%d: Sums[%d] = %g, want %g", m, n, i, got[i], want[i])
				}
			}
			ids := make([]uint32, n)
			for i := range ids {
				ids[i] = uint32(rng.IntN(n))
			}
			Gather(tab, codes, ids, bias, got)
			for i, id := range ids {
				if got[i] != want[id] {
					t.Fatalf("M=%d n=%d: Gather[%d] = %g, want %g", m, n, i, got[i], want[id])
				}
			}
			bound := float32(bias)
			idx, dist := make([]uint32, n), make([]float32, n)
			k := ScanBelow(tab, codes, bias, bound, idx, dist)
			j := 0
			for i := range n {
				if want[i] > bound {
					continue
				}
				if j >= k || idx[j] != uint32(i) || dist[j] != want[i] {
					t.Fatalf("M=%d n=%d: ScanBelow entry %d wrong", m, n, j)
				}
				j++
			}
			if j != k {
				t.Fatalf("M=%d n=%d: ScanBelow kept %d, want %d", m, n, k, j)
			}
		}
	}
}

func TestAddTables(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	a, b := randomTable(5, rng), randomTable(5, rng)
	d := NewTable(5)
	AddTables(d, a, b)
	for j := range d {
		for c := range d[j] {
			if d[j][c] != a[j][c]+b[j][c] {
				t.Fatalf("AddTables[%d][%d] = %g", j, c, d[j][c])
			}
		}
	}
}
