package crashtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestOverloadStaysBounded drives the real server at ten times its capacity (search workers plus
// queue) with filtered exact queries, which cannot be coalesced, and asserts that every answer is
// a result or a clean rejection (503 or 429 with Retry-After, in Qdrant's error shape) and that
// resident memory stays bounded while it lasts.
func TestOverloadStaysBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	const workers, queue = 2, 8
	s := start(t, t.TempDir(), "--search-workers", fmt.Sprint(workers), "--search-queue", fmt.Sprint(queue),
		"--cache-bytes", "0", "--log-level", "warn", "--access-log-sample", "0")
	defer s.stop()
	s.mustCall("PUT", "/collections/load", map[string]any{"vectors": map[string]any{"size": 64, "distance": "Dot"}}, nil)
	rng := rand.New(rand.NewSource(1))
	for b := 0; b < 40; b++ {
		pts := make([]map[string]any, 1000)
		for j := range pts {
			v := make([]float32, 64)
			for k := range v {
				v[k] = rng.Float32()
			}
			pts[j] = map[string]any{"id": b*1000 + j, "vector": v, "payload": map[string]any{"g": j % 10}}
		}
		s.mustCall("PUT", "/collections/load/points?wait=true", map[string]any{"points": pts}, nil)
	}
	base := rssOf(s.cmd.Process.Pid)
	clients := 10 * (workers + queue)
	var ok, rejected, bad atomic.Int64
	var peak atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	cl := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			q := make([]float32, 64)
			q[w%64] = 1
			body, _ := json.Marshal(map[string]any{"query": q, "limit": 10,
				"filter": map[string]any{"must_not": []any{map[string]any{"key": "g", "match": map[string]any{"value": w % 10}}}}})
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := cl.Post(s.url+"/collections/load/points/query", "application/json", bytes.NewReader(body))
				if err != nil {
					bad.Add(1)
					continue
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					ok.Add(1)
				case (resp.StatusCode == 503 || resp.StatusCode == 429) && resp.Header.Get("Retry-After") != "" && bytes.Contains(raw, []byte(`"error"`)):
					rejected.Add(1)
				default:
					bad.Add(1)
					t.Errorf("unexpected answer %d %s", resp.StatusCode, raw)
				}
			}
		}(w)
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if r := rssOf(s.cmd.Process.Pid); r > peak.Load() {
			peak.Store(r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d clients for 3s: %d results, %d clean rejections, %d other; RSS %d MB before, peak %d MB",
		clients, ok.Load(), rejected.Load(), bad.Load(), base>>20, peak.Load()>>20)
	if bad.Load() != 0 || ok.Load() == 0 || rejected.Load() == 0 {
		t.Fatalf("want results and clean rejections only: %d ok, %d rejected, %d bad", ok.Load(), rejected.Load(), bad.Load())
	}
	if peak.Load() > base+256<<20 {
		t.Fatalf("resident memory grew from %d MB to %d MB under overload", base>>20, peak.Load()>>20)
	}
}
