package binary

import (
	"math"
	"math/rand/v2"

	"github.com/needlevdb/needle/internal/index/flat"
)

// clustered returns n vectors of dim floats around n/50 random centres (centre + spread·noise,
// plus offset in every dimension), normalised to unit length if unit; deterministic for a seed.
func clustered(n, dim int, spread, offset float64, unit bool, seed uint64) flat.Vectors {
	rng := rand.New(rand.NewPCG(seed, 11))
	nc := max(1, n/50)
	centres := make([]float64, nc*dim)
	for i := range centres {
		centres[i] = rng.NormFloat64()
	}
	out := make([]float32, n*dim)
	v := make([]float64, dim)
	for r := range n {
		c := rng.IntN(nc)
		var ss float64
		for t := range dim {
			v[t] = centres[c*dim+t] + spread*rng.NormFloat64() + offset
			ss += v[t] * v[t]
		}
		inv := 1.0
		if unit {
			inv = 1 / math.Sqrt(ss)
		}
		for t := range dim {
			out[r*dim+t] = float32(v[t] * inv)
		}
	}
	return flat.Vectors{Dim: dim, Data: out}
}
