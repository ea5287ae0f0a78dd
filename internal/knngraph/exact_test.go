package knngraph

import (
	"archive/zip"
	"bytes"
	"cmp"
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/bench"
	"github.com/needlevdb/needle/internal/topk"
)

// writeMatrix saves rows x cols floats as a .npy file in dir and returns its path.
func writeMatrix(t testing.TB, dir, name string, rows, cols int, data []float32) string {
	t.Helper()
	p := filepath.Join(dir, name)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := bench.WriteNpyFloat32(f, rows, cols, data); err != nil {
		t.Fatal(err)
	}
	return p
}

func randMatrix(rows, cols int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 3))
	out := make([]float32, rows*cols)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// csr is a graph read back from a .npz.
type csr struct {
	n       int
	indptr  []int64
	indices []int32
	data    []float32
}

// readNpz parses the .npz written by writeNpz with archive/zip and a minimal .npy reader.
func readNpz(t *testing.T, path string) csr {
	t.Helper()
	z, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	var names []string
	arrays := map[string][]byte{}
	for _, f := range z.File {
		names = append(names, f.Name)
		if f.Method != zip.Store || f.ModifiedDate != 1<<5|1 || f.ModifiedTime != 0 {
			t.Errorf("%s: method %d date %d time %d; want stored, 1980-01-01 00:00", f.Name, f.Method, f.ModifiedDate, f.ModifiedTime)
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		hlen := int(binary.LittleEndian.Uint16(b[8:]))
		if (10+hlen)%64 != 0 || b[10+hlen-1] != '\n' {
			t.Errorf("%s: header length %d not 64-aligned", f.Name, hlen)
		}
		arrays[f.Name] = b[10+hlen:]
		arrays[f.Name+"#hdr"] = b[10 : 10+hlen]
	}
	if want := []string{"indices.npy", "indptr.npy", "format.npy", "shape.npy", "data.npy"}; !slices.Equal(names, want) {
		t.Fatalf("entries %v, want %v", names, want)
	}
	if got := string(arrays["format.npy"]); got != "csr" {
		t.Fatalf("format %q", got)
	}
	for name, descr := range map[string]string{"indices.npy": "'<i4'", "indptr.npy": "'<i8'", "data.npy": "'<f4'", "shape.npy": "'<i8'", "format.npy": "'|S3'"} {
		if !strings.Contains(string(arrays[name+"#hdr"]), descr) {
			t.Errorf("%s header %q lacks %s", name, arrays[name+"#hdr"], descr)
		}
	}
	var g csr
	sh := arrays["shape.npy"]
	g.n = int(binary.LittleEndian.Uint64(sh))
	if int(binary.LittleEndian.Uint64(sh[8:])) != g.n {
		t.Fatalf("shape not square")
	}
	for b := arrays["indptr.npy"]; len(b) > 0; b = b[8:] {
		g.indptr = append(g.indptr, int64(binary.LittleEndian.Uint64(b)))
	}
	for b := arrays["indices.npy"]; len(b) > 0; b = b[4:] {
		g.indices = append(g.indices, int32(binary.LittleEndian.Uint32(b)))
	}
	for b := arrays["data.npy"]; len(b) > 0; b = b[4:] {
		g.data = append(g.data, math.Float32frombits(binary.LittleEndian.Uint32(b)))
	}
	if len(g.indptr) != g.n+1 || g.indptr[g.n] != int64(len(g.indices)) || len(g.data) != len(g.indices) {
		t.Fatalf("inconsistent CSR: n=%d indptr %d nnz %d data %d", g.n, len(g.indptr), len(g.indices), len(g.data))
	}
	return g
}

// bruteForce returns every row's top k (rank distance, column) in float64, the reference.
func bruteForce(mats [][]float32, dims []int, weights []float64, metric Metric, k int, excludeSelf bool, limit float64) [][]topk.Item {
	n := len(mats[0]) / dims[0]
	norm := make([][]float64, len(mats))
	for m, data := range mats {
		d := dims[m]
		norm[m] = make([]float64, len(data))
		for r := range n {
			var ss float64
			for t := range d {
				ss += float64(data[r*d+t]) * float64(data[r*d+t])
			}
			s := 1.0
			if metric == Cosine && ss > 0 {
				s = 1 / math.Sqrt(ss)
			}
			for t := range d {
				norm[m][r*d+t] = float64(data[r*d+t]) * s
			}
		}
	}
	out := make([][]topk.Item, n)
	type cand struct {
		d float64
		j int
	}
	for i := range n {
		cands := make([]cand, 0, n)
		for j := range n {
			if excludeSelf && i == j {
				continue
			}
			var score float64
			for m, x := range norm {
				d := dims[m]
				var s float64
				for t := range d {
					if metric == L2 {
						diff := x[i*d+t] - x[j*d+t]
						s += diff * diff
					} else {
						s += x[i*d+t] * x[j*d+t]
					}
				}
				score += weights[m] * s
			}
			if metric != L2 {
				score = -score
			}
			if score <= limit {
				cands = append(cands, cand{score, j})
			}
		}
		slices.SortFunc(cands, func(a, b cand) int {
			if c := cmp.Compare(a.d, b.d); c != 0 {
				return c
			}
			return cmp.Compare(a.j, b.j)
		})
		for _, c := range cands[:min(k, len(cands))] {
			out[i] = append(out[i], topk.Item{Dist: float32(c.d), Slot: uint32(c.j)})
		}
	}
	return out
}

// checkGraph compares g with the reference, allowing swaps among scores tied within tol
// (relative to the score's magnitude when that is above 1).
func checkGraph(t *testing.T, g csr, want [][]topk.Item, sign float32, tol float64) {
	t.Helper()
	if g.n != len(want) {
		t.Fatalf("n = %d, want %d", g.n, len(want))
	}
	bad := 0
	for r := range g.n {
		cols := g.indices[g.indptr[r]:g.indptr[r+1]]
		data := g.data[g.indptr[r]:g.indptr[r+1]]
		w := want[r]
		ok := len(cols) == len(w)
		for i := 0; ok && i < len(cols); i++ {
			d := float64(data[i] * sign)
			tol := tol * math.Max(1, math.Abs(d))
			if math.Abs(d-float64(w[i].Dist)) > tol {
				ok = false
			}
			if i > 0 && float64(data[i-1]*sign) > d {
				ok = false // not sorted best first
			}
			if uint32(cols[i]) != w[i].Slot {
				// A different column is fine only if its exact score ties with the reference's.
				if math.Abs(float64(w[i].Dist)-d) > tol {
					ok = false
				}
			}
		}
		if !ok {
			bad++
			if bad < 5 {
				t.Errorf("row %d: got cols %v data %v, want %v", r, cols[:min(5, len(cols))], data[:min(5, len(data))], w[:min(5, len(w))])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d rows differ from brute force", bad, g.n)
	}
}

func TestExactMatchesBruteForce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 403 // not a multiple of any block size
	a, b := randMatrix(n, 37, 1), randMatrix(n, 20, 2)
	pa, pb := writeMatrix(t, dir, "a.npy", n, 37, a), writeMatrix(t, dir, "b.npy", n, 20, b)
	minScore, maxDist := 0.1, 40.0
	cases := []struct {
		name    string
		metric  Metric
		inputs  []Input
		k       int
		exclude bool
		block   int
		threads int
		min     *float64
		max     *float64
	}{
		{"cosine-2mod-exclude", Cosine, []Input{{pa, 0.7}, {pb, 0.3}}, 25, true, 0, 2, nil, nil},
		{"cosine-block32-3threads", Cosine, []Input{{pa, 1}}, 10, false, 32, 3, nil, nil},
		{"l2-block32", L2, []Input{{pa, 1}}, 10, false, 32, 2, nil, nil},
		{"ip-minscore", IP, []Input{{pa, 0.5}, {pb, 2}}, 30, true, 64, 2, &minScore, nil},
		{"l2-maxdist", L2, []Input{{pa, 1}, {pb, 1}}, 15, true, 0, 1, nil, &maxDist},
		{"k-all", Cosine, []Input{{pb, 1}}, n - 1, true, 0, 2, nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "g.npz")
			cfg := Config{Inputs: c.inputs, K: c.k, Metric: c.metric, ExcludeSelf: c.exclude, Out: out,
				Threads: c.threads, Block: c.block, MinScore: c.min, MaxDistance: c.max}
			res, err := Run(cfg, Env{})
			if err != nil {
				t.Fatal(err)
			}
			var mats [][]float32
			var dims []int
			var ws []float64
			for _, in := range c.inputs {
				m, _ := bench.ReadMatrix(in.Path)
				mats, dims, ws = append(mats, m.Data), append(dims, m.Cols), append(ws, in.Weight)
			}
			limit := math.Inf(1)
			if c.min != nil {
				limit = -*c.min
			}
			if c.max != nil {
				limit = *c.max
			}
			want := bruteForce(mats, dims, ws, c.metric, c.k, c.exclude, limit)
			sign := float32(-1)
			if c.metric == L2 {
				sign = 1
			}
			g := readNpz(t, out)
			checkGraph(t, g, want, sign, 1e-5)
			if res.Edges != int64(len(g.indices)) {
				t.Errorf("Result.Edges = %d, graph has %d", res.Edges, len(g.indices))
			}
			if _, err := os.Stat(out + ".ckpt"); !os.IsNotExist(err) {
				t.Errorf("checkpoint left behind: %v", err)
			}
		})
	}
}

// TestDeterministic: the output bytes do not depend on the thread count, and TSV agrees with npz.
func TestDeterministic(t *testing.T) {
	dir := t.TempDir()
	const n = 500
	p := writeMatrix(t, dir, "x.npy", n, 24, randMatrix(n, 24, 9))
	// Duplicate rows make exact ties, which must be broken by column number.
	x, _ := bench.ReadMatrix(p)
	copy(x.Data[10*24:11*24], x.Data[20*24:21*24])
	copy(x.Data[30*24:31*24], x.Data[20*24:21*24])
	p = writeMatrix(t, dir, "x.npy", n, 24, x.Data)
	var outs [][]byte
	for _, threads := range []int{1, 2, 5} {
		out := filepath.Join(dir, "g.npz")
		if _, err := Run(Config{Inputs: []Input{{p, 1}}, K: 7, Metric: Cosine, Out: out, Threads: threads}, Env{}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		outs = append(outs, b)
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Fatalf("output with threads run %d differs from the first", i)
		}
	}
	g := readNpz(t, filepath.Join(dir, "g.npz"))
	row20 := g.indices[g.indptr[20]:g.indptr[21]]
	if !slices.Equal(row20[:3], []int32{10, 20, 30}) {
		t.Errorf("row 20 starts %v; want the tied duplicates 10, 20, 30 in column order", row20[:3])
	}
	tsv := filepath.Join(dir, "g.tsv")
	if _, err := Run(Config{Inputs: []Input{{p, 1}}, K: 7, Metric: Cosine, Out: tsv}, Env{}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(tsv)
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) != len(g.indices) {
		t.Fatalf("TSV has %d lines, npz %d edges", len(lines), len(g.indices))
	}
	if lines[0] != "0\t0\t1" && !strings.HasPrefix(lines[0], "0\t0\t0.99999") {
		t.Errorf("first TSV line %q, want row 0 itself first", lines[0])
	}
}
