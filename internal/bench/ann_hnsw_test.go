package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"math/rand/v2"
	"testing"
)

// TestRunANNHNSW runs `needle bench ann --index hnsw` on a small dataset and
// checks the line format: one JSON object per ef with its fields.
func TestRunANNHNSW(t *testing.T) {
	const n, nq, d, k = 2000, 50, 16, 10
	r := rand.New(rand.NewPCG(1, 2))
	data := make([]float32, (n+nq)*d)
	for i := range data {
		data[i] = float32(r.NormFloat64())
	}
	p := writeDataset(t, data, n, nq, d, k)
	for _, quant := range []string{"auto", "int8", "float32"} {
		var out bytes.Buffer
		cfg := ANNConfig{Base: p + ".base.npy", Queries: p + ".queries.npy", GT: p + ".gt.npy", Metric: "l2", K: k,
			Index: "hnsw", Threads: 1, M: 8, EfConstruct: 64, Ef: []int{10, 64}, BuildThreads: 2, Quantization: quant}
		if err := RunANN(cfg, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(&out)
		var lines []map[string]any
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("%s: not JSON: %q", quant, sc.Text())
			}
			lines = append(lines, m)
		}
		if len(lines) != 2 {
			t.Fatalf("%s: %d lines, want one per ef", quant, len(lines))
		}
		for _, f := range []string{"index", "m", "ef_construct", "ef", "k", "recall", "qps", "threads", "build_s", "mem_bytes"} {
			if _, ok := lines[0][f]; !ok {
				t.Errorf("%s: field %q missing", quant, f)
			}
		}
		if lines[0]["index"] != "hnsw" || lines[1]["ef"] != 64.0 || lines[0]["m"] != 8.0 {
			t.Errorf("%s: unexpected line %v", quant, lines[0])
		}
		if rec := lines[1]["recall"].(float64); rec < 0.95 {
			t.Errorf("%s: recall %.3f at ef 64", quant, rec)
		}
	}
}
