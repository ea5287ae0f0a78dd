package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/config"
)

type harness struct {
	t   testing.TB
	srv *Server
	ts  *httptest.Server
	dir string
	key string // sent as api-key by do
}

func newHarness(t testing.TB, dir string, tweak ...func(*config.Config)) *harness {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = dir
	cfg.MaxBodyBytes = 1 << 20
	cfg.AccessLogSample = 0
	for _, f := range tweak {
		f(&cfg)
	}
	srv, err := New(cfg, "test", slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	close(srv.ready)
	h := &harness{t: t, srv: srv, ts: httptest.NewServer(srv.Handler()), dir: dir}
	t.Cleanup(h.close)
	return h
}

func (h *harness) close() {
	if h.ts != nil {
		h.ts.Close()
		h.srv.Close()
		h.ts = nil
	}
}

// do sends a request and decodes the JSON response; it returns the status and the decoded body.
func (h *harness) do(method, path, body string) (int, map[string]any) {
	return h.doKey(method, path, body, h.key)
}

// doKey is do with an explicit API key ("" sends none).
func (h *harness) doKey(method, path, body, key string) (int, map[string]any) {
	h.t.Helper()
	req, _ := http.NewRequest(method, h.ts.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("api-key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		h.t.Fatalf("%s %s: non-JSON response %d: %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func (h *harness) ok(method, path, body string) any {
	h.t.Helper()
	code, out := h.do(method, path, body)
	if code != 200 || out["status"] != "ok" {
		h.t.Fatalf("%s %s: %d %v", method, path, code, out)
	}
	return out["result"]
}

// fails asserts a Qdrant-shaped error with the given status whose message contains want.
func (h *harness) fails(method, path, body string, status int, want string) {
	h.t.Helper()
	code, out := h.do(method, path, body)
	st, _ := out["status"].(map[string]any)
	msg, _ := st["error"].(string)
	if code != status || !strings.Contains(msg, want) {
		h.t.Fatalf("%s %s %s: got %d %q, want %d containing %q", method, path, body, code, msg, status, want)
	}
}

func TestEndToEndFlow(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/docs", `{"vectors":{"size":4,"distance":"Dot"}}`)
	h.ok("PUT", "/collections/docs/points?wait=true", `{"points":[
		{"id":1,"vector":[0.05,0.61,0.76,0.74],"payload":{"city":"Berlin","n":1}},
		{"id":2,"vector":[0.19,0.81,0.75,0.11],"payload":{"city":["Berlin","London"],"n":2}},
		{"id":3,"vector":[0.36,0.55,0.47,0.94],"payload":{"city":["Berlin","Moscow"],"n":3}},
		{"id":4,"vector":[0.18,0.01,0.85,0.80],"payload":{"city":["London","Moscow"],"n":4}},
		{"id":"550e8400-e29b-41d4-a716-446655440000","vector":[0.24,0.18,0.22,0.44],"payload":{"count":[0]}}]}`)
	// Qdrant's documented example: ids 4, 1, 3 with these scores.
	res := h.ok("POST", "/collections/docs/points/query", `{"query":[0.2,0.1,0.9,0.7],"limit":3}`).(map[string]any)
	pts := res["points"].([]any)
	wantIDs := []string{"4", "1", "3"}
	wantScores := []string{"1.362", "1.273", "1.208"}
	for i, p := range pts {
		pm := p.(map[string]any)
		if fmt.Sprint(pm["id"]) != wantIDs[i] || fmt.Sprint(pm["score"])[:5] != wantScores[i] {
			t.Fatalf("query result %d = %v", i, pm)
		}
		if _, ok := pm["version"]; !ok {
			t.Fatal("scored point lacks version")
		}
	}
	// Filtered legacy search.
	legacy := h.ok("POST", "/collections/docs/points/search", `{"vector":[0.2,0.1,0.9,0.7],"limit":3,"filter":{"should":[{"key":"city","match":{"value":"London"}}]},"with_payload":["n"]}`).([]any)
	if len(legacy) != 2 || fmt.Sprint(legacy[0].(map[string]any)["id"]) != "4" || fmt.Sprint(legacy[0].(map[string]any)["payload"]) != "map[n:4]" {
		t.Fatalf("filtered search = %v", legacy)
	}
	// Query by id excludes the point itself.
	byID := h.ok("POST", "/collections/docs/points/query", `{"query":1,"limit":10}`).(map[string]any)["points"].([]any)
	if len(byID) != 4 {
		t.Fatalf("query by id returned %d points", len(byID))
	}
	for _, p := range byID {
		if fmt.Sprint(p.(map[string]any)["id"]) == "1" {
			t.Fatal("query by id returned its own point")
		}
	}
	// Get, payload ops, count, scroll.
	got := h.ok("GET", "/collections/docs/points/550e8400-e29b-41d4-a716-446655440000", "").(map[string]any)
	if got["id"] != "550e8400-e29b-41d4-a716-446655440000" || len(got["vector"].([]any)) != 4 {
		t.Fatalf("get by uuid = %v", got)
	}
	h.ok("POST", "/collections/docs/points/payload?wait=true", `{"payload":{"extra":true},"points":[1,2]}`)
	h.ok("PUT", "/collections/docs/index?wait=true", `{"field_name":"n","field_schema":"integer"}`)
	cnt := h.ok("POST", "/collections/docs/points/count", `{"filter":{"must":[{"key":"extra","match":{"value":true}},{"key":"n","range":{"gte":2}}]}}`).(map[string]any)
	if fmt.Sprint(cnt["count"]) != "1" {
		t.Fatalf("count = %v", cnt)
	}
	h.ok("POST", "/collections/docs/points/delete?wait=true", `{"filter":{"must":[{"key":"city","match":{"value":"Moscow"}}]}}`)
	scroll := h.ok("POST", "/collections/docs/points/scroll", `{"limit":10}`).(map[string]any)
	if n := len(scroll["points"].([]any)); n != 3 || scroll["next_page_offset"] != nil {
		t.Fatalf("scroll after delete: %v", scroll)
	}
	info := h.ok("GET", "/collections/docs", "").(map[string]any)
	if fmt.Sprint(info["points_count"]) != "3" || fmt.Sprint(info["segments_count"]) != "1" {
		t.Fatalf("info = %v", info)
	}
	schema := info["payload_schema"].(map[string]any)["n"].(map[string]any)
	if schema["data_type"] != "integer" {
		t.Fatalf("payload_schema = %v", schema)
	}
	if ex := h.ok("GET", "/collections/docs/exists", "").(map[string]any); ex["exists"] != true {
		t.Fatal("exists false")
	}
	if del := h.ok("DELETE", "/collections/docs", ""); del != true {
		t.Fatal("delete returned false")
	}
	h.fails("GET", "/collections/docs", "", 404, "doesn't exist")
}

func TestErrorsAreQdrantShaped(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/c", `{"vectors":{"size":3,"distance":"Cosine"}}`)
	h.ok("PUT", "/collections/named", `{"vectors":{"a":{"size":2,"distance":"Dot"}}}`)
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"POST", "/collections/nope/points/query", `{"query":[1,2,3]}`, 404, "Collection `nope` doesn't exist"},
		{"PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1,2]}]}`, 400, "expected 3, got 2"},
		{"PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1,2,1e40]}]}`, 400, "float32"},
		{"PUT", "/collections/c/points", `{"points":[{"id":1,"vector":[1,2,3]}`, 400, "Json deserialize error"},
		{"PUT", "/collections/c/points", `{"points":[{"id":-3,"vector":[1,2,3]}]}`, 400, "unsigned integer or a UUID"},
		{"PUT", "/collections/c/points", `{"points":[{"id":"not-a-uuid","vector":[1,2,3]}]}`, 400, "UUID"},
		{"POST", "/collections/c/points/query", `{"query":[1,2,3],"filter":{"must":[{"key":"a","range":{"gt":"x"}}]}}`, 400, "range"},
		{"POST", "/collections/c/points/query", `{"query":[1,2,3],"using":"zzz"}`, 400, "Not existing vector name error: zzz"},
		{"POST", "/collections/named/points/query", `{"query":[1,2]}`, 400, "named vectors"},
		{"PUT", "/collections/named/points", `{"points":[{"id":1,"vector":{"b":[1,2]}}]}`, 400, "Not existing vector name error: b"},
		{"POST", "/collections/c/points/query", `{"query":[1,2,3],"limit":0}`, 400, "limit"},
		{"POST", "/collections/c/points/query", `{"query":{"recommend":{}}}`, 400, "not supported"},
		{"PUT", "/collections/c", `{"vectors":{"size":3,"distance":"Cosine"}}`, 409, "already exists"},
		{"PUT", "/collections/bad", `{"vectors":{"size":0,"distance":"Cosine"}}`, 400, "size"},
		{"PUT", "/collections/bad", `{"vectors":{"size":3,"distance":"Hamming"}}`, 400, "distance"},
		{"POST", "/collections/c/points/payload", `{"payload":{"a":1},"points":[42]}`, 404, "42"},
		{"GET", "/collections/c/points/77", "", 404, "77"},
		{"PUT", "/collections/c/points?wait=maybe", `{"points":[{"id":1,"vector":[1,2,3]}]}`, 400, "wait"},
		{"GET", "/no/such/route", "", 404, "no endpoint"},
	}
	for _, tc := range cases {
		h.fails(tc.method, tc.path, tc.body, tc.status, tc.want)
	}
	// Nothing rejected was written.
	if n := h.ok("POST", "/collections/c/points/count", "").(map[string]any)["count"]; fmt.Sprint(n) != "0" {
		t.Fatalf("rejected writes left %v points", n)
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/c", `{"vectors":{"size":3,"distance":"Cosine"}}`)
	big := `{"points":[` + strings.Repeat(`{"id":1,"vector":[1,2,3]},`, 60000) + `{"id":1,"vector":[1,2,3]}]}`
	h.fails("PUT", "/collections/c/points", big, 413, "limit")
}

func TestPanicBecomes500(t *testing.T) {
	h := newHarness(t, t.TempDir())
	handler := h.srv.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), `"error"`) {
		t.Fatalf("panic answered %d %s", rec.Code, rec.Body.String())
	}
	// The server still answers afterwards.
	h.ok("GET", "/collections", "")
}

func TestAcknowledgedWritesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.ok("PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Euclid"}}`)
	for i := 0; i < 20; i++ {
		wait := []string{"true", "false"}[i%2]
		h.ok("PUT", "/collections/c/points?wait="+wait, fmt.Sprintf(`{"batch":{"ids":[%d],"vectors":[[%d,0]],"payloads":[{"i":%d}]}}`, i, i, i))
	}
	h.close()
	h2 := newHarness(t, dir)
	pts := h2.ok("POST", "/collections/c/points/query", `{"query":[0,0],"limit":100,"with_payload":true}`).(map[string]any)["points"].([]any)
	if len(pts) != 20 {
		t.Fatalf("after restart %d points, want 20", len(pts))
	}
	for i, p := range pts {
		pm := p.(map[string]any)
		if fmt.Sprint(pm["id"]) != fmt.Sprint(i) || fmt.Sprint(pm["score"]) != fmt.Sprint(i) {
			t.Fatalf("point %d after restart: %v", i, pm)
		}
	}
}

func TestServiceEndpoints(t *testing.T) {
	h := newHarness(t, t.TempDir())
	root := h.ok2("GET", "/")
	if root["version"] != QdrantVersion || root["needle_version"] != "test" {
		t.Fatalf("root = %v", root)
	}
	for _, p := range []string{"/healthz", "/livez", "/readyz", "/docs"} {
		resp, err := http.Get(h.ts.URL + p)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s: %v %v", p, err, resp.Status)
		}
		resp.Body.Close()
	}
	h.ok("PUT", "/collections/m", `{"vectors":{"size":2,"distance":"Dot"}}`)
	h.ok("POST", "/collections/m/points/count", "")
	resp, _ := http.Get(h.ts.URL + "/metrics")
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`needle_http_requests_total{endpoint="POST /collections/{name}/points/count",method="POST",status="200"} 1`,
		`needle_http_request_duration_seconds_bucket`, `needle_collection_points{collection="m"} 0`, `go_goroutines`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Fatalf("/metrics lacks %q", want)
		}
	}
	spec := h.ok2("GET", "/openapi.json")
	paths, _ := spec["paths"].(map[string]any)
	if _, ok := paths["/collections/{collection_name}/points/query"]; !ok {
		t.Fatalf("openapi.json lacks the query path")
	}
}

func (h *harness) ok2(method, path string) map[string]any {
	code, out := h.do(method, path, "")
	if code != 200 {
		h.t.Fatalf("%s %s: %d", method, path, code)
	}
	return out
}
