package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/codec"
	"github.com/needlevdb/needle/internal/topk"
)

// ANNConfig is what `needle bench ann` measures.
type ANNConfig struct {
	Base, Queries, GT string
	Metric            string // l2, ip or cosine
	K                 int
	Index             string // flat or hnsw
	Threads           int    // query threads; with Batch, the workers of one batched call
	Batch             bool   // answer all queries in one batched call instead of one call per query
	NQ                int    // use only the first NQ queries (0: all)
	Bandwidth         bool   // also measure streaming-read bandwidth and report the scan's fraction of it

	// HNSW only.
	M            int   // neighbours per node (2M on level 0)
	EfConstruct  int   // candidate list of the build
	Ef           []int // candidate lists of the searches: one result line each
	BuildThreads int   // 0: all cores
	// Quantization is auto (default: int8 with AVX-512 VNNI, else float32), none/float32,
	// int8, pq:M or binary (binary:hamming).
	Quantization string
	// Oversampling rescores ceil(K*Oversampling) candidates of the quantized search (0: the
	// index's default).
	Oversampling float64
	// NoRescore returns the quantized distances (--rescore false).
	NoRescore bool
	// OnDisk keeps the float vectors in a mapped file (cold at the start) instead of RAM.
	OnDisk bool

	// IVF only.
	Nlist  int   // lists (coarse centroids)
	Nprobe []int // lists probed per query: one result line each
}

// ANNResult is one JSON line of `needle bench ann`, shaped like the peers script's lines.
type ANNResult struct {
	Index         string  `json:"index"`
	Metric        string  `json:"metric"`
	K             int     `json:"k"`
	Recall        float64 `json:"recall"`
	QPS           float64 `json:"qps"`
	Threads       int     `json:"threads"`
	Batch         bool    `json:"batch"`
	NQ            int     `json:"nq"`
	BuildS        float64 `json:"build_s"`
	MemBytes      int64   `json:"mem_bytes"`
	Kernels       string  `json:"kernels"`
	ScanGBps      float64 `json:"scan_gbps,omitempty"`
	StreamGBps    float64 `json:"stream_gbps,omitempty"`
	BandwidthFrac float64 `json:"bandwidth_fraction,omitempty"`
}

// RunANN loads the dataset, runs the configured search and writes one JSON line to w (one per
// ef for hnsw).
func RunANN(cfg ANNConfig, w io.Writer, log io.Writer) error {
	switch cfg.Index {
	case "flat", "hnsw", "ivf", "ivfpq":
	default:
		return fmt.Errorf("--index must be flat, hnsw, ivf or ivfpq, got %q", cfg.Index)
	}
	if !(cfg.Oversampling >= 0) || math.IsInf(cfg.Oversampling, 0) {
		return fmt.Errorf("--oversampling must be a finite number ≥ 0, got %v", cfg.Oversampling)
	}
	var m flat.Metric
	switch cfg.Metric {
	case "l2":
		m = flat.L2
	case "ip", "cosine":
		m = flat.InnerProduct
	default:
		return fmt.Errorf("--metric must be l2, ip or cosine, got %q", cfg.Metric)
	}
	if cfg.K < 1 || cfg.Threads < 1 {
		return fmt.Errorf("--k and --threads must be at least 1")
	}
	before := RSS()
	t0 := time.Now()
	base, err := ReadMatrix(cfg.Base)
	if err != nil {
		return err
	}
	queries, err := ReadMatrix(cfg.Queries)
	if err != nil {
		return err
	}
	gt, err := ReadIntMatrix(cfg.GT)
	if err != nil {
		return err
	}
	if base.Cols != queries.Cols {
		return fmt.Errorf("base has %d columns but queries have %d", base.Cols, queries.Cols)
	}
	nq := queries.Rows
	if cfg.NQ > 0 && cfg.NQ < nq {
		nq = cfg.NQ
	}
	if gt.Rows < nq || gt.Cols < cfg.K {
		return fmt.Errorf("ground truth is %dx%d; need at least %dx%d", gt.Rows, gt.Cols, nq, cfg.K)
	}
	if cfg.Metric == "cosine" {
		for i := 0; i < base.Rows; i++ {
			distance.Normalize(base.Row(i))
		}
		for i := 0; i < queries.Rows; i++ {
			distance.Normalize(queries.Row(i))
		}
	}
	vs := flat.Vectors{Dim: base.Cols, Data: base.Data}
	build := time.Since(t0).Seconds()
	mem := RSS() - before
	fmt.Fprintf(log, "loaded %d x %d base, %d queries in %.2fs\n", base.Rows, base.Cols, nq, build)

	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = queries.Row(i)
	}
	switch cfg.Index {
	case "hnsw":
		return runHNSW(cfg, m, vs, qs, gt, w, log)
	case "ivf", "ivfpq":
		return runIVF(cfg, m, vs, qs, gt, w, log)
	}
	if !floatQuant(cfg.Quantization) {
		spec, err := codec.Parse(cfg.Quantization)
		if err != nil {
			return fmt.Errorf("--index flat: --quantization must be none, pq:M, binary or binary:hamming: %v", err)
		}
		return runFlatCodes(cfg, spec, m, vs, qs, gt, w, log)
	}
	results := make([][]int32, nq)
	run := func() time.Duration {
		start := time.Now()
		if cfg.Batch {
			res := flat.SearchBatch(vs, m, qs, cfg.K, nil, cfg.Threads)
			for i, items := range res {
				results[i] = slotsOf(items)
			}
			return time.Since(start)
		}
		parallelQueries(nq, cfg.Threads, func(i int) {
			results[i] = slotsOf(flat.Search(vs, m, qs[i], flat.Params{K: cfg.K, MaxDist: flat.NoLimit}))
		})
		return time.Since(start)
	}
	// Warm up on a few queries (page faults, caches), then measure the whole set.
	if !cfg.Batch {
		for i := 0; i < min(3, nq); i++ {
			flat.Search(vs, m, qs[i], flat.Params{K: cfg.K, MaxDist: flat.NoLimit})
		}
	}
	dt := run()
	res := ANNResult{
		Index: cfg.Index, Metric: cfg.Metric, K: cfg.K, Recall: round4(Recall(results, gt, cfg.K)),
		QPS: round1(float64(nq) / dt.Seconds()), Threads: cfg.Threads, Batch: cfg.Batch, NQ: nq,
		BuildS: round2(build), MemBytes: mem, Kernels: distance.Impl(),
	}
	res.ScanGBps = round2(res.QPS * float64(len(base.Data)*4) / 1e9)
	if cfg.Bandwidth {
		bw := StreamReadBandwidth(1<<30, cfg.Threads)
		res.StreamGBps = round2(bw / 1e9)
		res.BandwidthFrac = round4(res.ScanGBps / res.StreamGBps)
	}
	return json.NewEncoder(w).Encode(res)
}

func slotsOf(items []topk.Item) []int32 {
	out := make([]int32, len(items))
	for i, it := range items {
		out[i] = int32(it.Slot)
	}
	return out
}

// parallelQueries runs fn(i) for i in [0, n) on threads goroutines, one query per call.
func parallelQueries(n, threads int, fn func(i int)) {
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	next := make(chan int, threads)
	done := make(chan struct{})
	for t := 0; t < threads; t++ {
		go func() {
			for i := range next {
				fn(i)
			}
			done <- struct{}{}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	for t := 0; t < threads; t++ {
		<-done
	}
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }
func round2(x float64) float64 { return float64(int64(x*100+0.5)) / 100 }
func round4(x float64) float64 { return float64(int64(x*10000+0.5)) / 10000 }

// floatQuant reports whether --quantization q asks for float32 vectors (no codes); for HNSW,
// "auto" picks int8 where the CPU has VNNI (parseQuant).
func floatQuant(q string) bool {
	switch q {
	case "", "auto", "none", "float32":
		return true
	}
	return false
}
