package knngraph

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"sync/atomic"
	"time"
)

// runExact runs (or resumes) the exact job, checkpointing as configured, and writes the output.
func (j *job) runExact(e *exact) error {
	cfg, env, hdr, logf := &j.cfg, j.env, j.hdr, j.logf
	startStep := 0
	if j.resume != nil {
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
		j.res.ResumedAt = got.NextRow
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
		tsv = &tsvWriter{w: bufio.NewWriterSize(w, 1<<20), ids: j.ids, score: j.sign}
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
	} else if err := j.writeOutput(e.shared); err != nil {
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
func (j *job) writeOutput(h *heaps) error {
	cfg, ids, sign := &j.cfg, j.ids, j.sign
	if cfg.Out == "-" {
		t := &tsvWriter{w: bufio.NewWriterSize(j.env.Stdout, 1<<20), ids: ids, score: sign}
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
