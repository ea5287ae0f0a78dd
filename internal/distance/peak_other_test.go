//go:build !amd64 || purego

package distance

// measurePeak is unavailable without the assembly micro-kernel; benchmarks
// then report no peak_frac.
func measurePeak() float64 { return 0 }
