package crashtest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/collection"
	"github.com/needlevdb/needle/internal/pointid"
)

// prepare fills dataDir with one collection of n random dim-d vectors, sealed into segments.
func prepare(b *testing.B, dataDir string, n, dim int) {
	b.Helper()
	opts := collection.DefaultOptions()
	opts.Interval = time.Hour
	m, err := collection.OpenManager(dataDir, opts, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	if err := m.Create("bench", &collection.Config{Vectors: map[string]collection.VectorParams{"": {Size: dim, Distance: collection.Euclid}}, Unnamed: true}); err != nil {
		b.Fatal(err)
	}
	c, _ := m.Get("bench")
	rng := rand.New(rand.NewSource(1))
	const batch = 5000
	for from := 0; from < n; from += batch {
		op := &collection.Op{Kind: collection.OpUpsert}
		for i := from; i < min(from+batch, n); i++ {
			v := make([]float32, dim)
			for j := range v {
				v[j] = rng.Float32()
			}
			op.Points = append(op.Points, collection.Point{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": v}})
		}
		if _, err := c.Submit(context.Background(), op, false); err != nil {
			b.Fatal(err)
		}
		if (from/batch)%40 == 39 {
			if err := c.Checkpoint(); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := c.Checkpoint(); err != nil {
		b.Fatal(err)
	}
}

func rssOf(pid int) int64 {
	raw, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "VmRSS:") {
			f := strings.Fields(line)
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

func dirBytes(dir string) int64 {
	var n int64
	filepath.Walk(dir, func(_ string, info os.FileInfo, err error) error {
		if err == nil && info.Mode().IsRegular() {
			n += info.Size()
		}
		return nil
	})
	return n
}

// BenchmarkRestart measures, with the real binary, the time from process start to /readyz, the
// resident memory before the first query, and the first query's latency, for 1M x 128 and
// 100k x 768 collections; with segment verification on (the default) and off. It also times
// snapshot creation and restore of the same collection.
func BenchmarkRestart(b *testing.B) {
	for _, shape := range []struct{ n, dim int }{{1_000_000, 128}, {100_000, 768}} {
		dir := b.TempDir()
		t0 := time.Now()
		prepare(b, dir, shape.n, shape.dim)
		data := dirBytes(filepath.Join(dir, "collections"))
		b.Logf("%dx%d: prepared %.0f MB in %.1fs", shape.n, shape.dim, float64(data)/1e6, time.Since(t0).Seconds())
		for _, verify := range []bool{true, false} {
			b.Run(fmt.Sprintf("n=%d/dim=%d/verify=%v", shape.n, shape.dim, verify), func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					start0 := time.Now()
					s := start(b, dir, "--verify-segments="+strconv.FormatBool(verify), "--log-level", "warn")
					ready := time.Since(start0)
					rss := rssOf(s.cmd.Process.Pid)
					q0 := time.Now()
					var res struct {
						Points []any `json:"points"`
					}
					code, err := s.call("POST", "/collections/bench/points/query", map[string]any{"query": make([]float32, shape.dim), "limit": 10}, &res)
					first := time.Since(q0)
					if code != 200 {
						b.Fatal(err)
					}
					s.stop()
					b.ReportMetric(ready.Seconds()*1000, "ms-to-ready")
					b.ReportMetric(float64(rss)/1e6, "rss-MB-before-query")
					b.ReportMetric(float64(data)/1e6, "data-MB")
					b.ReportMetric(first.Seconds()*1000, "first-query-ms")
				}
			})
		}
		b.Run(fmt.Sprintf("snapshot/n=%d/dim=%d", shape.n, shape.dim), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				m, err := collection.OpenManager(dir, collection.DefaultOptions(), slog.New(slog.NewTextHandler(io.Discard, nil)))
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				info, err := m.CreateSnapshot("bench")
				if err != nil {
					b.Fatal(err)
				}
				create := time.Since(t1)
				path, _ := m.SnapshotPath("bench", info.Name)
				f, _ := os.Open(path)
				t2 := time.Now()
				if err := m.Restore("restored", f, nil); err != nil {
					b.Fatal(err)
				}
				restore := time.Since(t2)
				f.Close()
				m.Delete("restored")
				m.DeleteSnapshot("bench", info.Name)
				m.Close()
				b.ReportMetric(float64(info.Size)/1e6/create.Seconds(), "create-MB/s")
				b.ReportMetric(float64(info.Size)/1e6/restore.Seconds(), "restore-MB/s")
			}
		})
	}
}
