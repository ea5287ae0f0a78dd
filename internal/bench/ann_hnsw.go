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
	"github.com/needlevdb/needle/internal/index/quant/codec"
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
	// MemBytes is what the index and the vectors it keeps in RAM occupy: the growth of the
	// anonymous resident set over the build (graph and codes; measured after collecting the
	// build's garbage), plus the float vectors unless they are on disk. hnswlib's line measures
	// its RSS growth, which includes its own copy of the vectors.
	MemBytes     int64   `json:"mem_bytes"`
	IndexBytes   int64   `json:"index_bytes"`  // hnsw.Index.MemoryBytes() (graph, int8 codes)
	CodeBytes    int64   `json:"code_bytes"`   // product / binary codes and codebooks
	VectorBytes  int64   `json:"vector_bytes"` // the float vectors' full size
	Metric       string  `json:"metric"`       // l2, ip or cosine
	Quantization string  `json:"quantization"` // float32, int8, pq:M, binary (what was used)
	Oversampling float64 `json:"oversampling,omitempty"`
	Rescore      bool    `json:"rescore"`
	OnDisk       bool    `json:"on_disk"`
	// VectorResidentBytes is, with --on-disk, how much of the vector file the searches had
	// brought into memory by the end of this line's queries (mincore).
	VectorResidentBytes int64  `json:"vector_resident_bytes,omitempty"`
	BuildThreads        int    `json:"build_threads"` // goroutines of the build
	NQ                  int    `json:"nq"`
	Kernels             string `json:"kernels"`
}

// annQuant is a parsed --quantization.
type annQuant struct {
	name  string
	graph hnsw.Quantization
	codec *codec.Spec // product / binary codes the graph is traversed with
}

func parseQuant(s string) (annQuant, error) {
	switch s {
	case "", "auto":
		// The int8 traversal was measured ahead of float32 with AVX-512 VNNI only; the
		// AVX2 code kernels are unmeasured against float32 traversal, so auto keeps float32.
		if distance.CodeImpl() != "avx512vnni" {
			return annQuant{name: "float32"}, nil
		}
		return annQuant{name: "int8", graph: hnsw.Int8}, nil
	case "int8":
		return annQuant{name: "int8", graph: hnsw.Int8}, nil
	case "float32", "none":
		return annQuant{name: "float32"}, nil
	}
	spec, err := codec.Parse(s)
	if err != nil {
		return annQuant{}, fmt.Errorf("--quantization must be none, int8, pq:M, binary, binary:hamming or fp16, got %q", s)
	}
	return annQuant{name: spec.String(), codec: &spec}, nil
}

// measuredBuild runs build over the base vectors — moved first to a mapped file with --on-disk —
// and measures it: seconds, and mem_bytes = the anonymous resident growth once the build's garbage
// is collected and returned to the OS (the native peers, in C++, free as they go), plus the float
// vectors unless they are on disk. An on-disk file is then dropped from the page cache, so the
// queries start cold. The caller closes m.disk (nil in RAM).
func measuredBuild(cfg ANNConfig, vs flat.Vectors, build func(vs flat.Vectors) error) (m measured, err error) {
	if cfg.OnDisk {
		if m.disk, err = toDisk(vs.Data, ""); err != nil {
			return m, err
		}
		vs = flat.Vectors{Dim: vs.Dim, Data: m.disk.data} // the heap copy is garbage now
	}
	m.vs = vs
	runtime.GC()
	debug.FreeOSMemory()
	before := RSSAnon()
	t0 := time.Now()
	if err := build(vs); err != nil {
		if m.disk != nil {
			m.disk.Close()
		}
		return measured{}, err
	}
	m.buildS = time.Since(t0).Seconds()
	runtime.GC()
	debug.FreeOSMemory()
	m.mem = RSSAnon() - before
	if m.disk == nil {
		m.mem += int64(len(vs.Data)) * 4
	} else {
		m.disk.Drop() // the build read every vector
	}
	return m, nil
}

// measured is what measuredBuild reports.
type measured struct {
	vs     flat.Vectors // the vectors built over: a mapping with --on-disk
	disk   *diskVectors // the mapping, or nil
	buildS float64
	mem    int64
}

// close unmaps the vectors of an --on-disk build (nothing otherwise).
func (m measured) close() {
	if m.disk != nil {
		m.disk.Close()
	}
}

// residentVectors returns the vector file's resident bytes with --on-disk, else 0.
func (m measured) residentVectors() int64 {
	if m.disk == nil {
		return 0
	}
	return m.disk.Resident()
}

func runHNSW(cfg ANNConfig, m flat.Metric, vs flat.Vectors, qs [][]float32, gt *IntMatrix, w, log io.Writer) error {
	aq, err := parseQuant(cfg.Quantization)
	if err != nil {
		return err
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
	var idx *hnsw.Index
	var codeBytes int64
	mb, err := measuredBuild(cfg, vs, func(vs flat.Vectors) error {
		var err error
		idx, err = hnsw.New(hnsw.Config{Dim: vs.Dim, Metric: m, M: cfg.M, EfConstruct: cfg.EfConstruct,
			Quantization: aq.graph}, vs)
		if err != nil {
			return err
		}
		if err := idx.Build(vs.Slots(), threads); err != nil {
			return err
		}
		if aq.codec != nil {
			codes, err := codec.Train(*aq.codec, vs, m, 1, threads)
			if err != nil {
				return err
			}
			codeBytes = codes.MemoryBytes()
			return idx.SetCodes(codes)
		}
		return nil
	})
	if err != nil {
		return err
	}
	defer mb.close()
	vs, buildS, mem := mb.vs, mb.buildS, mb.mem
	c := idx.Config()
	fmt.Fprintf(log, "built hnsw (M=%d, ef_construct=%d, %s) over %d vectors in %.2fs on %d threads\n",
		c.M, c.EfConstruct, aq.name, vs.Slots(), buildS, threads)

	nq := len(qs)
	results := make([][]int32, nq)
	for _, ef := range cfg.Ef {
		p := hnsw.SearchParams{K: cfg.K, Ef: ef, Oversampling: cfg.Oversampling, NoRescore: cfg.NoRescore}
		for i := 0; i < min(nq, 100); i++ { // warm-up, as the native peer does
			idx.SearchWith(qs[i], p)
		}
		start := time.Now()
		parallelQueries(nq, cfg.Threads, func(i int) {
			results[i] = slotsOf(idx.SearchWith(qs[i], p))
		})
		dt := time.Since(start)
		res := HNSWResult{
			Index: "hnsw", M: c.M, EfConstruct: c.EfConstruct, Ef: ef, K: cfg.K,
			Recall: round4(Recall(results, gt, cfg.K)), QPS: round1(float64(nq) / dt.Seconds()),
			Threads: cfg.Threads, BuildS: round2(buildS), MemBytes: mem, IndexBytes: idx.MemoryBytes(),
			CodeBytes: codeBytes, VectorBytes: int64(len(vs.Data)) * 4, Metric: cfg.Metric,
			Quantization: aq.name, Oversampling: cfg.Oversampling, Rescore: !cfg.NoRescore && aq.name != "float32",
			OnDisk: cfg.OnDisk, BuildThreads: threads, NQ: nq, Kernels: distance.Impl(),
		}
		res.VectorResidentBytes = mb.residentVectors()
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return err
		}
	}
	return nil
}
