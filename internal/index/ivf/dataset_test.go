package ivf

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/index/flat"
)

// TestDataset builds IVF-PQ over a dataset of `needle bench ann` files and
// prints one-thread QPS and recall@10 per nprobe, for comparison with
// `peers.py faiss-ivf` on the same files. It runs only when
// NEEDLE_IVF_DATA names the prefix (PREFIX.base.npy, .queries.npy,
// .gt.npy), e.g.
//
//	NEEDLE_IVF_DATA=/tmp/needle-data/clustered-1M-128 go test -run Dataset -v -timeout 30m ./internal/index/ivf
//
// NEEDLE_IVF_NLIST (1024), NEEDLE_IVF_PQM (16) and NEEDLE_IVF_NPROBE
// (1,4,16,64) override the parameters; the metric is L2.
func TestDataset(t *testing.T) {
	prefix := os.Getenv("NEEDLE_IVF_DATA")
	if prefix == "" {
		t.Skip("NEEDLE_IVF_DATA not set")
	}
	nlist, pqm := envInt("NEEDLE_IVF_NLIST", 1024), envInt("NEEDLE_IVF_PQM", 16)
	nprobes := []int{1, 4, 16, 64}
	if s := os.Getenv("NEEDLE_IVF_NPROBE"); s != "" {
		nprobes = nil
		for _, f := range strings.Split(s, ",") {
			n, _ := strconv.Atoi(f)
			nprobes = append(nprobes, n)
		}
	}
	base, err := readNpy(prefix + ".base.npy")
	if err != nil {
		t.Fatal(err)
	}
	queries, err := readNpy(prefix + ".queries.npy")
	if err != nil {
		t.Fatal(err)
	}
	gt, err := readNpy(prefix + ".gt.npy")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	x, err := New(Config{Dim: base.Dim, Metric: flat.L2, Nlist: nlist, PQM: pqm, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := x.Train(base, samplePerList*nlist); err != nil {
		t.Fatal(err)
	}
	trained := time.Since(start)
	if err := x.AddRange(base, 0, base.Slots()); err != nil {
		t.Fatal(err)
	}
	t.Logf("build: train %.1f s, total %.1f s, memory %d MB", trained.Seconds(), time.Since(start).Seconds(), x.MemoryBytes()>>20)
	qs := make([][]float32, queries.Slots())
	for i := range qs {
		qs[i] = queries.Row(uint32(i))
	}
	for _, nprobe := range nprobes {
		for _, rescore := range []int{0, 100} {
			p := SearchParams{K: 10, Nprobe: nprobe, Rescore: rescore}
			x.SearchBatch(qs[:100], p, 1) // warm-up
			t0 := time.Now()
			res := x.SearchBatch(qs, p, 1)
			batch := time.Since(t0)
			t0 = time.Now()
			for _, q := range qs {
				x.Search(q, p)
			}
			single := time.Since(t0)
			hits := 0
			for i, r := range res {
				truth := gt.Data[i*gt.Dim : i*gt.Dim+10]
				for _, it := range r {
					for _, g := range truth {
						if float32(it.Slot) == g {
							hits++
							break
						}
					}
				}
			}
			fmt.Printf("ivfpq nlist=%d pq_m=%d nprobe=%d rescore=%d recall@10=%.4f qps_batch=%.0f qps_search=%.0f\n",
				nlist, pqm, nprobe, rescore, float64(hits)/float64(len(qs)*10),
				float64(len(qs))/batch.Seconds(), float64(len(qs))/single.Seconds())
		}
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

var npyShape = regexp.MustCompile(`'shape':\s*\((\d+),\s*(\d+)\)`)
var npyDescr = regexp.MustCompile(`'descr':\s*'([<|]?[fi][48])'`)

// readNpy reads a 2-D little-endian float32, int32 or int64 .npy file as
// float32 rows (integers converted exactly below 2²⁴).
func readNpy(path string) (flat.Vectors, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return flat.Vectors{}, err
	}
	if len(b) < 10 || string(b[1:6]) != "NUMPY" {
		return flat.Vectors{}, fmt.Errorf("%s: not a .npy file", path)
	}
	hl, off := int(binary.LittleEndian.Uint16(b[8:])), 10
	if b[6] >= 2 {
		hl, off = int(binary.LittleEndian.Uint32(b[8:])), 12
	}
	head := string(b[off : off+hl])
	sh, de := npyShape.FindStringSubmatch(head), npyDescr.FindStringSubmatch(head)
	if sh == nil || de == nil || strings.Contains(head, "'fortran_order': True") {
		return flat.Vectors{}, fmt.Errorf("%s: unsupported header %q", path, head)
	}
	rows, _ := strconv.Atoi(sh[1])
	cols, _ := strconv.Atoi(sh[2])
	data := b[off+hl:]
	out := make([]float32, rows*cols)
	for i := range out {
		switch strings.TrimLeft(de[1], "<|") {
		case "f4":
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		case "i4":
			out[i] = float32(int32(binary.LittleEndian.Uint32(data[4*i:])))
		case "i8":
			out[i] = float32(int64(binary.LittleEndian.Uint64(data[8*i:])))
		default:
			return flat.Vectors{}, fmt.Errorf("%s: unsupported dtype %s", path, de[1])
		}
	}
	return flat.Vectors{Dim: cols, Data: out}, nil
}
