package crashtest

import (
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

type record struct {
	ID      uint64         `json:"id"`
	Payload map[string]any `json:"payload"`
	Vector  []float32      `json:"vector"`
}

func scrollAll(s *server, name string) (map[uint64]record, int, error) {
	var res struct {
		Points []record `json:"points"`
	}
	code, err := s.call("POST", "/collections/"+name+"/points/scroll", map[string]any{"limit": 100000, "with_payload": true, "with_vector": true}, &res)
	out := map[uint64]record{}
	for _, r := range res.Points {
		out[r.ID] = r
	}
	return out, code, err
}

// TestDamagedFiles corrupts every kind of file of a collection — truncation and flipped bytes at
// random offsets — and checks that the server starts, never panics, and either refuses the
// collection (503) or serves exactly the right data (points lost only with a damaged WAL tail).
func TestDamagedFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	base := t.TempDir()
	args := []string{"--seal-after", "100ms", "--log-level", "warn"}
	s := start(t, base, args...)
	s.mustCall("PUT", "/collections/dmg", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Cosine"},
		"hnsw_config":         map[string]any{"full_scan_threshold": 0, "m": 8, "ef_construct": 32},
		"quantization_config": map[string]any{"product": map[string]any{"compression": "x8"}}}, nil)
	s.mustCall("PUT", "/collections/dmg/index?wait=true", map[string]any{"field_name": "g", "field_schema": "keyword"}, nil)
	upsert := func(from, n int) {
		pts := make([]map[string]any, n)
		for i := range pts {
			id := uint64(from + i)
			pts[i] = map[string]any{"id": id, "vector": vectorOf(id), "payload": map[string]any{"g": fmt.Sprint("g", id%5), "i": id}}
		}
		s.mustCall("PUT", "/collections/dmg/points?wait=true", map[string]any{"points": pts}, nil)
	}
	upsert(0, 200)
	time.Sleep(400 * time.Millisecond) // sealed by the optimizer
	s.mustCall("POST", "/collections/dmg/points/delete?wait=true", map[string]any{"points": []int{1, 2, 3}}, nil)
	upsert(200, 50)
	time.Sleep(400 * time.Millisecond) // deletions recorded, second segment sealed
	sealed, _, _ := scrollAll(s, "dmg")
	upsert(250, 30) // stays in the WAL tail
	s.mustCall("POST", "/collections/dmg/points/payload?wait=true", map[string]any{"payload": map[string]any{"x": 1}, "points": []int{10}}, nil)
	want, _, err := scrollAll(s, "dmg")
	if err != nil || len(want) != 277 {
		t.Fatalf("model: %d points, %v", len(want), err)
	}
	s.stop()

	var files []string
	root := filepath.Join(base, "collections", "dmg")
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() && info.Size() > 0 {
			files = append(files, p)
		}
		return nil
	})
	kinds := map[string]bool{}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for _, f := range files {
		rel, _ := filepath.Rel(root, f)
		kinds[kindOf(rel)] = true
		for trial := 0; trial < 3; trial++ {
			dir := t.TempDir()
			copyDir(t, base, dir)
			target := filepath.Join(dir, "collections", "dmg", rel)
			data, _ := os.ReadFile(target)
			var how string
			if trial == 0 {
				cut := rng.Intn(len(data))
				how = fmt.Sprintf("truncated to %d of %d bytes", cut, len(data))
				os.WriteFile(target, data[:cut], 0o644)
			} else {
				off := rng.Intn(len(data))
				how = fmt.Sprintf("byte %d of %d flipped", off, len(data))
				data[off] ^= byte(1 + rng.Intn(255))
				os.WriteFile(target, data, 0o644)
			}
			checkDamaged(t, dir, args, rel, how, want, sealed)
		}
	}
	for _, k := range []string{"config", "manifest", "segment meta", "segment ids", "segment versions", "segment payload", "segment vectors", "deletion bitmap", "hnsw graph", "pq codes", "wal"} {
		if !kinds[k] {
			t.Errorf("no %s file was damaged (files: %v)", k, files)
		}
	}
}

func kindOf(rel string) string {
	base := filepath.Base(rel)
	switch {
	case rel == "config.json":
		return "config"
	case rel == "manifest.json":
		return "manifest"
	case strings.HasPrefix(rel, "wal"):
		return "wal"
	case base == "meta.json":
		return "segment meta"
	case base == "ids.bin":
		return "segment ids"
	case base == "versions.bin":
		return "segment versions"
	case strings.HasPrefix(base, "payload"):
		return "segment payload"
	case strings.HasPrefix(base, "vec-"):
		return "segment vectors"
	case strings.HasPrefix(base, "deleted-"):
		return "deletion bitmap"
	case strings.HasPrefix(base, "hnsw-"):
		return "hnsw graph"
	case strings.HasPrefix(base, "codes-") && strings.HasSuffix(base, ".pq"):
		return "pq codes"
	}
	return base
}

// checkDamaged: with a damaged WAL, a point may also be served as it was before the WAL tail
// (its later records were cut off as a torn tail), never as anything else.
func checkDamaged(t *testing.T, dir string, args []string, rel, how string, want, sealed map[uint64]record) {
	t.Helper()
	s := start(t, dir, args...)
	defer func() {
		s.stop()
		if strings.Contains(s.logs.String(), "panic") {
			t.Fatalf("%s %s: the server logged a panic:\n%s", rel, how, s.logs.String())
		}
	}()
	got, code, err := scrollAll(s, "dmg")
	if code == 503 {
		return // refused: the collection is failed, with its error in the response
	}
	if code != 200 {
		t.Fatalf("%s %s: scroll answered %d %v", rel, how, code, err)
	}
	for id, r := range got {
		w, ok := want[id]
		if !ok {
			t.Fatalf("%s %s: served point %d that does not exist", rel, how, id)
		}
		same := func(a record) bool {
			return fmt.Sprint(r.Payload) == fmt.Sprint(a.Payload) && fmt.Sprint(r.Vector) == fmt.Sprint(a.Vector)
		}
		if old, ok := sealed[id]; !same(w) && !(kindOf(rel) == "wal" && ok && same(old)) {
			t.Fatalf("%s %s: served wrong data for point %d: %v vs %v", rel, how, id, r.Payload, w.Payload)
		}
	}
	if len(got) != len(want) && kindOf(rel) != "wal" {
		t.Fatalf("%s %s: served %d of %d points without refusing the collection", rel, how, len(got), len(want))
	}
	var q struct {
		Points []any `json:"points"`
	}
	if code, err := s.call("POST", "/collections/dmg/points/query", map[string]any{"query": vectorOf(7), "limit": 3, "filter": map[string]any{"must": []any{map[string]any{"key": "g", "match": map[string]any{"value": "g2"}}}}}, &q); code != 200 {
		t.Fatalf("%s %s: query answered %d %v", rel, how, code, err)
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		out := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(out, 0o755)
		}
		if rel == "LOCK" {
			return nil
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		o, err := os.Create(out)
		if err != nil {
			return err
		}
		defer o.Close()
		_, err = io.Copy(o, in)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
