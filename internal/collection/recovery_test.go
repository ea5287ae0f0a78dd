package collection

import (
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDamagedCollectionFailsAloneAndCheckFindsIt: a checksum failure inside a collection's WAL
// (not at its tail) or segment puts that collection in a failed state naming the file and offset;
// the other collection keeps serving; nothing is deleted; Check reports the same problem.
func TestDamagedCollectionFailsAloneAndCheckFindsIt(t *testing.T) {
	for _, target := range []string{"wal", "segment"} {
		t.Run(target, func(t *testing.T) {
			dir := t.TempDir()
			m := newManager(t, dir)
			for _, name := range []string{"good", "bad"} {
				m.Create(name, &Config{Vectors: map[string]VectorParams{"": {Size: 4, Distance: Dot}}, Unnamed: true})
				c, _ := m.Get(name)
				rng := rand.New(rand.NewSource(1))
				upsertN(t, c, 0, 50, 4, rng)
				if target == "segment" {
					if err := c.Checkpoint(); err != nil {
						t.Fatal(err)
					}
				}
				upsertN(t, c, 50, 50, 4, rng)
				upsertN(t, c, 100, 50, 4, rng)
			}
			m.Close()
			if findings, err := Check(dir); err != nil || countProblems(findings) != 0 {
				t.Fatalf("healthy data dir: %v %v", findings, err)
			}
			var victim string
			if target == "wal" {
				files, _ := filepath.Glob(filepath.Join(dir, "collections", "bad", "wal", "*.log"))
				victim = files[len(files)-1]
			} else {
				files, _ := filepath.Glob(filepath.Join(dir, "collections", "bad", "segments", "*", "vec-0.f32"))
				victim = files[0]
			}
			data, _ := os.ReadFile(victim)
			data[len(data)/3] ^= 0xff
			os.WriteFile(victim, data, 0o644)
			before := listFiles(t, dir)

			m = newManager(t, dir)
			defer m.Close()
			if _, err := m.Get("good"); err != nil {
				t.Fatalf("the healthy collection does not serve: %v", err)
			}
			if c, _ := m.Get("good"); c.Count(nil) != 150 {
				t.Fatalf("healthy collection lost points")
			}
			_, err := m.Get("bad")
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), victim) {
				t.Fatalf("damaged collection: %v (want unavailable, naming %s)", err, victim)
			}
			if target == "wal" && !strings.Contains(err.Error(), "offset") {
				t.Fatalf("wal damage error does not give the offset: %v", err)
			}
			if !m.Exists("bad") {
				t.Fatal("a failed collection must still exist")
			}
			if after := listFiles(t, dir); len(after) < len(before) {
				t.Fatalf("files were deleted from a damaged collection: %d -> %d", len(before), len(after))
			}
			findings, _ := Check(dir)
			if countProblems(findings) != 1 {
				t.Fatalf("check found %d problems: %+v", countProblems(findings), findings)
			}
		})
	}
}

// checkClean fails t for every problem Check finds in dir.
func checkClean(t *testing.T, dir string) {
	t.Helper()
	findings, err := Check(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		if f.Err != nil {
			t.Errorf("check %s: %v", f.What, f.Err)
		}
	}
}

func countProblems(fs []Finding) int {
	n := 0
	for _, f := range fs {
		if f.Err != nil {
			n++
		}
	}
	return n
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.Walk(filepath.Join(dir, "collections"), func(p string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			out = append(out, p)
		}
		return nil
	})
	return out
}
