package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/ivf"
	"github.com/needlevdb/needle/internal/index/quant/codec"
)

// IVFResult is one JSON line of `needle bench ann --index ivf|ivfpq`, shaped like the peers
// script's faiss-ivf lines (nlist, nprobe, pq_m) plus Needle's memory fields.
type IVFResult struct {
	Index   string  `json:"index"` // ivf or ivfpq
	Nlist   int     `json:"nlist"`
	Nprobe  int     `json:"nprobe"`
	PQM     int     `json:"pq_m"`
	K       int     `json:"k"`
	Recall  float64 `json:"recall"`
	QPS     float64 `json:"qps"`
	Threads int     `json:"threads"`
	BuildS  float64 `json:"build_s"`
	// MemBytes: anonymous resident growth over the training and adding (centroids, lists,
	// codes, tables), plus the float vectors unless they are on disk.
	MemBytes            int64   `json:"mem_bytes"`
	IndexBytes          int64   `json:"index_bytes"` // ivf.Index.MemoryBytes()
	Quantization        string  `json:"quantization"`
	Oversampling        float64 `json:"oversampling,omitempty"`
	Rescore             bool    `json:"rescore"`
	OnDisk              bool    `json:"on_disk"`
	VectorResidentBytes int64   `json:"vector_resident_bytes,omitempty"`
	VectorBytes         int64   `json:"vector_bytes"`
	Metric              string  `json:"metric"`
	NQ                  int     `json:"nq"`
	Kernels             string  `json:"kernels"`
}

func runIVF(cfg ANNConfig, m flat.Metric, vs flat.Vectors, qs [][]float32, gt *IntMatrix, w, log io.Writer) error {
	pqm, quantName := 0, "none"
	if cfg.Index == "ivfpq" {
		spec, err := codec.Parse(cfg.Quantization)
		if err != nil || spec.Kind != codec.Product {
			return fmt.Errorf("--index ivfpq needs --quantization pq:M (M sub-vectors, bytes per code), got %q", cfg.Quantization)
		}
		pqm, quantName = spec.Subvectors, spec.String()
	} else if !floatQuant(cfg.Quantization) {
		return fmt.Errorf("--index ivf keeps float32 lists; use --index ivfpq for --quantization %s", cfg.Quantization)
	}
	if cfg.Nlist < 1 {
		return fmt.Errorf("--nlist must be positive, got %d", cfg.Nlist)
	}
	if len(cfg.Nprobe) == 0 {
		cfg.Nprobe = []int{1, 2, 4, 8, 16, 32, 64}
	}
	var idx *ivf.Index
	mb, err := measuredBuild(cfg, vs, func(vs flat.Vectors) error {
		var err error
		if idx, err = ivf.New(ivf.Config{Dim: vs.Dim, Metric: m, Nlist: cfg.Nlist, PQM: pqm, Seed: 1, Workers: cfg.BuildThreads}); err != nil {
			return err
		}
		if err := idx.Train(vs, 0); err != nil {
			return err
		}
		return idx.AddRange(vs, 0, vs.Slots())
	})
	if err != nil {
		return err
	}
	defer mb.close()
	vs, buildS, mem := mb.vs, mb.buildS, mb.mem
	fmt.Fprintf(log, "built %s (nlist %d, pq_m %d) over %d vectors in %.2fs\n", cfg.Index, cfg.Nlist, pqm, vs.Slots(), buildS)
	rescore := 0
	if pqm > 0 && !cfg.NoRescore && cfg.Oversampling > 0 {
		rescore = rescoreCount(cfg.K, cfg.Oversampling)
	}
	nq := len(qs)
	results := make([][]int32, nq)
	for _, nprobe := range cfg.Nprobe {
		p := ivf.SearchParams{K: cfg.K, Nprobe: nprobe, Rescore: rescore}
		for i := 0; i < min(nq, 100); i++ {
			idx.Search(qs[i], p)
		}
		start := time.Now()
		parallelQueries(nq, cfg.Threads, func(i int) {
			results[i] = slotsOf(idx.Search(qs[i], p))
		})
		dt := time.Since(start)
		res := IVFResult{
			Index: cfg.Index, Nlist: cfg.Nlist, Nprobe: nprobe, PQM: pqm, K: cfg.K,
			Recall: round4(Recall(results, gt, cfg.K)), QPS: round1(float64(nq) / dt.Seconds()),
			Threads: cfg.Threads, BuildS: round2(buildS), MemBytes: mem, IndexBytes: idx.MemoryBytes(),
			Quantization: quantName, Oversampling: cfg.Oversampling, Rescore: rescore > 0, OnDisk: cfg.OnDisk,
			VectorBytes: int64(len(vs.Data)) * 4, Metric: cfg.Metric, NQ: nq, Kernels: distance.Impl(),
		}
		res.VectorResidentBytes = mb.residentVectors()
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return err
		}
	}
	return nil
}
