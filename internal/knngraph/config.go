package knngraph

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Metric is the per-modality similarity.
type Metric string

// The metrics. Cosine and IP are similarities (higher is better); L2 is the squared Euclidean
// distance (lower is better).
const (
	Cosine Metric = "cosine"
	IP     Metric = "ip"
	L2     Metric = "l2"
)

// Input is one modality: a float matrix file and its weight in the score.
type Input struct {
	Path   string
	Weight float64
}

// Config is one knn-graph job. The zero value is not valid; see Validate for the rules.
type Config struct {
	Inputs      []Input
	K           int
	Metric      Metric
	ExcludeSelf bool
	// MinScore drops neighbours scoring below it (cosine, ip); nil for none.
	MinScore *float64
	// MaxDistance drops neighbours farther than it (l2, squared distance); nil for none.
	MaxDistance *float64

	Out    string // output path; "-" writes TSV to Stdout
	Format string // "npz" or "tsv"; empty chooses by Out's extension
	IDs    string // optional file of N item ids, one a line (TSV output)

	Threads     int   // worker goroutines; 0 means GOMAXPROCS
	MemoryLimit int64 // bytes; 0 means no limit

	Checkpoint         string        // checkpoint path; empty means Out + ".ckpt"
	CheckpointInterval time.Duration // 0 disables checkpoints
	Resume             bool

	Approx       string // "" (exact) or "hnsw"
	M            int    // HNSW links per node
	EfConstruct  int
	Ef           int
	Quantization string // HNSW traversal encoding: "float32" (default) or "int8"
	RecallSample int    // rows checked against exact search in approximate mode

	// Block overrides the tiling (rows per block); 0 chooses from the dimensions. For tests.
	Block int

	// stopAfter, in tests, makes Run return errStopped right after the first checkpoint that
	// covers at least this many rows, as if the process had been killed there.
	stopAfter int
}

// Defaults for the flags.
const (
	DefaultK                  = 10
	DefaultCheckpointInterval = time.Minute
	DefaultM                  = 16
	DefaultEfConstruct        = 200
	DefaultRecallSample       = 1000
)

// ParseInput parses "PATH" or "PATH:WEIGHT" (weight 1 when omitted).
func ParseInput(s string) (Input, error) {
	if s == "" {
		return Input{}, errors.New("empty --input")
	}
	if i := strings.LastIndexByte(s, ':'); i >= 0 {
		if w, err := strconv.ParseFloat(s[i+1:], 64); err == nil {
			return Input{Path: s[:i], Weight: w}, nil
		}
	}
	return Input{Path: s, Weight: 1}, nil
}

// ParseSize parses a byte count such as "8GiB", "512MiB", "2G", "1e9" or "1073741824".
// Decimal (KB, MB, GB, TB) and binary (KiB, MiB, GiB, TiB; K, M, G, T) units are accepted.
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	units := []struct {
		suffix string
		mul    float64
	}{
		{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
		{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
		{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
	}
	mul := 1.0
	for _, u := range units {
		if strings.HasSuffix(strings.ToUpper(t), strings.ToUpper(u.suffix)) {
			t, mul = strings.TrimSpace(t[:len(t)-len(u.suffix)]), u.mul
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || v*mul > math.MaxInt64/2 {
		return 0, fmt.Errorf("bad size %q (want e.g. 8GiB, 512MiB, 2G or a byte count)", s)
	}
	return int64(v * mul), nil
}

// FormatBytes renders n in binary units ("1.5 GiB").
func FormatBytes(n int64) string {
	const unit = 1 << 10
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGT"[i])
}

// Validate checks everything that can be checked without opening a file, fills defaults
// (Format, Checkpoint) and returns the first problem found.
func (c *Config) Validate() error {
	if len(c.Inputs) == 0 {
		return errors.New("no --input: give at least one matrix (.npy or .fvecs), e.g. --input text.npy:0.7")
	}
	for i, in := range c.Inputs {
		if in.Path == "" {
			return fmt.Errorf("--input %d: empty path", i+1)
		}
		if math.IsNaN(in.Weight) || math.IsInf(in.Weight, 0) || in.Weight <= 0 {
			return fmt.Errorf("--input %s: weight %v must be a positive finite number", in.Path, in.Weight)
		}
	}
	switch c.Metric {
	case Cosine, IP, L2:
	default:
		return fmt.Errorf("unknown --metric %q (want cosine, ip or l2)", c.Metric)
	}
	if c.K < 1 {
		return fmt.Errorf("--k %d: must be at least 1", c.K)
	}
	if c.MinScore != nil && (c.Metric == L2 || math.IsNaN(*c.MinScore)) {
		return errors.New("--min-score applies to --metric cosine or ip (for l2 use --max-distance)")
	}
	if c.MaxDistance != nil && (c.Metric != L2 || math.IsNaN(*c.MaxDistance)) {
		return errors.New("--max-distance applies to --metric l2 (for cosine and ip use --min-score)")
	}
	if c.Out == "" {
		return errors.New("no --out: give the output path (graph.npz, or graph.tsv / - for TSV)")
	}
	if c.Format == "" {
		c.Format = "npz"
		if l := strings.ToLower(c.Out); c.Out == "-" || strings.HasSuffix(l, ".tsv") || strings.HasSuffix(l, ".txt") {
			c.Format = "tsv"
		}
	}
	switch c.Format {
	case "npz":
		if c.Out == "-" {
			return errors.New("--out - (stdout) needs --format tsv; a .npz needs a file")
		}
		if c.IDs != "" {
			return errors.New("--ids applies to --format tsv; a CSR .npz is indexed by row number (row i is line i+1 of the ids file)")
		}
	case "tsv":
	default:
		return fmt.Errorf("unknown --format %q (want npz or tsv)", c.Format)
	}
	if c.Threads < 0 {
		return fmt.Errorf("--threads %d: must be positive (0 = all cores)", c.Threads)
	}
	if c.MemoryLimit < 0 {
		return errors.New("--memory-limit must be positive")
	}
	if c.CheckpointInterval < 0 {
		return errors.New("--checkpoint-interval must be positive (0 disables checkpoints)")
	}
	if c.Checkpoint == "" && c.Out != "-" {
		c.Checkpoint = c.Out + ".ckpt"
	}
	if c.Out == "-" && c.Resume {
		return errors.New("--resume needs an output file; TSV on stdout cannot be resumed")
	}
	switch c.Approx {
	case "":
	case "hnsw":
		if c.M < 2 || c.EfConstruct < 1 || c.Ef < 0 || c.RecallSample < 0 {
			return fmt.Errorf("--approx hnsw: need --m >= 2 (got %d), --ef-construct >= 1 (got %d), --ef >= 0, --recall-sample >= 0",
				c.M, c.EfConstruct)
		}
		if c.Resume {
			return errors.New("--resume applies to exact mode; approximate mode has no checkpoints")
		}
		if c.Quantization != "" && c.Quantization != "float32" && c.Quantization != "int8" {
			return fmt.Errorf("unknown --quantization %q (want float32 or int8)", c.Quantization)
		}
	default:
		return fmt.Errorf("unknown --approx %q (want hnsw, or omit it for exact)", c.Approx)
	}
	if c.Block < 0 || c.Block%32 != 0 {
		return fmt.Errorf("block %d: must be a positive multiple of 32 (the widest panel)", c.Block)
	}
	return nil
}

// maxDist is the admission threshold in rank-distance space (smaller is better), +Inf for none.
func (c *Config) maxDist() float32 {
	switch {
	case c.MinScore != nil:
		return float32(-*c.MinScore)
	case c.MaxDistance != nil:
		return float32(*c.MaxDistance)
	}
	return float32(math.Inf(1))
}
