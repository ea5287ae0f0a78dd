package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/needlevdb/needle/internal/config"
	"github.com/needlevdb/needle/internal/embed"
)

// fakeUpstream is the one permitted test double: an OpenAI-compatible /v1/embeddings server (no
// embedding model can run here). It embeds a text as [len, count of 'a', 1] (dimension dims), or
// fails while fail is set.
func fakeUpstream(t *testing.T, dims int, fail *atomic.Bool) *httptest.Server {
	t.Helper()
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			http.Error(w, `{"error":{"message":"down"}}`, http.StatusInternalServerError)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		type item struct {
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []item
		for i, text := range req.Input {
			v := make([]float32, dims)
			v[0] = float32(len(text))
			if dims > 1 {
				v[1] = float32(strings.Count(text, "a"))
			}
			if dims > 2 {
				v[2] = 1
			}
			data = append(data, item{i, v})
		}
		json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
	}))
}

func TestDocumentsEmbeddedByProviders(t *testing.T) {
	var fail atomic.Bool
	up := fakeUpstream(t, 3, &fail)
	defer up.Close()
	bad := fakeUpstream(t, 2, &atomic.Bool{}) // returns 2 dimensions where 3 are configured
	defer bad.Close()
	h := newHarness(t, t.TempDir(), func(c *config.Config) {
		c.Embedding = []embed.Provider{
			{Name: "fake", Dimensions: 3, Retries: -1, Upstreams: []embed.Upstream{{BaseURL: up.URL}}},
			{Name: "wrongdims", Dimensions: 3, Retries: -1, Upstreams: []embed.Upstream{{BaseURL: bad.URL}}},
		}
	})
	h.ok("PUT", "/collections/d", `{"vectors":{"text":{"size":3,"distance":"Euclid"}},"sparse_vectors":{"kw":{"modifier":"idf"}}}`)
	h.ok("PUT", "/collections/d/points?wait=true", `{"points":[
		{"id":1,"vector":{"text":{"text":"banana","model":"fake"},"kw":{"text":"banana bread","model":"qdrant/bm25"}}},
		{"id":2,"vector":{"text":{"text":"kiwi","model":"fake"}}},
		{"id":3,"vector":{"text":{"text":"papaya salad","model":"fake"}}}]}`)
	res := h.ok("POST", "/collections/d/points/query", `{"query":{"text":"banane","model":"fake"},"using":"text","limit":1,"with_vector":true}`).(map[string]any)["points"].([]any)
	// "banane" embeds as [6,2,1]; "banana" as [6,3,1] is the nearest.
	if fmt.Sprint(ids2(res)) != "[1]" || scores(res)[0] != 1 {
		t.Fatalf("query by document: %v %v", ids2(res), scores(res))
	}
	h.fails("POST", "/collections/d/points/query", `{"query":{"text":"x","model":"nope"},"using":"text"}`, 400, "nope")
	h.fails("PUT", "/collections/d/points?wait=true", `{"points":[{"id":9,"vector":{"text":{"text":"x","model":"wrongdims"}}}]}`, 502, "")
	fail.Store(true)
	h.fails("PUT", "/collections/d/points?wait=true", `{"points":[{"id":7,"vector":{"text":{"text":"fig","model":"fake"}}},{"id":8,"vector":{"text":{"text":"plum","model":"fake"}}}]}`, 503, "")
	fail.Store(false)
	if n := h.ok("POST", "/collections/d/points/count", "").(map[string]any)["count"]; fmt.Sprint(n) != "3" {
		t.Fatalf("a failed embedding half-applied a write: %v points", n)
	}
	resp, _ := http.Get(h.ts.URL + "/metrics")
	var body strings.Builder
	buf := make([]byte, 1<<16)
	for {
		n, err := resp.Body.Read(buf)
		body.Write(buf[:n])
		if err != nil {
			break
		}
	}
	resp.Body.Close()
	if !strings.Contains(body.String(), "needle_embed") {
		t.Fatalf("/metrics lacks the embedding series")
	}
}
