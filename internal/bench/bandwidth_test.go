package bench

import (
	"os"
	"strconv"
	"testing"
)

// sumWords returns the wrapping sum of every word of b with eight
// independent accumulators: the obvious kernel, kept to compare with
// sumLines in BenchmarkStreamKernels.
func sumWords(b []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for len(b) >= 8 {
		s0 += b[0]
		s1 += b[1]
		s2 += b[2]
		s3 += b[3]
		s4 += b[4]
		s5 += b[5]
		s6 += b[6]
		s7 += b[7]
		b = b[8:]
	}
	for _, v := range b {
		s0 += v
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

func TestKernels(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 128, 129, 1000} {
		b := make([]uint64, n)
		var all, lines uint64
		for i := range b {
			b[i] = uint64(i)*0x9E3779B97F4A7C15 + 1
			all += b[i]
			if i%8 == 0 {
				lines += b[i]
			}
		}
		if got := sumWords(b); got != all {
			t.Errorf("sumWords n=%d: got %d, want %d", n, got, all)
		}
		if got := sumLines(b); got != lines {
			t.Errorf("sumLines n=%d: got %d, want %d", n, got, lines)
		}
	}
}

func TestStreamReadBandwidth(t *testing.T) {
	for _, threads := range []int{0, 1, 3} {
		// Small buffers: this checks the mechanics, not the machine.
		if bw := StreamReadBandwidth(64<<10, threads); !(bw > 1e8) {
			t.Errorf("threads=%d: %v bytes/s", threads, bw)
		}
	}
	if bw := StreamReadBandwidth(1, 2); !(bw > 0) {
		t.Errorf("tiny buffer: %v bytes/s", bw)
	}
}

// BenchmarkStreamReadBandwidth reports memory bandwidth over a 1 GiB buffer
// (NEEDLE_BW_BYTES overrides) for 1 and 2 threads, as GB/s.
func BenchmarkStreamReadBandwidth(b *testing.B) {
	size := 1 << 30
	if s, err := strconv.Atoi(os.Getenv("NEEDLE_BW_BYTES")); err == nil {
		size = s
	}
	for _, threads := range []int{1, 2} {
		b.Run(strconv.Itoa(threads)+"threads", func(b *testing.B) {
			var bw float64
			for b.Loop() {
				bw = StreamReadBandwidth(size, threads)
			}
			b.ReportMetric(bw/1e9, "GB/s")
		})
	}
}

// BenchmarkStreamKernels compares the kernel StreamReadBandwidth uses (one
// load per cache line) with summing every word, on one thread over 1 GiB.
func BenchmarkStreamKernels(b *testing.B) {
	for _, k := range []struct {
		name string
		f    func([]uint64) uint64
	}{{"lines", sumLines}, {"words", sumWords}} {
		b.Run(k.name, func(b *testing.B) {
			var bw float64
			for b.Loop() {
				bw = streamBandwidth(1<<30, 1, k.f)
			}
			b.ReportMetric(bw/1e9, "GB/s")
		})
	}
}
