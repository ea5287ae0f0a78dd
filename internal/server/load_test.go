package server

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/needlevdb/needle/internal/config"
)

func TestAPIKeys(t *testing.T) {
	h := newHarness(t, t.TempDir(), func(c *config.Config) {
		c.APIKeys = config.List{"full-secret-1"}
		c.ReadOnlyAPIKeys = config.List{"read-secret-2"}
	})
	h.key = "full-secret-1"
	h.ok("PUT", "/collections/k", `{"vectors":{"size":2,"distance":"Dot"}}`)
	h.ok("PUT", "/collections/k/points?wait=true", `{"points":[{"id":1,"vector":[1,0]}]}`)
	for _, tc := range []struct {
		method, path, body, key string
		status                  int
	}{
		{"POST", "/collections/k/points/query", `{"query":[1,0]}`, "", 401},
		{"POST", "/collections/k/points/query", `{"query":[1,0]}`, "wrong", 401},
		{"POST", "/collections/k/points/query", `{"query":[1,0]}`, "read-secret-2", 200},
		{"POST", "/collections/k/points/count", ``, "read-secret-2", 200},
		{"PUT", "/collections/k/points?wait=true", `{"points":[{"id":2,"vector":[1,0]}]}`, "read-secret-2", 403},
		{"POST", "/collections/k/points/delete", `{"points":[1]}`, "read-secret-2", 403},
		{"DELETE", "/collections/k", ``, "read-secret-2", 403},
		{"PUT", "/collections/other", `{"vectors":{"size":2,"distance":"Dot"}}`, "read-secret-2", 403},
		{"GET", "/debug/pprof/cmdline", ``, "read-secret-2", 403},
		{"GET", "/healthz", ``, "", 200},
	} {
		req, _ := http.NewRequest(tc.method, h.ts.URL+tc.path, strings.NewReader(tc.body))
		if tc.key != "" {
			req.Header.Set("Authorization", "Bearer "+tc.key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s with %q: %d %s, want %d", tc.method, tc.path, tc.key, resp.StatusCode, body, tc.status)
		}
	}
	req, _ := http.NewRequest("GET", h.ts.URL+"/debug/pprof/cmdline", nil)
	req.Header.Set("api-key", "full-secret-1")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("pprof with a full key: %v %v", err, resp.Status)
	}
	usage := h.ok("GET", "/usage", "").(map[string]any)["callers"].([]any)
	if len(usage) != 2 {
		t.Fatalf("usage = %v", usage)
	}
	for _, u := range usage {
		s := fmt.Sprint(u)
		if strings.Contains(s, "secret") {
			t.Fatalf("usage reveals a key: %s", s)
		}
	}
}

func TestResultCacheHitsAndInvalidation(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Euclid"}}`)
	h.ok("PUT", "/collections/c/points?wait=true", `{"points":[{"id":1,"vector":[1,0]},{"id":2,"vector":[0,1]}]}`)
	q := `{"query":[1,0.1],"limit":1}`
	first := fmt.Sprint(h.ok("POST", "/collections/c/points/query", q))
	hits := func() float64 { h, _, _, _ := h.srv.cache.Stats(); return float64(h) }
	if second := fmt.Sprint(h.ok("POST", "/collections/c/points/query", q)); second != first || hits() != 1 {
		t.Fatalf("second identical query: hits %v, %s vs %s", hits(), second, first)
	}
	h.ok("PUT", "/collections/c/points?wait=true", `{"points":[{"id":3,"vector":[1,0.1]}]}`)
	after := h.ok("POST", "/collections/c/points/query", q).(map[string]any)["points"].([]any)
	if fmt.Sprint(after[0].(map[string]any)["id"]) != "3" || hits() != 1 {
		t.Fatalf("a write did not invalidate the cache: %v (hits %v)", after, hits())
	}
	resp, _ := http.Get(h.ts.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"needle_cache_hits_total 1", "needle_cache_misses_total 2", "needle_search_queue_depth 0", "needle_search_distance_computations_count 2", `collection="c"`} {
		if !strings.Contains(string(body), want) {
			t.Fatalf("/metrics lacks %q", want)
		}
	}
}

func TestOverloadIsRejectedCleanly(t *testing.T) {
	h := newHarness(t, t.TempDir(), func(c *config.Config) { c.SearchWorkers, c.SearchQueue = 1, 0 })
	h.ok("PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	release, err := h.srv.sched.Acquire(t.Context()) // occupy the only worker
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", h.ts.URL+"/collections/c/points/query", strings.NewReader(`{"query":[1,0]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "overloaded") {
		t.Fatalf("overload answered %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	release()
	h.ok("POST", "/collections/c/points/query", `{"query":[1,0]}`)
	if n := testutil.ToFloat64(h.srv.metrics.rejected.WithLabelValues("overloaded")); n != 1 {
		t.Fatalf("rejected{overloaded} = %v", n)
	}
}
