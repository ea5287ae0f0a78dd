package kmeans

import (
	"math/rand/v2"
	"sync"

	"github.com/needlevdb/needle/internal/distance"
)

// seedPlusPlus picks k centroids among the points by k-means++: the first
// uniformly, each next one with probability proportional to its squared
// L2 distance to the nearest centroid picked so far (uniformly again if
// every point coincides with a centroid). The distance updates run on
// workers goroutines over fixed chunks; the draws are sequential.
func seedPlusPlus(pts []float32, dim, k int, rng *rand.Rand, workers int) []float32 {
	m := len(pts) / dim
	cent := make([]float32, k*dim)
	d2 := make([]float32, m)
	tmp := make([]float32, m)
	pick := rng.IntN(m)
	for c := range k {
		row := cent[c*dim : (c+1)*dim]
		copy(row, pts[pick*dim:(pick+1)*dim])
		updateMin(row, pts, d2, tmp, dim, workers, c == 0)
		if c == k-1 {
			break
		}
		var sum float64
		for _, v := range d2 {
			sum += float64(v)
		}
		if !(sum > 0) || sum > 1e300 {
			pick = rng.IntN(m)
			continue
		}
		u := rng.Float64() * sum
		pick = m - 1
		var acc float64
		for i, v := range d2 {
			acc += float64(v)
			if acc > u {
				pick = i
				break
			}
		}
	}
	return cent
}

// updateMin lowers d2[i] to L2Sq(c, point i) (or sets it, if first).
func updateMin(c, pts, d2, tmp []float32, dim, workers int, first bool) {
	m := len(d2)
	workers = max(1, min(workers, m/1024))
	per := (m + workers - 1) / workers
	var wg sync.WaitGroup
	for lo := 0; lo < m; lo += per {
		hi := min(lo+per, m)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t := tmp[lo:hi]
			distance.L2SqBatch(c, pts[lo*dim:hi*dim], t)
			d := d2[lo:hi]
			if first {
				copy(d, t)
				return
			}
			for i, v := range t {
				if v < d[i] {
					d[i] = v
				}
			}
		}()
	}
	wg.Wait()
}
