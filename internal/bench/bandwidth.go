package bench

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// bandwidthSink keeps the sums alive so the compiler cannot drop the loop.
var bandwidthSink atomic.Uint64

// StreamReadBandwidth measures how fast this machine streams memory into
// the CPU, in bytes per second, using threads goroutines (each locked to an
// OS thread) over one buffer of about the given size.
//
// Method: allocate a []uint64 of bytes/8 words, split it into threads
// contiguous parts, and let each goroutine write its part first (so the
// pages are real and, on NUMA machines, local to the thread that reads
// them). Then every goroutine streams through its part in address order,
// loading the first word of every 64-byte cache line into one of eight
// independent accumulators (eight lines, 512 bytes, per iteration). Memory
// moves whole cache lines, so this reads every byte of the buffer from
// DRAM; for a buffer much larger than the last-level cache (use 1 GiB) the
// result is memory bandwidth, the ceiling for a brute-force scan of vectors
// that do not fit in cache. One untimed pass warms up; then it times at
// least 5 passes (up to 1000 for small buffers, so about 1 GiB is read in
// all), each from a common start to the last goroutine's finish, and
// reports the bytes of one pass divided by the fastest pass, as STREAM
// does. A buffer that fits in cache measures cache bandwidth instead.
//
// Why one load per line: a scalar loop that loads all eight words of each
// line fills the core's load buffer with eight entries per outstanding
// miss, so fewer lines are in flight: on the development machine (2-core
// Xeon VM with AVX-512, one thread, 1 GiB) it measured 9-10 GB/s where a C
// loop of 64-byte AVX-512 loads reached 14.6-14.8 GB/s, and one scalar load
// per line reached 14.5-14.7 GB/s (BenchmarkStreamKernels compares the
// two Go kernels).
//
// threads < 1 counts as 1; bytes is rounded down to whole cache lines per
// thread, with at least one line each. The call takes about
// passes*bytes/bandwidth plus the time to fill the buffer, and is only
// meaningful on an otherwise idle machine.
func StreamReadBandwidth(bytes int, threads int) float64 {
	return streamBandwidth(bytes, threads, sumLines)
}

// streamBandwidth implements StreamReadBandwidth with the given kernel,
// which must read every cache line of its argument.
func streamBandwidth(bytes, threads int, kernel func([]uint64) uint64) float64 {
	threads = max(threads, 1)
	perThread := max(bytes/8/threads/8*8, 8) // words, whole cache lines
	buf := make([]uint64, perThread*threads)
	passes := min(max(5, int((1<<30)/(8*int64(len(buf))))), 1000)

	// start[p] releases pass p; done counts finished goroutines per pass.
	start := make([]chan struct{}, passes+1)
	for i := range start {
		start[i] = make(chan struct{})
	}
	var ready, done sync.WaitGroup
	ready.Add(threads)
	for t := range threads {
		part := buf[t*perThread : (t+1)*perThread]
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			for i := range part {
				part[i] = uint64(i)
			}
			ready.Done()
			var s uint64
			for p := range start {
				<-start[p]
				s += kernel(part)
				done.Done()
			}
			bandwidthSink.Add(s)
		}()
	}
	ready.Wait()
	best := time.Duration(1<<63 - 1)
	for p := range start {
		done.Add(threads)
		t0 := time.Now()
		close(start[p])
		done.Wait()
		if d := time.Since(t0); p > 0 { // pass 0 warms up
			best = min(best, d)
		}
	}
	return float64(8*len(buf)) / best.Seconds()
}

// sumLines returns the wrapping sum of the first word of every 8-word
// (64-byte) line of b, using eight independent accumulators, one per line
// of each 512-byte step, so the loads do not wait on each other.
func sumLines(b []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for len(b) >= 64 {
		s0 += b[0]
		s1 += b[8]
		s2 += b[16]
		s3 += b[24]
		s4 += b[32]
		s5 += b[40]
		s6 += b[48]
		s7 += b[56]
		b = b[64:]
	}
	for ; len(b) > 0; b = b[min(8, len(b)):] {
		s0 += b[0]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}
