package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

// smallDataset writes a clustered n×d L2 dataset with exact top-k ground truth and returns its
// prefix.
func smallDataset(t *testing.T, n, nq, d, k int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(3, 4))
	centres := make([]float32, 16*d)
	for i := range centres {
		centres[i] = float32(r.NormFloat64())
	}
	data := make([]float32, (n+nq)*d)
	for i := 0; i < n+nq; i++ {
		c := centres[r.IntN(16)*d:]
		for j := 0; j < d; j++ {
			data[i*d+j] = c[j] + 0.5*float32(r.NormFloat64())
		}
	}
	return writeDataset(t, data, n, nq, d, k)
}

// writeDataset writes the first n rows of data (n+nq rows of d) as the base and the rest as the
// queries of an L2 dataset, with their exact top-k as ground truth, and returns the prefix.
func writeDataset(t *testing.T, data []float32, n, nq, d, k int) string {
	t.Helper()
	base, qs := data[:n*d], data[n*d:]
	gt := make([]int32, nq*k)
	for i := 0; i < nq; i++ {
		items := flat.Search(flat.Vectors{Dim: d, Data: base}, flat.L2, qs[i*d:(i+1)*d], flat.Params{K: k, MaxDist: flat.NoLimit})
		for j, it := range items {
			gt[i*k+j] = int32(it.Slot)
		}
	}
	p := filepath.Join(t.TempDir(), "x")
	write := func(name string, f func(w io.Writer) error) {
		var b bytes.Buffer
		if err := f(&b); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p+name, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(".base.npy", func(w io.Writer) error { return WriteNpyFloat32(w, n, d, base) })
	write(".queries.npy", func(w io.Writer) error { return WriteNpyFloat32(w, nq, d, qs) })
	write(".gt.npy", func(w io.Writer) error { return WriteNpyInt32(w, nq, k, gt) })
	return p
}

func runLines(t *testing.T, cfg ANNConfig) []map[string]any {
	t.Helper()
	var out bytes.Buffer
	if err := RunANN(cfg, &out, io.Discard); err != nil {
		t.Fatalf("%s %s: %v", cfg.Index, cfg.Quantization, err)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not JSON: %q", sc.Text())
		}
		lines = append(lines, m)
	}
	return lines
}

// TestRunANNQuantized runs every codec and index of `needle bench ann` on a small dataset, in
// RAM and on disk, and checks the lines: recall floors, the quantization named, truthful memory
// fields (vectors counted only when in RAM).
func TestRunANNQuantized(t *testing.T) {
	const n, nq, d, k = 4000, 40, 32, 10
	p := smallDataset(t, n, nq, d, k)
	base := ANNConfig{Base: p + ".base.npy", Queries: p + ".queries.npy", GT: p + ".gt.npy", Metric: "l2", K: k,
		Threads: 1, M: 8, EfConstruct: 64, Ef: []int{64}, BuildThreads: 2, Nlist: 32, Nprobe: []int{32}}
	cases := []struct {
		index, quant string
		over         float64
		floor        float64
	}{
		{"hnsw", "pq:8", 4, 0.9},
		{"hnsw", "binary", 8, 0.6},
		{"hnsw", "fp16", 0, 0.95},
		{"flat", "pq:8", 4, 0.85},
		{"flat", "binary", 8, 0.6},
		{"ivf", "none", 0, 0.99}, // nprobe = nlist: exact
		{"ivfpq", "pq:8", 4, 0.95},
	}
	for _, tc := range cases {
		for _, onDisk := range []bool{false, true} {
			cfg := base
			cfg.Index, cfg.Quantization, cfg.Oversampling, cfg.OnDisk = tc.index, tc.quant, tc.over, onDisk
			lines := runLines(t, cfg)
			if len(lines) != 1 {
				t.Fatalf("%s %s: %d lines", tc.index, tc.quant, len(lines))
			}
			l := lines[0]
			name := tc.index + " " + tc.quant
			if rec := l["recall"].(float64); rec < tc.floor {
				t.Errorf("%s (on disk %v): recall %.3f < %.2f", name, onDisk, rec, tc.floor)
			}
			if q, _ := l["quantization"].(string); tc.quant != "none" && q != tc.quant {
				t.Errorf("%s: quantization %q", name, q)
			}
			if l["on_disk"] != onDisk {
				t.Errorf("%s: on_disk %v", name, l["on_disk"])
			}
			mem, vec := l["mem_bytes"].(float64), l["vector_bytes"].(float64)
			// (On disk, mem_bytes is the anonymous growth alone: too noisy at this size to
			// bound, so the test checks the vectors' residency instead.)
			if vec != n*d*4 || (!onDisk && !raceEnabled && mem < vec/2) { // the anonymous growth alone can be slightly negative (GC)
				t.Errorf("%s (on disk %v): mem_bytes %.0f with vectors of %.0f bytes", name, onDisk, mem, vec)
			}
			if res, _ := l["vector_resident_bytes"].(float64); onDisk && (res < 0 || res > vec+4096) {
				t.Errorf("%s: vector_resident_bytes %.0f of %.0f", name, res, vec)
			}
		}
	}
	// --rescore false returns the codes' own ranking: worse than rescored.
	cfg := base
	cfg.Index, cfg.Quantization, cfg.Oversampling = "flat", "pq:4", 4
	rescored := runLines(t, cfg)[0]["recall"].(float64)
	cfg.NoRescore = true
	raw := runLines(t, cfg)[0]
	if raw["rescore"] != false || raw["recall"].(float64) >= rescored {
		t.Errorf("rescore=false: %v (rescored recall %.3f)", raw, rescored)
	}
	cfg = base
	cfg.Index, cfg.Quantization = "ivfpq", "binary"
	if err := RunANN(cfg, io.Discard, io.Discard); err == nil {
		t.Error("ivfpq with binary codes was accepted")
	}
}

// A NaN, infinite or negative --oversampling is refused before anything is loaded.
func TestRunANNBadOversampling(t *testing.T) {
	for _, x := range []float64{math.NaN(), math.Inf(1), -1} {
		err := RunANN(ANNConfig{Index: "flat", Metric: "l2", Oversampling: x}, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "--oversampling") {
			t.Errorf("oversampling %v: %v", x, err)
		}
	}
}
