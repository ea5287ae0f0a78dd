package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/index/quant/codec"
)

// CodesResult is one JSON line of `needle bench ann --index flat --quantization pq:M|binary`:
// a scan of every code, then a float32 rescoring of the best candidates.
type CodesResult struct {
	Index        string  `json:"index"`
	Quantization string  `json:"quantization"`
	K            int     `json:"k"`
	Recall       float64 `json:"recall"`
	QPS          float64 `json:"qps"`
	Threads      int     `json:"threads"`
	BuildS       float64 `json:"build_s"`
	// MemBytes: anonymous resident growth over the codec's training and encoding (the codes
	// and codebooks), plus the float vectors unless they are on disk.
	MemBytes            int64   `json:"mem_bytes"`
	CodeBytes           int64   `json:"code_bytes"`            // Codes.MemoryBytes()
	BytesPerVector      int     `json:"bytes_per_vector"`      // one code
	Oversampling        float64 `json:"oversampling"`          // rescored = ceil(k*oversampling)
	Rescore             bool    `json:"rescore"`               // false: the codes' distances
	OnDisk              bool    `json:"on_disk"`               // vectors in a mapped file
	VectorResidentBytes int64   `json:"vector_resident_bytes"` // with --on-disk: touched by the rescoring
	VectorBytes         int64   `json:"vector_bytes"`
	Metric              string  `json:"metric"`
	NQ                  int     `json:"nq"`
	Kernels             string  `json:"kernels"`
}

// rescoreCount is how many candidates of k an oversampling factor rescores (at least k).
func rescoreCount(k int, oversampling float64) int {
	return max(k, int(math.Ceil(float64(k)*oversampling)))
}

func runFlatCodes(cfg ANNConfig, spec codec.Spec, m flat.Metric, vs flat.Vectors, qs [][]float32, gt *IntMatrix, w, log io.Writer) error {
	var codes codec.Codes
	mb, err := measuredBuild(cfg, vs, func(vs flat.Vectors) error {
		var err error
		codes, err = codec.Train(spec, vs, m, 1, cfg.BuildThreads)
		return err
	})
	if err != nil {
		return err
	}
	defer mb.close()
	vs, buildS, mem := mb.vs, mb.buildS, mb.mem
	fmt.Fprintf(log, "trained and encoded %s over %d vectors in %.2fs (%d bytes per code)\n", spec, vs.Slots(), buildS, codes.CodeBytes())
	p := quant.ScanParams{K: cfg.K, Rescore: rescoreCount(cfg.K, cfg.Oversampling)}
	if cfg.NoRescore {
		p.Rescore = 0
	}
	nq := len(qs)
	results := make([][]int32, nq)
	scorers := make(chan quant.Scorer, max(1, cfg.Threads))
	for range max(1, cfg.Threads) {
		scorers <- codes.NewScorer()
	}
	search := func(i int) {
		s := <-scorers
		s.Reset(qs[i])
		results[i] = slotsOf(quant.SearchFlat(codes, s, qs[i], vs, m, p))
		scorers <- s
	}
	for i := 0; i < min(nq, 3); i++ {
		search(i)
	}
	start := time.Now()
	parallelQueries(nq, cfg.Threads, search)
	dt := time.Since(start)
	res := CodesResult{
		Index: "flat", Quantization: spec.String(), K: cfg.K, Recall: round4(Recall(results, gt, cfg.K)),
		QPS: round1(float64(nq) / dt.Seconds()), Threads: cfg.Threads, BuildS: round2(buildS), MemBytes: mem,
		CodeBytes: codes.MemoryBytes(), BytesPerVector: codes.CodeBytes(), Oversampling: cfg.Oversampling,
		Rescore: !cfg.NoRescore, OnDisk: cfg.OnDisk, VectorBytes: int64(len(vs.Data)) * 4, Metric: cfg.Metric,
		NQ: nq, Kernels: distance.Impl(),
	}
	res.VectorResidentBytes = mb.residentVectors()
	return json.NewEncoder(w).Encode(res)
}
