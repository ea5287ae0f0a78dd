package hnsw

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
)

// Benchmarks run on a synthetic clustered set (50,000 x 128) unless
// HNSW_BENCH_DATA names a dataset prefix (PREFIX.base.npy,
// PREFIX.queries.npy), e.g. /tmp/needle-data/clustered-200k-128; the
// built index is cached across benchmarks of one run.
//
//	HNSW_BENCH_DATA=/tmp/needle-data/fashion-mnist-784-euclidean \
//	  go test -run XXX -bench Search -cpuprofile cpu.out ./internal/index/hnsw

type benchSet struct {
	base, queries Vectors
	idx           map[Quantization]*Index
}

var (
	benchOnce sync.Once
	benchData *benchSet
)

func loadBench(b testing.TB) *benchSet {
	benchOnce.Do(func() {
		s := &benchSet{idx: map[Quantization]*Index{}}
		if p := os.Getenv("HNSW_BENCH_DATA"); p != "" {
			var err error
			if s.base, err = readNpy(p + ".base.npy"); err != nil {
				panic(err)
			}
			if s.queries, err = readNpy(p + ".queries.npy"); err != nil {
				panic(err)
			}
		} else {
			s.base, s.queries = split(clustered(51_000, 128, 9), 50_000)
		}
		benchData = s
	})
	return benchData
}

func (s *benchSet) index(b testing.TB, q Quantization) *Index {
	if x := s.idx[q]; x != nil {
		return x
	}
	if bb, ok := b.(*testing.B); ok {
		bb.StopTimer()
		defer bb.StartTimer()
	}
	// HNSW_BENCH_CACHE=DIR keeps built indexes between runs (for A/B
	// comparisons of search changes that do not touch the build).
	cache := ""
	if dir, data := os.Getenv("HNSW_BENCH_CACHE"), os.Getenv("HNSW_BENCH_DATA"); dir != "" && data != "" {
		cache = filepath.Join(dir, filepath.Base(data)+"."+quantNames[q]+".hnsw")
		if f, err := os.ReadFile(cache); err == nil {
			if x, err := Load(f, s.base); err == nil {
				s.idx[q] = x
				return x
			}
		}
	}
	x := build(b, s.base, Config{Metric: benchMetric(), M: 16, EfConstruct: 200, Quantization: q}, 0)
	s.idx[q] = x
	if cache != "" {
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err == nil {
			_ = os.WriteFile(cache, buf.Bytes(), 0o644)
		}
	}
	return x
}

// TestCurve prints recall@10 and single-thread QPS per ef on the dataset
// of HNSW_BENCH_DATA (which must have PREFIX.gt.npy), like needle bench
// ann, with HNSW_BENCH_QUANT (int8 or float32, default int8).
func TestCurve(t *testing.T) {
	prefix := os.Getenv("HNSW_BENCH_DATA")
	if prefix == "" {
		t.Skip("set HNSW_BENCH_DATA=PREFIX")
	}
	s := loadBench(nil)
	q := Int8
	if os.Getenv("HNSW_BENCH_QUANT") == "float32" {
		q = Float32
	}
	x := s.index(t, q)
	gt, err := readNpy(prefix + ".gt.npy")
	if err != nil {
		t.Fatal(err)
	}
	nq := s.queries.Slots()
	// On a shared machine wall time mostly measures the neighbours' load;
	// the thread's CPU time is the steadier A/B signal (cpu_qps).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, ef := range []int{10, 20, 40, 80, 160} {
		hits := 0
		best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
		for rep := 0; rep < 3; rep++ {
			c0 := threadCPU()
			t0 := time.Now()
			for i := 0; i < nq; i++ {
				res := x.Search(s.queries.Row(uint32(i)), 10, ef, nil)
				if rep == 0 {
					want := map[uint32]bool{}
					for _, g := range gt.Row(uint32(i))[:10] {
						want[math.Float32bits(g)] = true
					}
					for _, it := range res {
						if want[it.Slot] {
							hits++
						}
					}
				}
			}
			best = min(best, time.Since(t0))
			bestCPU = min(bestCPU, threadCPU()-c0)
		}
		t.Logf("ef=%d recall=%.4f qps=%.0f cpu_qps=%.0f", ef, float64(hits)/float64(10*nq),
			float64(nq)/best.Seconds(), float64(nq)/bestCPU.Seconds())
	}
}

// benchMetric is L2 unless HNSW_BENCH_METRIC=ip (for the unit-vector
// datasets, whose ground truth is by inner product).
func benchMetric() flat.Metric {
	if os.Getenv("HNSW_BENCH_METRIC") == "ip" {
		return flat.InnerProduct
	}
	return flat.L2
}

var quantNames = map[Quantization]string{Float32: "float32", Int8: "int8"}

// BenchmarkSearch is one single-threaded query per op.
func BenchmarkSearch(b *testing.B) {
	s := loadBench(b)
	for _, q := range []Quantization{Int8, Float32} {
		for _, ef := range []int{10, 40, 100} {
			b.Run(fmt.Sprintf("%s/ef=%d", quantNames[q], ef), func(b *testing.B) {
				x := s.index(b, q)
				nq := s.queries.Slots()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					x.Search(s.queries.Row(uint32(i%nq)), 10, ef, nil)
				}
			})
		}
	}
}

// BenchmarkFilteredSearch compares the filtered traversal with exact
// search over the allowed slots at several selectivities; it chose
// exactCostRatio (the traversal is forced with AllowedCount = live, the
// exact search with Exact).
func BenchmarkFilteredSearch(b *testing.B) {
	s := loadBench(b)
	x := s.index(b, Int8)
	n := s.base.Slots()
	for _, pct := range []int{50, 10, 3, 1} {
		allowed := filter.NewBitmap(n)
		for i := 0; i < n; i++ {
			if int(splitmix64(uint64(i))%100) < pct {
				allowed.Set(uint32(i))
			}
		}
		for _, mode := range []string{"graph", "exact"} {
			b.Run(fmt.Sprintf("allowed=%d%%/%s", pct, mode), func(b *testing.B) {
				p := SearchParams{K: 10, Ef: 40, Allowed: allowed, AllowedCount: n, Exact: mode == "exact"}
				nq := s.queries.Slots()
				for i := 0; i < b.N; i++ {
					x.SearchWith(s.queries.Row(uint32(i%nq)), p)
				}
			})
		}
	}
}

// BenchmarkBuild builds the whole index per op on all cores.
func BenchmarkBuild(b *testing.B) {
	s := loadBench(b)
	for _, q := range []Quantization{Int8, Float32} {
		b.Run(quantNames[q], func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				build(b, s.base, Config{Metric: benchMetric(), M: 16, EfConstruct: 200, Quantization: q}, 0)
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*s.base.Slots()), "µs/insert")
		})
	}
}

// readNpy reads a 2-D little-endian float32 .npy file (package bench has
// the full reader, but it imports this package). An int32 file is read
// bit for bit (math.Float32bits recovers the ints).
func readNpy(path string) (Vectors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Vectors{}, err
	}
	if len(b) < 10 || !bytes.HasPrefix(b, []byte("\x93NUMPY")) {
		return Vectors{}, fmt.Errorf("%s: not a .npy file", path)
	}
	hl, off := int(binary.LittleEndian.Uint16(b[8:])), 10
	if b[6] >= 2 {
		hl, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	h := string(b[off : off+hl])
	m := regexp.MustCompile(`\((\d+), (\d+)\)`).FindStringSubmatch(h)
	if m == nil || !bytes.Contains([]byte(h), []byte("<f4")) && !bytes.Contains([]byte(h), []byte("<i4")) {
		return Vectors{}, fmt.Errorf("%s: want a 2-D float32 array, header %q", path, h)
	}
	rows, _ := strconv.Atoi(m[1])
	cols, _ := strconv.Atoi(m[2])
	raw := b[off+hl:]
	data := make([]float32, rows*cols)
	for i := range data {
		data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return Vectors{Dim: cols, Data: data}, nil
}

// threadCPU returns the CPU time of the calling OS thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
