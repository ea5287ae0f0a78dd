package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/needlevdb/needle/internal/bench"
)

const benchUsage = `Usage:
  needle bench ann --base F --queries F --gt F [--metric l2|ip|cosine] [--k 10] [--index flat]
                   [--threads 1] [--batch] [--nq N] [--bandwidth]
  needle bench ann --data PREFIX ...   (PREFIX.base.npy, PREFIX.queries.npy, PREFIX.gt.npy)
`

func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "ann" {
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	fs := flag.NewFlagSet("bench ann", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg bench.ANNConfig
	data := fs.String("data", "", "dataset prefix (sets --base, --queries, --gt)")
	fs.StringVar(&cfg.Base, "base", "", "base vectors (.npy, .fvecs, .bvecs)")
	fs.StringVar(&cfg.Queries, "queries", "", "query vectors")
	fs.StringVar(&cfg.GT, "gt", "", "ground-truth ids (.npy int32/int64 or .ivecs)")
	fs.StringVar(&cfg.Metric, "metric", "l2", "l2, ip or cosine")
	fs.IntVar(&cfg.K, "k", 10, "neighbours per query")
	fs.StringVar(&cfg.Index, "index", "flat", "index type")
	fs.IntVar(&cfg.Threads, "threads", 1, "query threads")
	fs.BoolVar(&cfg.Batch, "batch", false, "answer all queries in one batched call")
	fs.IntVar(&cfg.NQ, "nq", 0, "use only the first N queries")
	fs.BoolVar(&cfg.Bandwidth, "bandwidth", false, "measure streaming-read bandwidth in the same run")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *data != "" {
		cfg.Base, cfg.Queries, cfg.GT = *data+".base.npy", *data+".queries.npy", *data+".gt.npy"
		if strings.Contains(filepath.Base(*data), "unit") && cfg.Metric == "l2" {
			fmt.Fprintln(stderr, "note: unit-vector dataset with --metric l2; pass --metric ip for its inner-product ground truth")
		}
	}
	if cfg.Base == "" || cfg.Queries == "" || cfg.GT == "" {
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	if err := bench.RunANN(cfg, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "needle bench ann: %v\n", err)
		return 1
	}
	return 0
}
