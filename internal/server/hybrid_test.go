package server

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/bm25"
)

func ids2(pts []any) []string {
	out := make([]string, len(pts))
	for i, p := range pts {
		out[i] = fmt.Sprint(p.(map[string]any)["id"])
	}
	return out
}

func scores(pts []any) []float64 {
	out := make([]float64, len(pts))
	for i, p := range pts {
		fmt.Sscan(fmt.Sprint(p.(map[string]any)["score"]), &out[i])
	}
	return out
}

func TestSparseVectorsAndRestart(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.ok("PUT", "/collections/s", `{"vectors":{"dense":{"size":2,"distance":"Dot"}},"sparse_vectors":{"text":{}}}`)
	h.ok("PUT", "/collections/s/points?wait=true", `{"points":[
		{"id":1,"vector":{"dense":[1,0],"text":{"indices":[3,1],"values":[0.5,2]}}},
		{"id":2,"vector":{"text":{"indices":[1,7],"values":[1,1]}}},
		{"id":3,"vector":{"dense":[0,1]}}]}`)
	h.fails("PUT", "/collections/s/points", `{"points":[{"id":4,"vector":{"text":{"indices":[1,1],"values":[1,2]}}}]}`, 400, "twice")
	h.fails("PUT", "/collections/s/points", `{"points":[{"id":4,"vector":{"text":{"indices":[1],"values":[1,2]}}}]}`, 400, "indices")
	check := func(label string) {
		res := h.ok("POST", "/collections/s/points/query", `{"query":{"indices":[1,3],"values":[1,1]},"using":"text","with_vector":true}`).(map[string]any)["points"].([]any)
		// point 1: 2*1 + 0.5*1 = 2.5; point 2: 1*1 = 1; point 3 has no sparse vector.
		if got := ids2(res); fmt.Sprint(got) != "[1 2]" || scores(res)[0] != 2.5 || scores(res)[1] != 1 {
			t.Fatalf("%s: sparse query = %v %v", label, got, scores(res))
		}
		v := res[0].(map[string]any)["vector"].(map[string]any)["text"].(map[string]any)
		if fmt.Sprint(v["indices"]) != "[1 3]" || fmt.Sprint(v["values"]) != "[2 0.5]" {
			t.Fatalf("%s: sparse vector returned as %v", label, v)
		}
	}
	check("fresh")
	h.srv.manager.Get("s")
	c, _ := h.srv.manager.Get("s")
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	check("after checkpoint")
	h.ok("POST", "/collections/s/points/payload?wait=true", `{"payload":{"x":1},"points":[1]}`) // moves point 1 out of the sealed segment
	check("after move")
	h.close()
	h2 := newHarness(t, dir)
	h = h2
	check("after restart")
	info := h.ok("GET", "/collections/s", "").(map[string]any)
	if _, ok := info["config"].(map[string]any)["params"].(map[string]any)["sparse_vectors"].(map[string]any)["text"]; !ok {
		t.Fatalf("info lacks sparse_vectors: %v", info["config"])
	}
}

// TestBM25MatchesHandComputedReference indexes a small corpus with server-side BM25 and checks the
// ranking and scores against BM25 computed here from first principles.
func TestBM25MatchesHandComputedReference(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/docs", `{"vectors":{},"sparse_vectors":{"bm25":{"modifier":"idf"}}}`)
	corpus := []string{
		"The quick brown fox jumps over the lazy dog",
		"A quick brown dog outpaces a quick fox",
		"Lazy dogs sleep all day long",
		"Foxes are quick and clever animals",
		"Nothing in common here at all",
	}
	var pts []string
	for i, doc := range corpus {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"bm25":{"text":%q,"model":"qdrant/bm25"}},"payload":{"text":%q}}`, i, doc, doc))
	}
	h.ok("PUT", "/collections/docs/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
	query := "quick fox"
	o := bm25.DefaultOptions()
	docs := make([][]string, len(corpus))
	for i, d := range corpus {
		docs[i] = bm25.Tokens(d)
	}
	// check compares the answer with BM25 (k=1.2, b=0.75, avg_len=256, IDF
	// ln(1 + (N - df + 0.5)/(df + 0.5))) over the live documents: N and df count only those.
	check := func(label string, live []int) {
		t.Helper()
		res := h.ok("POST", "/collections/docs/points/query", fmt.Sprintf(`{"query":{"text":%q,"model":"Qdrant/BM25"},"using":"bm25","limit":10}`, query)).(map[string]any)["points"].([]any)
		type ref struct {
			id    int
			score float64
		}
		var want []ref
		for _, i := range live {
			toks := docs[i]
			s := 0.0
			for _, q := range uniq(bm25.Tokens(query)) {
				tf, df := 0.0, 0
				for _, tk := range toks {
					if tk == q {
						tf++
					}
				}
				for _, j := range live {
					if contains(docs[j], q) {
						df++
					}
				}
				if tf == 0 {
					continue
				}
				idf := math.Log(1 + (float64(len(live))-float64(df)+0.5)/(float64(df)+0.5))
				s += idf * tf * (o.K + 1) / (tf + o.K*(1-o.B+o.B*float64(len(toks))/o.AvgLen))
			}
			if s > 0 {
				want = append(want, ref{i, s})
			}
		}
		sort.Slice(want, func(a, b int) bool { return want[a].score > want[b].score })
		if len(res) != len(want) {
			t.Fatalf("%s: got %d results, reference %d: %v", label, len(res), len(want), ids2(res))
		}
		got := scores(res)
		for i, w := range want {
			if ids2(res)[i] != fmt.Sprint(w.id) || math.Abs(got[i]-w.score) > 1e-4*w.score {
				t.Fatalf("%s: rank %d: got id %s score %v, reference id %d score %v", label, i, ids2(res)[i], got[i], w.id, w.score)
			}
		}
	}
	check("fresh", []int{0, 1, 2, 3, 4})
	// Deleted points of a sealed segment keep their postings but leave the document frequencies.
	c, _ := h.srv.manager.Get("docs")
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	check("sealed", []int{0, 1, 2, 3, 4})
	h.ok("POST", "/collections/docs/points/delete?wait=true", `{"points":[1]}`)
	check("sealed, one deleted", []int{0, 2, 3, 4})
	h.ok("POST", "/collections/docs/points/delete?wait=true", `{"points":[1,3]}`)
	check("sealed, two deleted", []int{0, 2, 4})
	h.fails("POST", "/collections/docs/points/query", `{"query":{"text":"x","model":"no/such-model"},"using":"bm25"}`, 400, "unknown model")
}

func uniq(s []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// TestHybridFusionMatchesReference runs dense and sparse prefetches fused by RRF and DBSF and checks
// the result against the fusion computed here from the prefetches' own results.
func TestHybridFusionMatchesReference(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/h", `{"vectors":{"d":{"size":3,"distance":"Euclid"}},"sparse_vectors":{"s":{}}}`)
	var pts []string
	for i := 0; i < 40; i++ {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":{"d":[%d,%d,%d],"s":{"indices":[%d,%d],"values":[%d,1]}},"payload":{"g":%d}}`,
			i, i%7, i%5, i%3, i%4, 10+i%6, 1+i%9, i%2))
	}
	h.ok("PUT", "/collections/h/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
	dense := `{"query":[1,2,1],"using":"d","limit":12,"filter":{"must":[{"key":"g","match":{"value":0}}]}}`
	sparse := `{"query":{"indices":[1,12],"values":[1,2]},"using":"s","limit":12,"filter":{"must":[{"key":"g","match":{"value":0}}]}}`
	dres := h.ok("POST", "/collections/h/points/query", dense).(map[string]any)["points"].([]any)
	sres := h.ok("POST", "/collections/h/points/query", sparse).(map[string]any)["points"].([]any)
	for _, method := range []string{"rrf", "dbsf"} {
		body := fmt.Sprintf(`{"prefetch":[{"query":[1,2,1],"using":"d","limit":12},{"query":{"indices":[1,12],"values":[1,2]},"using":"s","limit":12}],
			"query":{"fusion":%q},"limit":8,"filter":{"must":[{"key":"g","match":{"value":0}}]},"with_payload":true}`, method)
		res := h.ok("POST", "/collections/h/points/query", body).(map[string]any)["points"].([]any)
		want := map[string]float64{}
		for li, list := range [][]any{dres, sres} {
			sc := scores(list)
			if method == "dbsf" && li == 0 {
				for i := range sc {
					sc[i] = -sc[i] // Euclid distances: smaller is better
				}
			}
			mean, sd := meanSD(sc)
			for pos, id := range ids2(list) {
				if method == "rrf" {
					want[id] += 1 / float64(pos+2)
				} else if len(sc) < 2 || sd == 0 {
					want[id] += 0.5
				} else {
					want[id] += (sc[pos] - (mean - 3*sd)) / (6 * sd)
				}
			}
		}
		type kv struct {
			id string
			s  float64
		}
		var ref []kv
		for id, s := range want {
			ref = append(ref, kv{id, s})
		}
		sort.Slice(ref, func(a, b int) bool {
			if ref[a].s != ref[b].s {
				return ref[a].s > ref[b].s
			}
			var x, y int
			fmt.Sscan(ref[a].id, &x)
			fmt.Sscan(ref[b].id, &y)
			return x < y
		})
		got := scores(res)
		for i := range res {
			if math.Abs(got[i]-ref[i].s) > 1e-4 {
				t.Fatalf("%s rank %d: got %s %v, reference %s %v", method, i, ids2(res)[i], got[i], ref[i].id, ref[i].s)
			}
		}
		if res[0].(map[string]any)["payload"] == nil {
			t.Fatalf("%s: payload missing", method)
		}
	}
	// Re-scoring a prefetch with a dense query: only prefetched points, ordered by the new query.
	res := h.ok("POST", "/collections/h/points/query", `{"prefetch":{"query":{"indices":[1],"values":[1]},"using":"s","limit":5},"query":[6,4,2],"using":"d","limit":3}`).(map[string]any)["points"].([]any)
	pre := ids2(h.ok("POST", "/collections/h/points/query", `{"query":{"indices":[1],"values":[1]},"using":"s","limit":5}`).(map[string]any)["points"].([]any))
	if len(res) != 3 {
		t.Fatalf("rescore returned %d", len(res))
	}
	for _, id := range ids2(res) {
		if !contains(pre, id) {
			t.Fatalf("rescore returned %s, not among the prefetch %v", id, pre)
		}
	}
	if sc := scores(res); !(sc[0] <= sc[1] && sc[1] <= sc[2]) {
		t.Fatalf("rescored Euclid distances not ascending: %v", sc)
	}
}

func meanSD(x []float64) (float64, float64) {
	if len(x) < 2 {
		return 0, 0
	}
	m := 0.0
	for _, v := range x {
		m += v
	}
	m /= float64(len(x))
	v := 0.0
	for _, y := range x {
		v += (y - m) * (y - m)
	}
	return m, math.Sqrt(v / float64(len(x)-1))
}

func TestMMR(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/m", `{"vectors":{"size":2,"distance":"Cosine"}}`)
	// Three near-duplicates close to the query and one distinct, slightly less relevant point.
	h.ok("PUT", "/collections/m/points?wait=true", `{"points":[
		{"id":1,"vector":[1,0.01]},{"id":2,"vector":[1,0.02]},{"id":3,"vector":[1,0.03]},{"id":4,"vector":[0.7,0.7]}]}`)
	plain := ids2(h.ok("POST", "/collections/m/points/query", `{"query":[1,0.1],"limit":2}`).(map[string]any)["points"].([]any))
	div := ids2(h.ok("POST", "/collections/m/points/query", `{"query":{"nearest":[1,0.1],"mmr":{"diversity":0.9,"candidates_limit":4}},"limit":2}`).(map[string]any)["points"].([]any))
	if plain[1] == "4" || div[1] != "4" {
		t.Fatalf("plain %v, mmr %v: mmr should pick the distinct point second", plain, div)
	}
}

// TestMMROverflowAndLimits: distances that overflow to infinity (every relevance -Inf, every MMR
// score NaN) still give results, not a panic; candidate limits beyond the cap are a 400.
func TestMMROverflowAndLimits(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/o", `{"vectors":{"size":2,"distance":"Euclid"}}`)
	h.ok("PUT", "/collections/o/points?wait=true", `{"points":[{"id":1,"vector":[3e38,3e38]},{"id":2,"vector":[3e38,2e38]}]}`)
	if res := h.ok("POST", "/collections/o/points/query", `{"query":[-3e38,-3e38],"limit":2}`).(map[string]any)["points"].([]any); len(res) != 2 {
		t.Fatalf("plain query with overflowing distances: %v", res)
	}
	for _, div := range []string{"0", "0.5"} {
		res := h.ok("POST", "/collections/o/points/query", `{"query":{"nearest":[-3e38,-3e38],"mmr":{"diversity":`+div+`}},"limit":2}`).(map[string]any)["points"].([]any)
		if len(res) != 2 {
			t.Fatalf("diversity %s: %v", div, res)
		}
	}
	h.fails("POST", "/collections/o/points/query", `{"query":{"nearest":[1,1],"mmr":{"candidates_limit":20000}},"limit":2}`, 400, "candidates_limit")
	h.fails("POST", "/collections/o/points/query", `{"query":{"nearest":[1,1],"mmr":{}},"limit":20000}`, 400, "mmr")
}

func TestUpdateAndDeleteVectors(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/u", `{"vectors":{"size":2,"distance":"Dot"},"sparse_vectors":{"bm25":{"modifier":"idf"}}}`)
	h.ok("PUT", "/collections/u/points?wait=true", `{"points":[{"id":1,"vector":[1,0],"payload":{"k":"v"}},{"id":2,"vector":[0,1]}]}`)
	c, _ := h.srv.manager.Get("u")
	c.Checkpoint() // point 1 is sealed: the update must move it and keep its dense vector and payload
	h.ok("PUT", "/collections/u/points/vectors?wait=true", `{"points":[{"id":1,"vector":{"bm25":{"text":"red apples","model":"qdrant/bm25"}}}]}`)
	got := h.ok("POST", "/collections/u/points", `{"ids":[1],"with_vector":true}`).([]any)[0].(map[string]any)
	v := got["vector"].(map[string]any)
	if fmt.Sprint(v[""]) != "[1 0]" || v["bm25"] == nil || fmt.Sprint(got["payload"]) != "map[k:v]" {
		t.Fatalf("after update: %v", got)
	}
	res := h.ok("POST", "/collections/u/points/query", `{"query":{"text":"apple","model":"qdrant/bm25"},"using":"bm25"}`).(map[string]any)["points"].([]any)
	if fmt.Sprint(ids2(res)) != "[1]" {
		t.Fatalf("bm25 query after update: %v", ids2(res))
	}
	h.fails("PUT", "/collections/u/points/vectors", `{"points":[{"id":9,"vector":[1,1]}]}`, 404, "9")
	h.ok("POST", "/collections/u/points/vectors/delete?wait=true", `{"points":[1],"vector":["bm25"]}`)
	if res := h.ok("POST", "/collections/u/points/query", `{"query":{"text":"apple","model":"qdrant/bm25"},"using":"bm25"}`).(map[string]any)["points"].([]any); len(res) != 0 {
		t.Fatalf("bm25 vector not deleted: %v", ids2(res))
	}
}

func TestHnswConfigAndParams(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/x", `{"vectors":{"size":8,"distance":"Euclid"},"hnsw_config":{"m":8,"ef_construct":40,"full_scan_threshold":0}}`)
	var pts []string
	for i := 0; i < 500; i++ {
		pts = append(pts, fmt.Sprintf(`{"id":%d,"vector":[%d,%d,%d,%d,%d,%d,%d,%d]}`, i, i%7, i%11, i%13, i%3, i%5, i%17, i%19, i%23))
	}
	h.ok("PUT", "/collections/x/points?wait=true", `{"points":[`+strings.Join(pts, ",")+`]}`)
	c, _ := h.srv.manager.Get("x")
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	info := h.ok("GET", "/collections/x", "").(map[string]any)
	hc := info["config"].(map[string]any)["hnsw_config"].(map[string]any)
	if fmt.Sprintf("%v %v %v", hc["m"], hc["ef_construct"], info["indexed_vectors_count"]) != "8 40 500" {
		t.Fatalf("info: hnsw_config %v, indexed %v", hc, info["indexed_vectors_count"])
	}
	exact := h.ok("POST", "/collections/x/points/query", `{"query":[1,2,3,1,2,3,1,2],"limit":5,"params":{"exact":true}}`).(map[string]any)["points"].([]any)
	approx := h.ok("POST", "/collections/x/points/query", `{"query":[1,2,3,1,2,3,1,2],"limit":5,"params":{"hnsw_ef":200}}`).(map[string]any)["points"].([]any)
	if fmt.Sprint(scores(exact)) != fmt.Sprint(scores(approx)) {
		t.Fatalf("hnsw_ef=200 on 500 points should match exact: %v vs %v", scores(approx), scores(exact))
	}
	h.ok("PATCH", "/collections/x", `{"hnsw_config":{"m":24}}`)
	hc = h.ok("GET", "/collections/x", "").(map[string]any)["config"].(map[string]any)["hnsw_config"].(map[string]any)
	if fmt.Sprintf("%v %v", hc["m"], hc["ef_construct"]) != "24 40" {
		t.Fatalf("after PATCH: %v", hc)
	}
	h.fails("PATCH", "/collections/x", `{"hnsw_config":{"m":1}}`, 400, "m must be")
}

// A sparse vector without entries (Qdrant accepts them: BM25 of a text of stop words) stays
// present through a checkpoint and a restart: returned as empty, and counted among the documents
// that IDF divides by.
func TestEmptySparseVectorSurvivesSealing(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, dir)
	h.ok("PUT", "/collections/e", `{"vectors":{},"sparse_vectors":{"text":{"modifier":"idf"}}}`)
	h.ok("PUT", "/collections/e/points?wait=true", `{"points":[
		{"id":1,"vector":{"text":{"indices":[1,2],"values":[1,1]}}},
		{"id":2,"vector":{"text":{"indices":[],"values":[]}}}]}`)
	check := func(label string) {
		t.Helper()
		got := h.ok("POST", "/collections/e/points", `{"ids":[2],"with_vector":true}`).([]any)
		if len(got) != 1 || fmt.Sprint(got[0].(map[string]any)["vector"]) != "map[text:map[indices:[] values:[]]]" {
			t.Fatalf("%s: points %v", label, got)
		}
		// IDF over N = 2 documents carrying the vector, one holding term 1:
		// ln(1 + (2 - 1 + 0.5)/(1 + 0.5)) = ln 2.
		res := h.ok("POST", "/collections/e/points/query", `{"query":{"indices":[1],"values":[1]},"using":"text"}`).(map[string]any)["points"].([]any)
		if len(res) != 1 || math.Abs(scores(res)[0]-math.Ln2) > 1e-6 {
			t.Fatalf("%s: query %v, want point 1 scored ln 2", label, res)
		}
	}
	check("fresh")
	c, _ := h.srv.manager.Get("e")
	if err := c.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	check("sealed")
	h.close()
	h = newHarness(t, dir)
	check("after restart")
}
