package collection

import (
	"context"
	"errors"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

func boolp(b bool) *bool { return &b }

// clusteredVec draws a point near one of a few fixed centres, so that neighbours are meaningful.
func clusteredVec(rng *rand.Rand, centres [][]float32) []float32 {
	c := centres[rng.Intn(len(centres))]
	v := make([]float32, len(c))
	for i := range v {
		v[i] = c[i] + 0.5*float32(rng.NormFloat64())
	}
	return v
}

// TestQuantizedSegments: every quantization_config builds its codes with the sealed segment's
// graph, searches traverse with them and rescore (oversampling raises recall, rescore=false
// returns the codes' scores, ignore searches in float32), the codes persist across a restart
// without being rebuilt, and memory use is reported.
func TestQuantizedSegments(t *testing.T) {
	const n = 3000
	cases := []struct {
		name  string
		q     QuantizationConfig
		codes string  // codes file glob; "" for scalar (codes live in the graph)
		dim   int     // binary codes need many dimensions to rank well
		over  float64 // oversampling that must reach recall 0.9
	}{
		{"scalar", QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8", Quantile: ptrF(0.99)}}, "", 32, 4},
		{"product", QuantizationConfig{Product: &ProductQuantization{Compression: "x8"}}, "codes-*.pq", 32, 4},
		{"binary", QuantizationConfig{Binary: &BinaryQuantization{}}, "codes-*.binary", 256, 10},
		// datatype float16, no quantization_config: precise codes, scores returned unrescored
		{"float16", QuantizationConfig{}, "codes-*.f16", 32, 1},
	}
	for _, tc := range cases {
		dim := tc.dim
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			m, _ := OpenManager(dir, testOptions(), quiet)
			q := &tc.q
			vp := VectorParams{Size: dim, Distance: Cosine, OnDisk: boolp(true)}
			precise := tc.name == "float16"
			if precise {
				q, vp.Datatype = nil, "float16"
			}
			cfg := &Config{Vectors: map[string]VectorParams{"": vp}, Unnamed: true,
				Hnsw: HnswConfig{FullScanThreshold: intp(0)}, Quantization: q}
			if err := m.Create("q", cfg); err != nil {
				t.Fatal(err)
			}
			c, _ := m.Get("q")
			rng := rand.New(rand.NewSource(3))
			centres := make([][]float32, 8)
			for i := range centres {
				centres[i] = randVec(rng, dim)
				if tc.name == "binary" {
					// Sign codes rank by direction: give the points more spread than the
					// clusters (as embeddings have), or every code of a cluster is alike.
					for j := range centres[i] {
						centres[i][j] *= 0.2
					}
				}
			}
			pts := map[pointid.ID][]float32{}
			op := Op{Kind: OpUpsert}
			for i := 0; i < n; i++ {
				v := clusteredVec(rng, centres)
				pts[pointid.Num(uint64(i))] = v
				op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": v}})
			}
			ctx := context.Background()
			if _, err := c.Submit(ctx, &op, true); err != nil {
				t.Fatal(err)
			}
			if err := c.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			var files []string
			if tc.codes != "" {
				files, _ = filepath.Glob(filepath.Join(dir, "collections", "q", "segments", "*", tc.codes))
				if len(files) != 1 {
					t.Fatalf("codes files: %v", files)
				}
			}
			queries := make([][]float32, 50)
			for i := range queries {
				queries[i] = clusteredVec(rng, centres)
			}
			tol := float32(1e-4)
			if precise {
				tol = 2e-3 // half precision: scores within its rounding
			}
			run := func(label string, mod func(*SearchRequest)) (recall float64, exactScores bool) {
				hits, exact := 0, true
				for _, v := range queries {
					req := SearchRequest{Vector: v, Limit: 10, Ef: 64}
					mod(&req)
					got, err := c.Search(ctx, req)
					if err != nil {
						t.Fatalf("%s: %v", label, err)
					}
					want := bruteForce(Cosine, pts, v, nil)[:10]
					in := map[pointid.ID]bool{}
					for _, w := range want {
						in[w] = true
					}
					for _, r := range got {
						if in[r.ID] {
							hits++
						}
						if d := r.Score - cosine(v, pts[r.ID]); d > tol || d < -tol {
							exact = false
						}
					}
				}
				return float64(hits) / float64(10*len(queries)), exact
			}
			over, overExact := run("oversampling", func(r *SearchRequest) { r.Oversampling = tc.over })
			plain, _ := run("default", func(*SearchRequest) {})
			raw, rawExact := run("no rescore", func(r *SearchRequest) { r.NoRescore = true })
			ign, ignExact := run("ignore", func(r *SearchRequest) { r.IgnoreQuantization = true })
			t.Logf("%s: recall oversampling %v %.3f, default %.3f, unrescored %.3f, ignored %.3f", tc.name, tc.over, over, plain, raw, ign)
			if over < 0.9 || over < raw {
				t.Errorf("recall with oversampling %v = %.3f (unrescored %.3f)", tc.over, over, raw)
			}
			if !overExact || !ignExact {
				t.Errorf("rescored or float32 searches returned inexact scores")
			}
			if rawExact != precise {
				t.Errorf("rescore=false returned exact scores %v (codes precise: %v)", rawExact, precise)
			}
			if ign < 0.95 {
				t.Errorf("float32 search (quantization ignored) recall %.3f", ign)
			}
			if _, err := c.Search(ctx, SearchRequest{Vector: queries[0], Limit: 10, Oversampling: 0.5}); err == nil {
				t.Errorf("oversampling 0.5 was accepted")
			}
			mem := c.Memory().Vectors[""]
			if !mem.OnDisk || mem.VectorBytes != int64(n*dim*4) || mem.IndexBytes <= 0 || (tc.codes != "") != (mem.CodeBytes > 0) {
				t.Errorf("memory report %+v", mem)
			}
			// Restart: codes are read, not rebuilt, and searches behave the same.
			var mod []os.FileInfo
			for _, f := range files {
				st, _ := os.Stat(f)
				mod = append(mod, st)
			}
			m.Close()
			m, _ = OpenManager(dir, testOptions(), quiet)
			defer m.Close()
			c, _ = m.Get("q")
			for i, f := range files {
				st, err := os.Stat(f)
				if err != nil || !st.ModTime().Equal(mod[i].ModTime()) {
					t.Fatalf("codes file changed on restart: %v", err)
				}
			}
			again, _ := run("after restart", func(r *SearchRequest) { r.Oversampling = tc.over })
			rawAgain, rawExactAgain := run("no rescore after restart", func(r *SearchRequest) { r.NoRescore = true })
			if again != over || rawAgain != raw || rawExactAgain != precise {
				t.Errorf("after restart: recall %.3f (was %.3f), unrescored %.3f (was %.3f)", again, over, rawAgain, raw)
			}
			checkClean(t, dir)
		})
	}
}

func ptrF(v float64) *float64 { return &v }

func cosine(a, b []float32) float32 {
	var ab, aa, bb float64
	for i := range a {
		ab += float64(a[i]) * float64(b[i])
		aa += float64(a[i]) * float64(a[i])
		bb += float64(b[i]) * float64(b[i])
	}
	return float32(ab / (math.Sqrt(aa) * math.Sqrt(bb)))
}

// TestFloat16Range: a float16 vector space refuses values its half-precision copy would turn into
// infinities (400, nothing written), except for Cosine, whose vectors are normalised.
func TestFloat16Range(t *testing.T) {
	m, _ := OpenManager(t.TempDir(), testOptions(), quiet)
	defer m.Close()
	cfg := &Config{Vectors: map[string]VectorParams{
		"dot": {Size: 2, Distance: Dot, Datatype: "float16"},
		"cos": {Size: 2, Distance: Cosine, Datatype: "float16"}}}
	if err := m.Create("h", cfg); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Get("h")
	ctx := context.Background()
	_, err := c.Submit(ctx, &Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1),
		Vectors: map[string][]float32{"dot": {1, 70000}}}}}, true)
	if !errors.Is(err, ErrInvalid) {
		t.Fatalf("70000 in a float16 Dot vector: %v", err)
	}
	if n := c.Count(nil); n != 0 {
		t.Fatalf("%d points after a refused upsert", n)
	}
	if _, err := c.Submit(ctx, &Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(1),
		Vectors: map[string][]float32{"dot": {1, 65504}, "cos": {1, 70000}}}}}, true); err != nil {
		t.Fatalf("in-range float16 and a Cosine vector: %v", err)
	}
}

// A float16 collection's float32 files are left cold (and reported on disk) only in segments that
// search through the float16 copy, which is what the segment holds, not what the configuration
// would give today: below the full-scan threshold there is no graph, and scans read the floats.
func TestFloat16AdviceFollowsSegments(t *testing.T) {
	for _, tc := range []struct {
		threshold int
		onDisk    bool
	}{{0, true}, {1_000_000, false}} {
		m := newManager(t, t.TempDir())
		cfg := &Config{Vectors: map[string]VectorParams{"": {Size: 8, Distance: Dot, Datatype: "float16"}}, Unnamed: true,
			Hnsw: HnswConfig{FullScanThreshold: intp(tc.threshold)}}
		if err := m.Create("f", cfg); err != nil {
			t.Fatal(err)
		}
		c, _ := m.Get("f")
		rng := rand.New(rand.NewSource(1))
		op := &Op{Kind: OpUpsert}
		for i := range 300 {
			op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": randVec(rng, 8)}})
		}
		if _, err := c.Submit(context.Background(), op, true); err != nil {
			t.Fatal(err)
		}
		if err := c.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		if got := c.Memory().Vectors[""].OnDisk; got != tc.onDisk {
			t.Errorf("full_scan_threshold %d: on_disk reported %v, want %v", tc.threshold, got, tc.onDisk)
		}
		m.Close()
	}
}
