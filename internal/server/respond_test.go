package server

import (
	"encoding/json"
	"math"
	"net/http/httptest"
	"testing"

	"github.com/needlevdb/needle/internal/api"
)

// writeEncodedResult writes the bytes writeResult writes for the same result.
func TestWriteEncodedResultMatchesWriteResult(t *testing.T) {
	result := map[string]any{"points": []map[string]any{{"id": 1, "score": 0.5, "payload": map[string]string{"a": "<b>&"}}}}
	encoded, err := json.Marshal(result)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []float64{0, 1.5e-7, 0.000123, 12.25, 3e21, math.SmallestNonzeroFloat64} {
		got := api.AppendJSONFloat(nil, f, 64)
		wantTime, _ := json.Marshal(f)
		if string(got) != string(wantTime) {
			t.Errorf("time %v: got %s, encoding/json %s", f, got, wantTime)
		}
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/collections/c/points/query", nil)
	writeEncodedResult(rec, req, encoded)
	rec2 := httptest.NewRecorder()
	writeResult(rec2, req, json.RawMessage(encoded))
	if rec.Body.String() != rec2.Body.String() || rec.Code != rec2.Code || rec.Header().Get("Content-Type") != rec2.Header().Get("Content-Type") {
		t.Errorf("got %d %q, writeResult wrote %d %q", rec.Code, rec.Body, rec2.Code, rec2.Body)
	}
}
