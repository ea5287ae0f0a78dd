package knngraph

import (
	"errors"
	"math"
	"path/filepath"
	"testing"
)

// TestApproxHNSW runs approximate mode with the real HNSW index: the graph is valid (no self,
// best first) and the sampled recall it reports matches one computed here against brute force.
func TestApproxHNSW(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n, d, k = 700, 16, 10
	a := writeMatrix(t, dir, "a.npy", n, d, clustered(n, d, 3))
	b := writeMatrix(t, dir, "b.npy", n, 8, randMatrix(n, 8, 4))
	want := bruteForce([][]float32{clustered(n, d, 3), randMatrix(n, 8, 4)}, []int{d, 8}, []float64{0.8, 0.2}, Cosine, k, true, math.Inf(1))
	for _, q := range []string{"float32", "int8"} {
		out := filepath.Join(dir, q+".npz")
		cfg := Config{Inputs: []Input{{a, 0.8}, {b, 0.2}}, K: k, Metric: Cosine, ExcludeSelf: true, Out: out,
			Approx: "hnsw", M: 4, EfConstruct: 16, Ef: 10, Quantization: q, RecallSample: n, Threads: 2}
		res, err := Run(cfg, Env{})
		if err != nil {
			t.Fatal(err)
		}
		g := readNpz(t, out)
		hits := 0
		for r := range n {
			row := g.indices[g.indptr[r]:g.indptr[r+1]]
			if len(row) != k {
				t.Fatalf("%s: row %d has %d neighbours, want %d", q, r, len(row), k)
			}
			set := map[int32]bool{}
			for i, c := range row {
				if int(c) == r {
					t.Fatalf("%s: row %d lists itself", q, r)
				}
				if i > 0 && g.data[g.indptr[r]+int64(i)] > g.data[g.indptr[r]+int64(i)-1] {
					t.Fatalf("%s: row %d not sorted best first", q, r)
				}
				set[c] = true
			}
			for _, it := range want[r] {
				if set[int32(it.Slot)] {
					hits++
				}
			}
		}
		recall := float64(hits) / float64(n*k)
		t.Logf("%s: reported recall %.4f, brute-force recall %.4f", q, res.Recall, recall)
		if recall < 0.7 {
			t.Errorf("%s: recall %.4f, want >= 0.7", q, recall)
		}
		if res.Recall < recall-0.01 || res.Recall > recall+0.01 {
			t.Errorf("%s: reported recall %.4f, brute force says %.4f (every row sampled)", q, res.Recall, recall)
		}
	}
}

func TestApproxUnavailable(t *testing.T) {
	annMu.Lock()
	b := annBuilders["hnsw"]
	delete(annBuilders, "hnsw")
	annMu.Unlock()
	defer RegisterANN("hnsw", b)
	dir := t.TempDir()
	a := writeMatrix(t, dir, "a.npy", 10, 4, randMatrix(10, 4, 1))
	_, err := Run(Config{Inputs: []Input{{a, 1}}, K: 3, Metric: Cosine, Out: filepath.Join(dir, "g.npz"), Approx: "hnsw", M: 16, EfConstruct: 100}, Env{})
	if !errors.Is(err, ErrApproxUnavailable) {
		t.Fatalf("error %v, want ErrApproxUnavailable", err)
	}
}
