package collection

import (
	"context"
	"encoding/binary"
	"hash/crc32"
	"math/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// TestOldBinaryCodesRebuilt: a binary codes file of an older format version (intact, but not
// readable by this build) is rebuilt from the segment's vectors on open, replaces the file,
// and searches work; Check does not report it.
func TestOldBinaryCodesRebuilt(t *testing.T) {
	const n, dim = 500, 64
	dir := t.TempDir()
	m, _ := OpenManager(dir, testOptions(), quiet)
	cfg := &Config{Vectors: map[string]VectorParams{"": {Size: dim, Distance: Cosine}}, Unnamed: true,
		Hnsw: HnswConfig{FullScanThreshold: intp(0)}, Quantization: &QuantizationConfig{Binary: &BinaryQuantization{}}}
	if err := m.Create("q", cfg); err != nil {
		t.Fatal(err)
	}
	c, _ := m.Get("q")
	rng := rand.New(rand.NewSource(5))
	op := Op{Kind: OpUpsert}
	for i := 0; i < n; i++ {
		op.Points = append(op.Points, Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": randVec(rng, dim)}})
	}
	ctx := context.Background()
	if _, err := c.Submit(ctx, &op, true); err != nil {
		t.Fatal(err)
	}
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "collections", "q", "segments", "*", "codes-*.binary"))
	if len(files) != 1 {
		t.Fatalf("codes files: %v", files)
	}
	m.Close()

	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	want := binary.LittleEndian.Uint32(b[8:])
	binary.LittleEndian.PutUint32(b[8:], 1) // an older version, with a valid header checksum
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], crc32.MakeTable(crc32.Castagnoli)))
	if err := os.WriteFile(files[0], b, 0o644); err != nil {
		t.Fatal(err)
	}
	checkClean(t, dir)
	q := op.Points[7].Vectors[""]

	// A rebuild that cannot publish its file (a directory in the way of its temporary file)
	// still opens the collection, with the codes in memory, and leaves the old file.
	blocker := files[0] + ".tmp"
	if err := os.Mkdir(blocker, 0o755); err != nil {
		t.Fatal(err)
	}
	m, err = OpenManager(dir, testOptions(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	c, err = m.Get("q")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 3, Oversampling: 3}); err != nil || len(got) == 0 || got[0].ID != pointid.Num(7) {
		t.Fatalf("search with unpublished rebuilt codes: %v, %v", got, err)
	}
	if c.Memory().Vectors[""].CodeBytes <= 0 {
		t.Fatal("no codes attached after an unpublished rebuild")
	}
	m.Close()
	if b, err := os.ReadFile(files[0]); err != nil || binary.LittleEndian.Uint32(b[8:]) != 1 {
		t.Fatalf("codes file after an unpublished rebuild: %v (want version 1 kept)", err)
	}
	os.Remove(blocker)

	m, err = OpenManager(dir, testOptions(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	c, err = m.Get("q")
	if err != nil {
		t.Fatal(err)
	}
	b, err = os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if v := binary.LittleEndian.Uint32(b[8:]); v != want {
		t.Fatalf("codes file version %d after open, want %d (rebuilt)", v, want)
	}
	got, err := c.Search(ctx, SearchRequest{Vector: q, Limit: 3, Oversampling: 3})
	if err != nil || len(got) == 0 || got[0].ID != pointid.Num(7) {
		t.Fatalf("search after the rebuild: %v, %v", got, err)
	}
	if c.Memory().Vectors[""].CodeBytes <= 0 {
		t.Fatal("no codes attached after the rebuild")
	}
}
