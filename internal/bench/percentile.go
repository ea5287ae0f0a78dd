package bench

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Percentiles returns, for each p in ps (in percent, 0..100, e.g. 50, 99,
// 99.9), the p-th percentile of samples. It interpolates linearly between
// the two nearest ranks of the sorted samples (NumPy's default "linear"
// method): the value at fractional rank p/100*(n-1). samples is not
// modified. With no samples every result is 0. Percentiles panics if a p is
// NaN or outside [0, 100].
func Percentiles(samples []time.Duration, ps ...float64) []time.Duration {
	out := make([]time.Duration, len(ps))
	for _, p := range ps {
		if !(p >= 0 && p <= 100) {
			panic(fmt.Sprintf("bench.Percentiles: p=%v outside [0, 100]", p))
		}
	}
	if len(samples) == 0 {
		return out
	}
	s := slices.Clone(samples)
	slices.Sort(s)
	for i, p := range ps {
		rank := p / 100 * float64(len(s)-1)
		lo := int(math.Floor(rank))
		hi := min(lo+1, len(s)-1)
		frac := rank - float64(lo)
		out[i] = s[lo] + time.Duration(math.Round(frac*float64(s[hi]-s[lo])))
	}
	return out
}
