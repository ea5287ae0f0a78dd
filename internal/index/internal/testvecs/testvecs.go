// Package testvecs makes the synthetic vector sets of the index packages'
// tests: deterministic for a seed, clustered so that recall means something.
package testvecs

import (
	"math/rand/v2"

	"github.com/needlevdb/needle/internal/index/flat"
)

// Clustered returns n vectors of dimension dim around nc random centres
// (coordinates uniform in [-1, 1]) with Gaussian noise of deviation sigma.
func Clustered(n, dim, nc int, sigma float64, seed uint64) flat.Vectors {
	data, _ := Clusters(n, dim, nc, 1, sigma, seed)
	return flat.Vectors{Dim: dim, Data: data}
}

// Clusters returns n points of dimension dim, back to back, around nc
// random centres (coordinates uniform in [-box, box]) with Gaussian noise
// of deviation sigma, and the centres.
func Clusters(n, dim, nc int, box, sigma float64, seed uint64) (data, centres []float32) {
	rng := rand.New(rand.NewPCG(seed, 1))
	centres = make([]float32, nc*dim)
	for i := range centres {
		centres[i] = float32(rng.Float64()*(2*box) - box)
	}
	data = make([]float32, n*dim)
	for i := range n {
		c := rng.IntN(nc)
		for j := range dim {
			data[i*dim+j] = centres[c*dim+j] + float32(rng.NormFloat64()*sigma)
		}
	}
	return data, centres
}
