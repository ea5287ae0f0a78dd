package api

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/collection"
)

func createConfig(t *testing.T, body string) (*collection.Config, error) {
	t.Helper()
	var r CreateCollectionRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return r.Config()
}

func TestQuantizationConfig(t *testing.T) {
	ok := []string{
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"scalar":{"type":"int8","quantile":0.99,"always_ram":true}}}`,
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"product":{"compression":"x16","always_ram":true}}}`,
		`{"vectors":{"size":768,"distance":"Cosine"},"quantization_config":{"binary":{"always_ram":true,"query_encoding":"binary"}}}`,
		`{"vectors":{"a":{"size":64,"distance":"Dot","quantization_config":{"product":{"compression":"x32"}}}}}`,
		`{"vectors":{"size":64,"distance":"Dot","datatype":"float16"}}`,
	}
	for _, b := range ok {
		if _, err := createConfig(t, b); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	bad := map[string]string{
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"product":{"compression":"x3"}}}`:          "compression",
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"scalar":{"type":"int4"}}}`:                "int8",
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"scalar":{"type":"int8","quantile":0.2}}}`: "quantile",
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"binary":{"encoding":"two_bits"}}}`:        "one_bit",
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"binary":{},"scalar":{"type":"int8"}}}`:    "exactly one",
		`{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"kmeans":{}}}`:                             "unknown field",
		`{"vectors":{"size":3,"distance":"Euclid"},"quantization_config":{"product":{"compression":"x64"}}}`:           "sub-vector",
		`{"vectors":{"a":{"size":64,"distance":"Dot","quantization_config":{"product":{"compression":"x5"}}}}}`:        "vectors.a.quantization_config",
	}
	for b, want := range bad {
		_, err := createConfig(t, b)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one mentioning %q", b, err, want)
		}
	}
	cfg, _ := createConfig(t, `{"vectors":{"size":128,"distance":"Euclid"},"quantization_config":{"product":{"compression":"x16"}}}`)
	if cfg.Quantization == nil || cfg.Quantization.Product == nil || cfg.Quantization.Product.Compression != "x16" {
		t.Errorf("product config lost: %+v", cfg.Quantization)
	}
}

func TestSearchParamsQuantization(t *testing.T) {
	var p SearchParams
	if err := json.Unmarshal([]byte(`{"hnsw_ef":64,"quantization":{"ignore":false,"rescore":false,"oversampling":2.5}}`), &p); err != nil {
		t.Fatal(err)
	}
	var req collection.SearchRequest
	p.Apply(&req)
	if req.Ef != 64 || !req.NoRescore || req.IgnoreQuantization || req.Oversampling != 2.5 {
		t.Errorf("applied %+v", req)
	}
	if err := json.Unmarshal([]byte(`{"quantization":{"oversampling":"lots"}}`), &p); err == nil {
		t.Error("a string oversampling was accepted")
	}
}
