package knngraph

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
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

// Run validates cfg, checks inputs and memory before any computation, and builds the graph.
func Run(cfg Config, env Env) (Result, error) {
	t0 := time.Now()
	res := Result{Recall: -1}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	logf := func(format string, args ...any) {
		if env.Log != nil {
			fmt.Fprintf(env.Log, "knn-graph: "+format+"\n", args...)
		}
	}

	// 1. Headers: shapes, dtypes, row counts, k, memory. Nothing is loaded yet.
	var n int
	dims := make([]int, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		s, err := peek(in.Path)
		if err != nil {
			return res, fmt.Errorf("--input %w", err)
		}
		if i == 0 {
			n = s.rows
		} else if s.rows != n {
			return res, fmt.Errorf("--input %s has %d rows but %s has %d; every modality needs one row per item, in the same order",
				in.Path, s.rows, cfg.Inputs[0].Path, n)
		}
		dims[i] = s.cols
	}
	if n > math.MaxInt32 {
		return res, fmt.Errorf("%d rows: at most %d are supported (CSR indices are int32)", n, math.MaxInt32)
	}
	if others := n - btoi(cfg.ExcludeSelf); cfg.K > others {
		return res, fmt.Errorf("--k %d exceeds the %d candidate neighbours of each row (%d rows)", cfg.K, others, n)
	}
	var annB ANNBuilder
	if cfg.Approx != "" {
		b, err := annBuilder(cfg.Approx)
		if err != nil {
			return res, err
		}
		annB = b
	}
	threads := cfg.Threads
	if threads == 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	totalDim := 0
	for _, d := range dims {
		totalDim += d
	}
	block := cfg.Block
	if block == 0 {
		block = blockRows(totalDim, n, cfg.Metric)
	}
	var idsBytes int64
	if cfg.IDs != "" {
		st, err := os.Stat(cfg.IDs)
		if err != nil {
			return res, fmt.Errorf("--ids: %w", err)
		}
		idsBytes = st.Size()
	}
	plan := planMemory(n, dims, cfg.K, block, threads, idsBytes)
	if annB != nil {
		if len(dims) > 1 {
			plan.inputs *= 2 // the concatenated copy the index is built over
		}
		// The graph: up to 2M links on level 0 and ~M/(M-1) more above, 4 bytes each, plus
		// per-node bookkeeping; int8 traversal adds one byte per dimension.
		plan.working += int64(n) * int64(8*cfg.M+32+2*threads) // + each searcher's visited marks
		if cfg.Quantization == "int8" {
			plan.working += int64(n) * int64(totalDim)
		}
	}
	res.PlannedMemory = plan.total()
	// The Go heap's soft limit: the given limit, or the plan with some slack, so that garbage
	// (approximate mode allocates every search's answer) is collected before RSS grows past
	// the plan instead of at twice the live heap.
	softLimit := plan.total() + 64<<20
	if cfg.MemoryLimit > 0 {
		if plan.total() > cfg.MemoryLimit {
			return res, &MemoryError{Limit: cfg.MemoryLimit, Need: plan.total(), Plan: plan.String()}
		}
		softLimit = cfg.MemoryLimit
	}
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(softLimit))

	// The output must be writable before hours are spent computing it.
	if cfg.Out != "-" {
		if err := probeWritable(cfg.Out + ".tmp"); err != nil {
			return res, fmt.Errorf("--out %s is not writable: %w", cfg.Out, err)
		}
	}

	// 2. Checkpoint: refuse to overwrite one by accident; check a resumable one's shape early.
	var resumeHdr *ckptHeader
	if cfg.Checkpoint != "" && annB == nil {
		hdr, err := readCkptHeader(cfg.Checkpoint)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			if cfg.Resume {
				logf("no checkpoint at %s; starting from the first row", cfg.Checkpoint)
			}
		case err != nil:
			return res, err
		case !cfg.Resume:
			return res, fmt.Errorf("checkpoint %s exists (an interrupted run, %d of %d rows final): pass --resume to continue it, or delete it to start over",
				cfg.Checkpoint, hdr.NextRow, hdr.N)
		default:
			resumeHdr = &hdr
		}
	}

	// 3. Load and check the data.
	mods := make([]*modality, len(cfg.Inputs))
	for i, in := range cfg.Inputs {
		m, err := load(in, cfg.Metric)
		if err != nil {
			return res, fmt.Errorf("--input %w", err)
		}
		if m.zeros > 0 {
			logf("warning: %s has %d all-zero rows; their cosine similarity is 0 with every row", in.Path, m.zeros)
		}
		mods[i] = m
	}
	var ids []string
	var idsCRC uint32
	if cfg.IDs != "" {
		var err error
		if ids, idsCRC, err = readIDs(cfg.IDs, n); err != nil {
			return res, fmt.Errorf("--ids %w", err)
		}
	}
	hdr := ckptHeader{N: n, K: cfg.K, Block: block, Metric: cfg.Metric, ExcludeSelf: cfg.ExcludeSelf, Format: cfg.Format,
		Kernels: distance.Impl(), IDsCRC: idsCRC}
	if l := cfg.maxDist(); !math.IsInf(float64(l), 1) {
		hdr.MaxDist = &l
	}
	for _, m := range mods {
		hdr.Inputs = append(hdr.Inputs, ckptInput{Path: m.path, Rows: n, Cols: m.dim, Weight: m.weight, CRC: m.crc})
	}
	if resumeHdr != nil {
		if f := resumeHdr.sameJob(hdr); f != "" {
			return res, fmt.Errorf("checkpoint %s was written for a different job (%q differs); delete it to start over", cfg.Checkpoint, f)
		}
	}
	logf("%d rows, dims %v, k=%d, %s, %s, block %d, %d threads, kernels %s, planned memory %s; loaded in %.1fs",
		n, dims, cfg.K, cfg.Metric, modeName(cfg.Approx), block, threads, distance.Impl(), plan, time.Since(t0).Seconds())

	sign := float32(-1)
	if cfg.Metric == L2 {
		sign = 1
	}
	res.Rows, res.K, res.Block = n, cfg.K, block
	var h *heaps
	if annB != nil {
		vecs, dim := concat(mods)
		h = newHeaps(n, cfg.K, cfg.maxDist())
		pr := newProgress(env.Log, env.TTY, n, 2*int64(n), 0) // n inserts, then n searches
		var doneRows atomic.Int64
		var prMu sync.Mutex
		recall, err := runApprox(annB, vecs, dim, cfg.Metric, &cfg, h, threads, func(rows int) {
			d := doneRows.Add(int64(rows))
			prMu.Lock()
			pr.update(d, int(max(0, d-int64(n))), false)
			prMu.Unlock()
		}, func(format string, args ...any) {
			prMu.Lock()
			pr.finish() // end a bar line before the message
			prMu.Unlock()
			logf(format, args...)
		})
		pr.finish()
		if err != nil {
			return res, err
		}
		res.Recall = recall
		if err := writeOutput(&cfg, env, h, ids, sign); err != nil {
			return res, err
		}
	} else {
		e := newExact(mods, cfg.Metric, cfg.K, block, cfg.ExcludeSelf, cfg.maxDist(), threads)
		h = e.shared
		if err := runExact(&cfg, env, e, hdr, resumeHdr, ids, sign, &res, logf); err != nil {
			return res, err
		}
	}
	for _, c := range h.count {
		res.Edges += int64(c)
	}
	res.Seconds = time.Since(t0).Seconds()
	res.PeakRSS = peakRSS()
	logf("wrote %s: %d rows, %d edges in %.1fs, peak RSS %s", cfg.Out, n, res.Edges, res.Seconds, FormatBytes(res.PeakRSS))
	return res, nil
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

// runExact runs (or resumes) the exact job, checkpointing as configured, and writes the output.
func runExact(cfg *Config, env Env, e *exact, hdr ckptHeader, resume *ckptHeader, ids []string, sign float32,
	res *Result, logf func(string, ...any)) error {
	startStep := 0
	if resume != nil {
		got, err := readCheckpoint(cfg.Checkpoint, e.shared)
		if err != nil {
			return err
		}
		if f := got.sameJob(hdr); f != "" { // the file changed since its header was read
			return fmt.Errorf("checkpoint %s was written for a different job (%q differs)", cfg.Checkpoint, f)
		}
		startStep = got.NextRow / e.b
		if got.NextRow == e.n {
			startStep = e.nb
		}
		hdr.TSVBytes = got.TSVBytes
		res.ResumedAt = got.NextRow
		logf("resuming from checkpoint %s: rows [0, %d) of %d are final", cfg.Checkpoint, got.NextRow, e.n)
	}

	// TSV streams finished rows to OUT.tmp (or stdout) as each block completes.
	var tsv *tsvWriter
	var tsvFile *os.File
	if cfg.Format == "tsv" {
		w := env.Stdout
		if cfg.Out != "-" {
			f, err := os.OpenFile(cfg.Out+".tmp", os.O_RDWR|os.O_CREATE, 0o644)
			if err != nil {
				return fmt.Errorf("open output: %w", err)
			}
			defer f.Close()
			st, err := f.Stat()
			if err != nil {
				return err
			}
			if st.Size() < hdr.TSVBytes {
				return fmt.Errorf("%s holds %d bytes but checkpoint %s recorded %d; delete both to start over",
					f.Name(), st.Size(), cfg.Checkpoint, hdr.TSVBytes)
			}
			if err := f.Truncate(hdr.TSVBytes); err != nil {
				return err
			}
			if _, err := f.Seek(hdr.TSVBytes, io.SeekStart); err != nil {
				return err
			}
			tsvFile, w = f, f
		}
		tsv = &tsvWriter{w: bufio.NewWriterSize(w, 1<<20), ids: ids, score: sign}
	}

	tCompute := time.Now()
	pr := newProgress(env.Log, env.TTY, e.n, e.tilesUpTo(e.nb), e.tilesUpTo(startStep))
	var tiles atomic.Int64
	tiles.Store(e.tilesUpTo(startStep))
	checkpoints := cfg.CheckpointInterval > 0 && cfg.Checkpoint != "" && cfg.Out != "-"
	every := cfg.CheckpointInterval
	lastCkpt := time.Now()
	for i := startStep; i < e.nb; i++ {
		e.step(i, func() { tiles.Add(1) })
		lo, hi := i*e.b, min(e.n, (i+1)*e.b)
		if tsv != nil {
			if err := tsv.rows(e.shared, lo, hi); err != nil {
				return err
			}
		}
		pr.update(tiles.Load(), hi, false)
		stop := cfg.stopAfter > 0 && hi >= cfg.stopAfter
		if checkpoints && hi < e.n && (time.Since(lastCkpt) >= every || stop) {
			t := time.Now()
			hdr.NextRow = hi
			if tsvFile != nil {
				if err := tsv.w.Flush(); err != nil {
					return fmt.Errorf("write TSV: %w", err)
				}
				if err := tsvFile.Sync(); err != nil {
					return fmt.Errorf("sync TSV: %w", err)
				}
				off, err := tsvFile.Seek(0, io.SeekCurrent)
				if err != nil {
					return err
				}
				hdr.TSVBytes = off
			}
			if err := writeCheckpoint(cfg.Checkpoint, hdr, e.shared); err != nil {
				return err
			}
			// Keep checkpointing under ~5% of the run: wait at least 20x the last write.
			every = max(cfg.CheckpointInterval, 20*time.Since(t))
			lastCkpt = time.Now()
			if stop {
				return errStopped
			}
		}
	}
	pr.update(tiles.Load(), e.n, true)
	pr.finish()
	logf("computed in %.1fs", time.Since(tCompute).Seconds())

	if tsv != nil {
		if err := tsv.w.Flush(); err != nil {
			return fmt.Errorf("write TSV: %w", err)
		}
		if tsvFile != nil {
			if err := commitFile(tsvFile, cfg.Out); err != nil {
				return err
			}
		}
	} else if err := writeOutput(cfg, env, e.shared, ids, sign); err != nil {
		return err
	}
	if cfg.Checkpoint != "" {
		if err := os.Remove(cfg.Checkpoint); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove checkpoint: %w", err)
		}
	}
	return nil
}

// writeOutput writes the finished graph in cfg.Format to cfg.Out (through OUT.tmp and a rename).
func writeOutput(cfg *Config, env Env, h *heaps, ids []string, sign float32) error {
	if cfg.Out == "-" {
		t := &tsvWriter{w: bufio.NewWriterSize(env.Stdout, 1<<20), ids: ids, score: sign}
		if err := t.rows(h, 0, len(h.count)); err != nil {
			return err
		}
		return t.w.Flush()
	}
	f, err := os.Create(cfg.Out + ".tmp")
	if err != nil {
		return fmt.Errorf("create output: %w", err)
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	if cfg.Format == "npz" {
		err = writeNpz(bw, h, sign)
	} else {
		t := &tsvWriter{w: bw, ids: ids, score: sign}
		err = t.rows(h, 0, len(h.count))
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	return commitFile(f, cfg.Out)
}

// probeWritable checks that path can be created (or opened for writing, if it exists, as a
// resumed TSV's partial output does) without changing an existing file.
func probeWritable(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		f, err = os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		return f.Close()
	}
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(path)
}

// commitFile fsyncs f and renames it to path.
func commitFile(f *os.File, path string) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", f.Name(), err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename output: %w", err)
	}
	return nil
}

// peakRSS returns the process's peak resident set size (VmHWM) in bytes, or -1.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	var kb int64 = -1
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return -1
}
