package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/needlevdb/needle/internal/bench"
)

const benchUsage = `Usage:
  needle bench ann --base F --queries F --gt F [--metric l2|ip|cosine] [--k 10] [--index flat]
                   [--threads 1] [--batch] [--nq N] [--bandwidth]
  needle bench ann ... --index hnsw [--m 16] [--ef-construct 200] [--ef 10,20,40,80,120,200,400]
                   [--build-threads N] [--quantization auto|none|int8|pq:SUBVECTORS|binary|fp16]
                   [--oversampling X] [--rescore true|false] [--on-disk]
  needle bench ann ... --index flat --quantization pq:M|binary [--oversampling X] [--rescore ...]
  needle bench ann ... --index ivf|ivfpq [--nlist 1024] [--nprobe 1,2,4,8,16,32,64]
                   [--quantization pq:M (ivfpq)] [--oversampling X] [--on-disk]
  needle bench ann --data PREFIX ...   (PREFIX.base.npy, PREFIX.queries.npy, PREFIX.gt.npy)
  needle bench http --url URL --collection NAME --vectors F ...   HTTP load (needle bench http -h)
`

func benchCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "http" {
		return benchHTTPCmd(args[1:], stdout, stderr)
	}
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
	fs.IntVar(&cfg.M, "m", 16, "hnsw: neighbours per node (2M on level 0)")
	fs.IntVar(&cfg.EfConstruct, "ef-construct", 200, "hnsw: candidate list of the build")
	efs := fs.String("ef", "10,20,40,80,120,200,400", "hnsw: comma-separated search candidate lists, one result line each")
	fs.IntVar(&cfg.BuildThreads, "build-threads", 0, "hnsw: build goroutines (0: all cores)")
	fs.StringVar(&cfg.Quantization, "quantization", "auto", "codes searched with, rescored in float32: none, int8, pq:SUBVECTORS, binary (binary:hamming), fp16, or auto (int8 where the CPU has AVX-512 VNNI)")
	fs.Float64Var(&cfg.Oversampling, "oversampling", 0, "rescore ceil(k*X) candidates of a quantized search (0: the index's default)")
	rescore := fs.String("rescore", "true", "true: rescore quantized candidates with the float vectors; false: return the codes' distances")
	fs.BoolVar(&cfg.OnDisk, "on-disk", false, "keep the float vectors in a mapped file (cold page cache at the start), not in RAM")
	nprobes := fs.String("nprobe", "1,2,4,8,16,32,64", "ivf: comma-separated lists probed, one result line each")
	fs.IntVar(&cfg.Nlist, "nlist", 1024, "ivf: number of lists (k-means centroids)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	switch *rescore {
	case "true":
	case "false":
		cfg.NoRescore = true
	default:
		fmt.Fprintf(stderr, "needle bench ann: --rescore must be true or false, got %q\n", *rescore)
		return 2
	}
	for _, f := range strings.Split(*nprobes, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			fmt.Fprintf(stderr, "needle bench ann: --nprobe: %q is not a positive integer\n", f)
			return 2
		}
		cfg.Nprobe = append(cfg.Nprobe, n)
	}
	for _, f := range strings.Split(*efs, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		ef, err := strconv.Atoi(f)
		if err != nil || ef < 1 {
			fmt.Fprintf(stderr, "needle bench ann: --ef: %q is not a positive integer\n", f)
			return 2
		}
		cfg.Ef = append(cfg.Ef, ef)
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
