package pq

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestTableKernelsMatchGeneric compares the dispatched table kernels (the
// AVX-512 assembly where the CPU has it) with the Go references over
// awkward shapes; they differ only by FMA rounding.
func TestTableKernelsMatchGeneric(t *testing.T) {
	t.Logf("AVX-512 table kernels: %v", hasAVX512)
	rng := rand.New(rand.NewPCG(5, 6))
	randf := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for _, m := range []int{0, 1, 2, 3, 16, 33} {
		for _, dsub := range []int{1, 3, 8, 17} {
			x, centT, add := randf(m*dsub), randf(m*dsub*KsubMax), randf(m*KsubMax)
			for _, withAdd := range []bool{false, true} {
				a := add
				if !withAdd {
					a = nil
				}
				got, want := randf(m*KsubMax), randf(m*KsubMax)
				dotRows(x, centT, a, got, dsub, -2)
				dotRowsGeneric(x, centT, a, want, dsub, -2)
				for i := range want {
					if math.Abs(float64(got[i]-want[i])) > 1e-5*(1+float64(dsub)) {
						t.Fatalf("m=%d dsub=%d add=%v: [%d] = %g, want %g", m, dsub, withAdd, i, got[i], want[i])
					}
				}
			}
			a, b := randf(m*KsubMax), randf(m*KsubMax)
			got, want := make([]float32, m*KsubMax), make([]float32, m*KsubMax)
			addRows(got, a, b)
			addRowsGeneric(want, a, b)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("m=%d: addRows[%d] = %g, want %g", m, i, got[i], want[i])
				}
			}
		}
	}
}
