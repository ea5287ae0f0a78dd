package knngraph

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/needlevdb/needle/internal/distance"
)

// Env is where a job talks to the outside world.
type Env struct {
	Stdout io.Writer // TSV output for --out -
	Log    io.Writer // progress and messages (stderr); nil for silence
	TTY    bool      // Log is a terminal: draw a progress bar in place
}

// Result summarises a finished job.
type Result struct {
	Rows, K       int
	Edges         int64
	Block         int
	ResumedAt     int     // first row computed by this run (0 for a fresh start)
	Recall        float64 // sampled recall@k in approximate mode, -1 otherwise
	Seconds       float64 // wall time of this run, loading included
	PeakRSS       int64   // bytes, from /proc/self/status VmHWM; -1 where unavailable
	PlannedMemory int64   // the estimate checked against --memory-limit
}

// errStopped is returned when Config.stopAfter (tests) interrupts a run.
var errStopped = errors.New("stopped after a checkpoint (test)")

// MemoryError is returned when --memory-limit is below what the job needs.
type MemoryError struct {
	Limit, Need int64
	Plan        string
}

func (e *MemoryError) Error() string {
	return fmt.Sprintf("--memory-limit %s cannot be met: this job needs about %s; raise the limit, lower --k, or use fewer threads",
		FormatBytes(e.Limit), e.Plan)
}

// job is one Run's state, filled in phase by phase.
type job struct {
	cfg     Config
	env     Env
	n       int
	dims    []int
	block   int
	threads int
	annB    ANNBuilder // nil in exact mode
	plan    memPlan
	mods    []*modality
	ids     []string
	hdr     ckptHeader  // this job's checkpoint header
	resume  *ckptHeader // the checkpoint to continue, if any
	sign    float32     // rank distance -> reported score
	res     Result
}

func (j *job) logf(format string, args ...any) {
	if j.env.Log != nil {
		fmt.Fprintf(j.env.Log, "knn-graph: "+format+"\n", args...)
	}
}

// Run validates cfg, checks inputs and memory before any computation, and builds the graph.
func Run(cfg Config, env Env) (Result, error) {
	t0 := time.Now()
	j := &job{cfg: cfg, env: env, res: Result{Recall: -1}, sign: -1}
	if err := j.cfg.Validate(); err != nil {
		return j.res, err
	}
	if j.cfg.Metric == L2 {
		j.sign = 1
	}
	if err := j.inspect(); err != nil {
		return j.res, err
	}
	// The Go heap's soft limit: the given limit, or the plan with some slack, so that garbage
	// (approximate mode allocates every search's answer) is collected before RSS grows past
	// the plan instead of at twice the live heap.
	softLimit := j.plan.total() + 64<<20
	if j.cfg.MemoryLimit > 0 {
		softLimit = j.cfg.MemoryLimit
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(softLimit))
	if err := j.checkCheckpoint(); err != nil {
		return j.res, err
	}
	if err := j.load(); err != nil {
		return j.res, err
	}
	j.logf("%d rows, dims %v, k=%d, %s, %s, block %d, %d threads, kernels %s, planned memory %s; loaded in %.1fs",
		j.n, j.dims, j.cfg.K, j.cfg.Metric, modeName(j.cfg.Approx), j.block, j.threads, distance.Impl(), j.plan,
		time.Since(t0).Seconds())

	var h *heaps
	if j.annB != nil {
		var err error
		if h, err = j.runApprox(); err != nil {
			return j.res, err
		}
	} else {
		e := newExact(j.mods, j.cfg.Metric, j.cfg.K, j.block, j.cfg.ExcludeSelf, j.cfg.maxDist(), j.threads)
		h = e.shared
		if err := j.runExact(e); err != nil {
			return j.res, err
		}
	}
	for _, c := range h.count {
		j.res.Edges += int64(c)
	}
	j.res.Seconds = time.Since(t0).Seconds()
	j.res.PeakRSS = peakRSS()
	j.logf("wrote %s: %d rows, %d edges in %.1fs, peak RSS %s", j.cfg.Out, j.n, j.res.Edges, j.res.Seconds, FormatBytes(j.res.PeakRSS))
	return j.res, nil
}

// inspect reads only the inputs' headers and checks shapes, dtypes, row counts, k, the memory
// plan against --memory-limit and that the output is writable. Nothing is loaded.
func (j *job) inspect() error {
	cfg := &j.cfg
	j.dims = make([]int, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		s, err := peek(in.Path)
		if err != nil {
			return fmt.Errorf("--input %w", err)
		}
		if i == 0 {
			j.n = s.rows
		} else if s.rows != j.n {
			return fmt.Errorf("--input %s has %d rows but %s has %d; every modality needs one row per item, in the same order",
				in.Path, s.rows, cfg.Inputs[0].Path, j.n)
		}
		j.dims[i] = s.cols
	}
	n := j.n
	if n > math.MaxInt32 {
		return fmt.Errorf("%d rows: at most %d are supported (CSR indices are int32)", n, math.MaxInt32)
	}
	if others := n - btoi(cfg.ExcludeSelf); cfg.K > others {
		return fmt.Errorf("--k %d exceeds the %d candidate neighbours of each row (%d rows)", cfg.K, others, n)
	}
	if cfg.Approx != "" {
		b, err := annBuilder(cfg.Approx)
		if err != nil {
			return err
		}
		j.annB = b
	}
	j.threads = cfg.Threads
	if j.threads == 0 {
		j.threads = runtime.GOMAXPROCS(0)
	}
	totalDim := 0
	for _, d := range j.dims {
		totalDim += d
	}
	j.block = cfg.Block
	if j.block == 0 {
		j.block = blockRows(totalDim, n, cfg.Metric)
	}
	var idsBytes int64
	if cfg.IDs != "" {
		st, err := os.Stat(cfg.IDs)
		if err != nil {
			return fmt.Errorf("--ids: %w", err)
		}
		idsBytes = st.Size()
	}
	j.plan = planMemory(n, j.dims, cfg.K, j.block, j.threads, idsBytes)
	if j.annB != nil {
		if len(j.dims) > 1 {
			j.plan.inputs *= 2 // the concatenated copy the index is built over
		}
		// The graph: up to 2M links on level 0 and ~M/(M-1) more above, 4 bytes each, plus
		// per-node bookkeeping and each searcher's visited marks; int8 traversal adds one byte
		// per dimension.
		j.plan.working += int64(n) * int64(8*cfg.M+32+2*j.threads)
		if cfg.Quantization == "int8" {
			j.plan.working += int64(n) * int64(totalDim)
		}
	}
	j.res.PlannedMemory = j.plan.total()
	if cfg.MemoryLimit > 0 && j.plan.total() > cfg.MemoryLimit {
		return &MemoryError{Limit: cfg.MemoryLimit, Need: j.plan.total(), Plan: j.plan.String()}
	}
	if cfg.Out != "-" {
		if err := probeWritable(cfg.Out + ".tmp"); err != nil {
			return fmt.Errorf("--out %s is not writable: %w", cfg.Out, err)
		}
	}
	return nil
}

// checkCheckpoint refuses to overwrite a checkpoint by accident and reads the header of one to
// resume.
func (j *job) checkCheckpoint() error {
	cfg := &j.cfg
	if cfg.Checkpoint == "" || j.annB != nil {
		return nil
	}
	hdr, err := readCkptHeader(cfg.Checkpoint)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if cfg.Resume {
			j.logf("no checkpoint at %s; starting from the first row", cfg.Checkpoint)
		}
		return nil
	case err != nil:
		return err
	case !cfg.Resume:
		return fmt.Errorf("checkpoint %s exists (an interrupted run, %d of %d rows final): pass --resume to continue it, or delete it to start over",
			cfg.Checkpoint, hdr.NextRow, hdr.N)
	}
	j.resume = &hdr
	return nil
}

// load reads and checks the inputs and ids, and fills the job's checkpoint header.
func (j *job) load() error {
	cfg := &j.cfg
	j.mods = make([]*modality, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		m, err := load(in, cfg.Metric)
		if err != nil {
			return fmt.Errorf("--input %w", err)
		}
		if m.zeros > 0 {
			j.logf("warning: %s has %d all-zero rows; their cosine similarity is 0 with every row", in.Path, m.zeros)
		}
		j.mods[i] = m
	}
	var idsCRC uint32
	if cfg.IDs != "" {
		var err error
		if j.ids, idsCRC, err = readIDs(cfg.IDs, j.n); err != nil {
			return fmt.Errorf("--ids %w", err)
		}
	}
	j.hdr = ckptHeader{N: j.n, K: cfg.K, Block: j.block, Metric: cfg.Metric, ExcludeSelf: cfg.ExcludeSelf,
		Format: cfg.Format, Kernels: distance.Impl(), IDsCRC: idsCRC}
	if l := cfg.maxDist(); !math.IsInf(float64(l), 1) {
		j.hdr.MaxDist = &l
	}
	for _, m := range j.mods {
		j.hdr.Inputs = append(j.hdr.Inputs, ckptInput{Path: m.path, Rows: j.n, Cols: m.dim, Weight: m.weight, CRC: m.crc})
	}
	if j.resume != nil {
		if f := j.resume.sameJob(j.hdr); f != "" {
			return fmt.Errorf("checkpoint %s was written for a different job (%q differs); delete it to start over", cfg.Checkpoint, f)
		}
	}
	return nil
}

// runApprox builds the ANN index, answers every row, measures recall and writes the output.
func (j *job) runApprox() (*heaps, error) {
	vecs, dim := concat(j.mods)
	j.mods = nil // with several modalities the concatenation is now the only copy needed
	h := newHeaps(j.n, j.cfg.K, j.cfg.maxDist())
	pr := newProgress(j.env.Log, j.env.TTY, j.n, 2*int64(j.n), 0) // n inserts, then n searches
	var done atomic.Int64
	var mu sync.Mutex
	recall, err := runApprox(j.annB, vecs, dim, j.cfg.Metric, &j.cfg, h, j.threads, func(rows int) {
		d := done.Add(int64(rows))
		mu.Lock()
		pr.update(d, int(max(0, d-int64(j.n))), false)
		mu.Unlock()
	}, func(format string, args ...any) {
		mu.Lock()
		pr.finish() // end a bar line before the message
		mu.Unlock()
		j.logf(format, args...)
	})
	pr.finish()
	if err != nil {
		return nil, err
	}
	j.res.Recall = recall
	return h, j.writeOutput(h)
}

func modeName(approx string) string {
	if approx == "" {
		return "exact"
	}
	return "approx " + approx
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
