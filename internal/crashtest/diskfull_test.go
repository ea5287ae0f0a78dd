package crashtest

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDiskFull runs the server on a small tmpfs: when the disk fills, writes fail with a clear 5xx
// while reads keep working; after space returns and a restart, every acknowledged point is intact
// and writes work. Needs mount rights (root); skipped otherwise.
func TestDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here (%v: %s); the disk-full test needs root", err, strings.TrimSpace(string(out)))
	}
	defer exec.Command("umount", "-l", dir).Run()
	args := []string{"--seal-after", "200ms", "--log-level", "warn"}
	s := start(t, dir, args...)
	s.mustCall("PUT", "/collections/full", map[string]any{"vectors": map[string]any{"size": 64, "distance": "Dot"}}, nil)
	acked := map[uint64]bool{}
	var lastErr error
	for b := 0; b < 1000; b++ {
		pts := make([]map[string]any, 50)
		for j := range pts {
			id := uint64(b*50 + j)
			v := make([]float32, 64)
			v[id%64] = 1
			pts[j] = map[string]any{"id": id, "vector": v, "payload": map[string]any{"b": b, "pad": strings.Repeat("x", 200)}}
		}
		code, err := s.call("PUT", "/collections/full/points?wait=true", map[string]any{"points": pts}, nil)
		if code == 200 {
			for j := range pts {
				acked[uint64(b*50+j)] = true
			}
			continue
		}
		lastErr = err
		if code < 500 {
			t.Fatalf("disk full answered %d, want 5xx: %v", code, err)
		}
		break
	}
	if lastErr == nil {
		t.Fatal("the 3 MiB disk never filled")
	}
	if !strings.Contains(lastErr.Error(), "no space left") {
		t.Fatalf("disk-full error does not say why: %v", lastErr)
	}
	t.Logf("disk full after %d acknowledged points: %v", len(acked), lastErr)
	checkAll := func(s *server, label string) {
		t.Helper()
		got, code, err := scrollAll(s, "full")
		if code != 200 {
			t.Fatalf("%s: reads fail: %d %v", label, code, err)
		}
		for id := range acked {
			if _, ok := got[id]; !ok {
				t.Fatalf("%s: acknowledged point %d missing", label, id)
			}
		}
	}
	checkAll(s, "disk full")
	var q struct {
		Points []any `json:"points"`
	}
	if code, err := s.call("POST", "/collections/full/points/query", map[string]any{"query": make([]float32, 64), "limit": 5}, &q); code != 200 {
		t.Fatalf("query on a full disk: %d %v", code, err)
	}
	time.Sleep(500 * time.Millisecond) // the optimizer tries (and fails) to checkpoint on the full disk
	checkAll(s, "after failed checkpoints")

	// Space returns: writes work again (or report the earlier failure clearly), and after a
	// restart everything acknowledged is there.
	if out, err := exec.Command("mount", "-o", "remount,size=64m", dir).CombinedOutput(); err != nil {
		t.Fatalf("grow tmpfs: %v %s", err, out)
	}
	if code, err := s.call("PUT", "/collections/full/points?wait=true", map[string]any{"points": []map[string]any{{"id": 999998, "vector": make([]float32, 64)}}}, nil); code == 200 {
		acked[999998] = true
	} else {
		t.Logf("write after space returned: %d %v (the log refuses writes after a failed fsync until restart)", code, err)
	}
	s.stop()
	s = start(t, dir, args...)
	checkAll(s, "after restart")
	if code, err := s.call("PUT", "/collections/full/points?wait=true", map[string]any{"points": []map[string]any{{"id": 999997, "vector": make([]float32, 64)}}}, nil); code != 200 {
		t.Fatalf("write after restart with free space: %d %v", code, err)
	}
	s.stop()
}

// TestReadOnlyDirectory makes the collection's files and directories immutable (chattr +i: even
// root cannot write, create or delete) while the server runs: writes fail with a clear 5xx, reads
// keep working, the optimizer's failing checkpoints damage nothing, and once writable again the
// server accepts writes and a restart finds everything acknowledged. Skipped where chattr does not
// work (not ext2/3/4 or no rights).
func TestReadOnlyDirectory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	dir := t.TempDir()
	args := []string{"--seal-after", "100ms", "--log-level", "warn"}
	s := start(t, dir, args...)
	s.mustCall("PUT", "/collections/ro", map[string]any{"vectors": map[string]any{"size": 4, "distance": "Euclid"}}, nil)
	put := func(id int) (int, error) {
		return s.call("PUT", "/collections/ro/points?wait=true", map[string]any{"points": []map[string]any{{"id": id, "vector": []float32{float32(id), 0, 0, 0}, "payload": map[string]any{"id": id}}}}, nil)
	}
	for i := 0; i < 20; i++ {
		if code, err := put(i); code != 200 {
			t.Fatal(err)
		}
	}
	col := dir + "/collections/ro"
	if out, err := exec.Command("chattr", "-R", "+i", col).CombinedOutput(); err != nil {
		s.stop()
		t.Skipf("chattr +i not possible here (%v: %s)", err, strings.TrimSpace(string(out)))
	}
	defer exec.Command("chattr", "-R", "-i", col).Run()
	code, err := put(100)
	if code < 500 || err == nil || !strings.Contains(err.Error(), "not permitted") {
		t.Fatalf("write to a read-only directory answered %d: %v", code, err)
	}
	t.Logf("read-only directory: %v", err)
	time.Sleep(300 * time.Millisecond) // failing background checkpoints
	got, code, err := scrollAll(s, "ro")
	if code != 200 || len(got) != 20 {
		t.Fatalf("reads on a read-only directory: %d points, %d %v", len(got), code, err)
	}
	if out, err := exec.Command("chattr", "-R", "-i", col).CombinedOutput(); err != nil {
		t.Fatalf("chattr -i: %v %s", err, out)
	}
	acked := 20
	if code, _ := put(101); code == 200 {
		acked++
	}
	s.stop()
	s = start(t, dir, args...)
	defer s.stop()
	got, _, _ = scrollAll(s, "ro")
	if len(got) < acked || len(got) > 21 {
		t.Fatalf("after restart %d points, %d acknowledged", len(got), acked)
	}
	if code, err := put(102); code != 200 {
		t.Fatalf("write after restart: %v", err)
	}
}
