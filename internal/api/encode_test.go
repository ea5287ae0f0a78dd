package api

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// AppendScoredPoints writes exactly what encoding/json writes, for every kind of id, score,
// payload and vector a search returns.
func TestAppendScoredPointsMatchesEncodingJSON(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var uuid pointid.ID
	if err := uuid.UnmarshalJSON([]byte(`"550e8400-e29b-41d4-a716-446655440000"`)); err != nil {
		t.Fatal(err)
	}
	scores := []float32{0, -0.0, 1, -1.5, 1e-7, 3.4e-7, 1e-6, 9.99e-7, 1e20, 1e21, 3e38, math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, 0.1, 123456.79}
	for range 200 {
		scores = append(scores, float32(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(60)-30))))
	}
	var pts []ScoredPoint
	for i, s := range scores {
		p := ScoredPoint{ID: pointid.Num(rng.Uint64()), Version: rng.Uint64() >> uint(rng.IntN(64)), Score: s}
		if i%3 == 0 {
			p.ID = uuid
		}
		if i%4 == 1 {
			p.Payload = map[string]any{"a": "<b>&\u2028", "n": json.Number("12"), "x": []any{1.5, nil, true}}
		}
		if i%5 == 2 {
			p.Vector = []float32{1, 2.5e-8}
		}
		if i%7 == 3 {
			p.Vector = map[string]any{"img": []float32{0.25}}
		}
		pts = append(pts, p)
	}
	for _, list := range [][]ScoredPoint{nil, {}, pts[:1], pts} {
		want, err := json.Marshal(list)
		if err != nil {
			t.Fatal(err)
		}
		got, err := AppendScoredPoints(nil, list)
		if err != nil || string(got) != string(want) {
			t.Fatalf("got %s (%v)\nwant %s", got, err, want)
		}
	}
	if _, err := AppendScoredPoints(nil, []ScoredPoint{{Score: float32(math.Inf(1))}}); err == nil {
		t.Error("an infinite score was encoded")
	}
}
