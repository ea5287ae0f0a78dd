package collection

import (
	"context"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// TestIVFSegments: an ivf_config collection gives sealed segments IVF indexes (flat or PQ lists)
// instead of graphs: searched with nprobe, exact with every list probed (flat), deletes honoured,
// persisted and loaded on restart, checked, and counted in memory and indexed_vectors_count.
func TestIVFSegments(t *testing.T) {
	for _, pqm := range []int{0, 8} {
		dir := t.TempDir()
		m, _ := OpenManager(dir, testOptions(), quiet)
		cfg := &Config{Vectors: map[string]VectorParams{"": {Size: 32, Distance: Euclid}}, Unnamed: true,
			Hnsw: HnswConfig{FullScanThreshold: intp(0)}, Ivf: &IvfConfig{Nlist: 16, Nprobe: 4, PQM: pqm}}
		if err := m.Create("v", cfg); err != nil {
			t.Fatal(err)
		}
		c, _ := m.Get("v")
		rng := rand.New(rand.NewSource(8))
		centres := make([][]float32, 8)
		for i := range centres {
			centres[i] = randVec(rng, 32)
		}
		pts := map[pointid.ID][]float32{}
		op := Op{Kind: OpUpsert}
		for i := 0; i < 3000; i++ {
			v := clusteredVec(rng, centres)
			pts[pointid.Num(uint64(i))] = v
			op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": v}})
		}
		ctx := context.Background()
		c.Submit(ctx, &op, true)
		if err := c.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "collections", "v", "segments", "*", "ivf-*.bin"))
		graphs, _ := filepath.Glob(filepath.Join(dir, "collections", "v", "segments", "*", "hnsw-*.bin"))
		if len(files) != 1 || len(graphs) != 0 || c.Info().IndexedPoints != 3000 {
			t.Fatalf("pq_m %d: ivf files %v, graphs %v, indexed %d", pqm, files, graphs, c.Info().IndexedPoints)
		}
		var del []pointid.ID
		for i := 0; i < 3000; i += 3 {
			del = append(del, pointid.Num(uint64(i)))
			delete(pts, pointid.Num(uint64(i)))
		}
		c.Submit(ctx, &Op{Kind: OpDelete, Select: Selector{IDs: del}}, true)
		recall := func(nprobe int) float64 {
			hits := 0
			for q := 0; q < 40; q++ {
				v := clusteredVec(rng, centres)
				got, err := c.Search(ctx, SearchRequest{Vector: v, Limit: 10, Nprobe: nprobe})
				if err != nil {
					t.Fatal(err)
				}
				want := map[pointid.ID]bool{}
				for _, id := range bruteForce(Euclid, pts, v, nil)[:10] {
					want[id] = true
				}
				for _, r := range got {
					if _, live := pts[r.ID]; !live {
						t.Fatalf("deleted point %v returned", r.ID)
					}
					if want[r.ID] {
						hits++
					}
				}
			}
			return float64(hits) / 400
		}
		all, few := recall(16), recall(1)
		t.Logf("pq_m %d: recall nprobe 16 %.3f, nprobe 1 %.3f", pqm, all, few)
		if pqm == 0 && all != 1 || pqm > 0 && all < 0.9 || few > all {
			t.Errorf("pq_m %d: recall with every list %.3f, with one %.3f", pqm, all, few)
		}
		if _, err := c.Search(ctx, SearchRequest{Vector: randVec(rng, 32), Limit: 10, Nprobe: -1}); err == nil {
			t.Error("nprobe -1 accepted")
		}
		if mem := c.Memory().Vectors[""]; mem.IndexBytes <= 0 {
			t.Errorf("memory %+v", mem)
		}
		st, _ := os.Stat(files[0])
		m.Close()
		m, _ = OpenManager(dir, testOptions(), quiet)
		c, _ = m.Get("v")
		if st2, err := os.Stat(files[0]); err != nil || !st2.ModTime().Equal(st.ModTime()) {
			t.Fatalf("ivf file rewritten on restart: %v", err)
		}
		if again := recall(16); pqm == 0 && again != 1 || again < 0.9 {
			t.Errorf("after restart: recall %.3f", again)
		}
		findings, _ := Check(dir)
		for _, f := range findings {
			if f.Err != nil {
				t.Errorf("check %s: %v", f.What, f.Err)
			}
		}
		m.Close()
	}
	bad := &Config{Vectors: map[string]VectorParams{"": {Size: 30, Distance: Euclid}}, Unnamed: true, Ivf: &IvfConfig{Nlist: 16, PQM: 8}}
	if err := bad.Validate(); err == nil {
		t.Error("pq_m 8 for size 30 accepted")
	}
	both := &Config{Vectors: map[string]VectorParams{"": {Size: 32, Distance: Euclid}}, Unnamed: true, Ivf: &IvfConfig{Nlist: 16},
		Quantization: &QuantizationConfig{Scalar: &ScalarQuantization{Type: "int8"}}}
	if err := both.Validate(); err == nil {
		t.Error("ivf_config with quantization_config accepted")
	}
}
