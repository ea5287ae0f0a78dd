package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
)

// HNSWResult is one JSON line of `needle bench ann --index hnsw`: the fields of the issue
// (and of shared/bench/hnswlib_native.cpp's lines) first, then context.
type HNSWResult struct {
	Index       string  `json:"index"`
	M           int     `json:"m"`
	EfConstruct int     `json:"ef_construct"`
	Ef          int     `json:"ef"`
	K           int     `json:"k"`
	Recall      float64 `json:"recall"`
	QPS         float64 `json:"qps"`
	Threads     int     `json:"threads"`
	BuildS      float64 `json:"build_s"`
	// MemBytes is the growth of the resident set over the build, measured like the native
	// hnswlib peer measures it (after the base vectors are loaded; here also after collecting
	// the build's garbage). Needle's index references the caller's vectors, so this is the
	// graph and the codes; hnswlib's includes its own copy of the vectors.
	MemBytes     int64  `json:"mem_bytes"`
	IndexBytes   int64  `json:"index_bytes"`   // hnsw.Index.MemoryBytes()
	VectorBytes  int64  `json:"vector_bytes"`  // the base vectors the index reads
	Metric       string `json:"metric"`        // l2, ip or cosine
	Quantization string `json:"quantization"`  // int8 or float32 (what was used)
	BuildThreads int    `json:"build_threads"` // goroutines of the build
	NQ           int    `json:"nq"`
	Kernels      string `json:"kernels"`
}

func runHNSW(cfg ANNConfig, m flat.Metric, vs flat.Vectors, qs [][]float32, gt *IntMatrix, w, log io.Writer) error {
	quant := hnsw.Int8
	switch cfg.Quantization {
	case "", "auto":
		// The int8 code kernels need AVX-512 VNNI; without it the float32
		// traversal is the faster one.
		cfg.Quantization = "int8"
		if distance.CodeImpl() == "generic" {
			quant, cfg.Quantization = hnsw.Float32, "float32"
		}
	case "int8":
	case "float32", "none":
		quant, cfg.Quantization = hnsw.Float32, "float32"
	default:
		return fmt.Errorf("--quantization must be int8 or float32, got %q", cfg.Quantization)
	}
	if len(cfg.Ef) == 0 {
		cfg.Ef = []int{10, 20, 40, 80, 120, 200, 400}
	}
	for _, ef := range cfg.Ef {
		if ef < 1 {
			return fmt.Errorf("--ef values must be positive, got %d", ef)
		}
	}
	threads := cfg.BuildThreads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	runtime.GC()
	before := RSS()
	t0 := time.Now()
	idx, err := hnsw.New(hnsw.Config{Dim: vs.Dim, Metric: m, M: cfg.M, EfConstruct: cfg.EfConstruct,
		Quantization: quant}, vs)
	if err != nil {
		return err
	}
	if err := idx.Build(vs.Slots(), threads); err != nil {
		return err
	}
	buildS := time.Since(t0).Seconds()
	// The build's garbage is not the index: collect it and return it to the
	// OS before reading the resident set (the peer, in C++, frees as it goes).
	runtime.GC()
	debug.FreeOSMemory()
	mem := RSS() - before
	c := idx.Config()
	fmt.Fprintf(log, "built hnsw (M=%d, ef_construct=%d, %s) over %d vectors in %.2fs on %d threads\n",
		c.M, c.EfConstruct, cfg.Quantization, vs.Slots(), buildS, threads)

	nq := len(qs)
	results := make([][]int32, nq)
	for _, ef := range cfg.Ef {
		for i := 0; i < min(nq, 100); i++ { // warm-up, as the native peer does
			idx.Search(qs[i], cfg.K, ef, nil)
		}
		start := time.Now()
		parallelQueries(nq, cfg.Threads, func(i int) {
			results[i] = slotsOf(idx.Search(qs[i], cfg.K, ef, nil))
		})
		dt := time.Since(start)
		res := HNSWResult{
			Index: "hnsw", M: c.M, EfConstruct: c.EfConstruct, Ef: ef, K: cfg.K,
			Recall: round4(Recall(results, gt, cfg.K)), QPS: round1(float64(nq) / dt.Seconds()),
			Threads: cfg.Threads, BuildS: round2(buildS), MemBytes: mem, IndexBytes: idx.MemoryBytes(),
			VectorBytes: int64(len(vs.Data)) * 4, Metric: cfg.Metric, Quantization: cfg.Quantization,
			BuildThreads: threads, NQ: nq, Kernels: distance.Impl(),
		}
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return err
		}
	}
	return nil
}
