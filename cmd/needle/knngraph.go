package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/needlevdb/needle/internal/knngraph"
)

const knnGraphUsage = `Usage:
  needle knn-graph --input X.npy[:WEIGHT] [--input Y.npy[:WEIGHT] ...] --k 200 --metric cosine --out graph.npz

Builds every row's top-K neighbours. The score is the weighted sum of the per-input similarities
(inputs: float32 .npy or .fvecs with the same rows in the same order). Output: scipy CSR .npz
(scipy.sparse.load_npz reads it; rows best first), or TSV lines "row<TAB>col<TAB>score".

Flags:
`

// floatFlag is an optional float64 flag.
type floatFlag struct{ v *float64 }

func (f *floatFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatFloat(*f.v, 'g', -1, 64)
}

func (f *floatFlag) Set(s string) error {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return err
	}
	f.v = &v
	return nil
}

type inputsFlag struct{ in *[]knngraph.Input }

func (f inputsFlag) String() string { return "" }
func (f inputsFlag) Set(s string) error {
	in, err := knngraph.ParseInput(s)
	if err != nil {
		return err
	}
	*f.in = append(*f.in, in)
	return nil
}

type sizeFlag struct{ v *int64 }

func (f sizeFlag) String() string { return "" }
func (f sizeFlag) Set(s string) error {
	n, err := knngraph.ParseSize(s)
	if err != nil {
		return err
	}
	*f.v = n
	return nil
}

func knnGraphCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("knn-graph", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, knnGraphUsage)
		fs.PrintDefaults()
	}
	var cfg knngraph.Config
	var minScore, maxDist floatFlag
	quiet := fs.Bool("quiet", false, "no progress output")
	fs.Var(inputsFlag{&cfg.Inputs}, "input", "an input matrix and its weight, `PATH[:WEIGHT]` (.npy float32/float64 or .fvecs; weight 1 if omitted); repeat for each modality")
	fs.IntVar(&cfg.K, "k", knngraph.DefaultK, "neighbours per row")
	metric := fs.String("metric", "cosine", "per-input similarity: cosine, ip (dot product) or l2 (squared distance, ascending)")
	fs.StringVar(&cfg.Out, "out", "", "output path (.npz, or .tsv/.txt or - for TSV on stdout)")
	fs.StringVar(&cfg.Format, "format", "", "npz or tsv (default: from --out's extension)")
	fs.StringVar(&cfg.IDs, "ids", "", "file of item ids, one a line; TSV rows and columns use them")
	fs.BoolVar(&cfg.ExcludeSelf, "exclude-self", false, "do not list a row as its own neighbour")
	fs.Var(&minScore, "min-score", "drop neighbours scoring below this (cosine, ip)")
	fs.Var(&maxDist, "max-distance", "drop neighbours farther than this squared distance (l2)")
	fs.IntVar(&cfg.Threads, "threads", 0, "worker threads (0 = all cores)")
	fs.Var(sizeFlag{&cfg.MemoryLimit}, "memory-limit", "refuse to start if the job needs more than this (e.g. 8GiB); also the Go heap limit")
	fs.StringVar(&cfg.Checkpoint, "checkpoint", "", "checkpoint file (default OUT.ckpt)")
	fs.DurationVar(&cfg.CheckpointInterval, "checkpoint-interval", knngraph.DefaultCheckpointInterval, "checkpoint at most this often (0 = never)")
	fs.BoolVar(&cfg.Resume, "resume", false, "continue from the checkpoint of an interrupted run")
	fs.StringVar(&cfg.Approx, "approx", "", "approximate mode: hnsw (default: exact)")
	fs.IntVar(&cfg.M, "m", knngraph.DefaultM, "HNSW links per node (--approx hnsw)")
	fs.IntVar(&cfg.EfConstruct, "ef-construct", knngraph.DefaultEfConstruct, "HNSW build beam width (--approx hnsw)")
	fs.IntVar(&cfg.Ef, "ef", 0, "HNSW search beam width (--approx hnsw; 0 = 2*k)")
	fs.StringVar(&cfg.Quantization, "quantization", "float32", "HNSW traversal encoding: float32 or int8 (distances are rescored exactly)")
	fs.IntVar(&cfg.RecallSample, "recall-sample", knngraph.DefaultRecallSample, "rows checked against exact search in approximate mode (0 = none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "needle knn-graph: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	cfg.Metric = knngraph.Metric(*metric)
	cfg.MinScore, cfg.MaxDistance = minScore.v, maxDist.v
	if cfg.Approx != "" && cfg.Ef == 0 {
		cfg.Ef = 2 * cfg.K
	}
	env := knngraph.Env{Stdout: stdout, Log: stderr}
	if *quiet {
		env.Log = nil
	} else if f, ok := stderr.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			env.TTY = true
		}
	}
	if _, err := knngraph.Run(cfg, env); err != nil {
		fmt.Fprintf(stderr, "needle knn-graph: %v\n", err)
		return 1
	}
	return 0
}
