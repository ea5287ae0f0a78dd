package collection

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Distance is a vector similarity function, named as Qdrant names it.
type Distance string

// The supported distances.
const (
	Cosine    Distance = "Cosine"
	Euclid    Distance = "Euclid"
	Dot       Distance = "Dot"
	Manhattan Distance = "Manhattan"
)

// Valid reports whether d is one of the supported distances.
func (d Distance) Valid() bool {
	switch d {
	case Cosine, Euclid, Dot, Manhattan:
		return true
	}
	return false
}

// HigherIsBetter reports whether larger scores rank first (Dot and Cosine).
func (d Distance) HigherIsBetter() bool { return d == Cosine || d == Dot }

// VectorParams configures one vector space of a collection.
type VectorParams struct {
	Size     int         `json:"size"`
	Distance Distance    `json:"distance"`
	OnDisk   *bool       `json:"on_disk,omitempty"`
	Hnsw     *HnswConfig `json:"hnsw_config,omitempty"`
}

// QuantizationConfig is Qdrant's quantization_config; Scalar int8 makes HNSW graphs traverse
// int8 codes (exact float32 distances rescore the final candidates).
type QuantizationConfig struct {
	Scalar *ScalarQuantization `json:"scalar,omitempty"`
}

// ScalarQuantization is Qdrant's scalar quantization settings.
type ScalarQuantization struct {
	Type      string   `json:"type"`
	Quantile  *float64 `json:"quantile,omitempty"`
	AlwaysRAM *bool    `json:"always_ram,omitempty"`
}

// MaxDimension bounds a vector's size; larger sizes are refused at collection creation.
const MaxDimension = 65536

// Config is a collection's durable configuration. Vectors maps the vector name to its params; the
// unnamed (default) vector has the name "". Unnamed reports whether the collection was created with
// the single-vector form, which decides the wire shape of vectors in responses.
type Config struct {
	Vectors       map[string]VectorParams `json:"vectors"`
	SparseVectors map[string]SparseParams `json:"sparse_vectors,omitempty"`
	Unnamed       bool                    `json:"unnamed"`
	OnDiskPayload bool                    `json:"on_disk_payload"`
	Hnsw          HnswConfig              `json:"hnsw"`
	// Segments is optimizers_config.default_segment_number: the most sealed segments the optimizer
	// keeps before merging the smallest (0: the server's default).
	Segments     int                 `json:"segments,omitempty"`
	Quantization *QuantizationConfig `json:"quantization,omitempty"`
	// Extra holds accepted-but-inert creation settings (hnsw_config, optimizers_config, ...) so
	// collection info can echo them back.
	Extra map[string]json.RawMessage `json:"extra,omitempty"`
}

// Validate checks a configuration before a collection is created.
func (c *Config) Validate() error {
	if len(c.Vectors) == 0 && len(c.SparseVectors) == 0 {
		return fmt.Errorf("vectors: at least one dense or sparse vector must be configured")
	}
	for name, p := range c.SparseVectors {
		if _, dup := c.Vectors[name]; dup {
			return fmt.Errorf("sparse_vectors.%s: the name is already a dense vector", name)
		}
		if p.Modifier != "" && p.Modifier != "idf" && p.Modifier != "none" {
			return fmt.Errorf("sparse_vectors.%s.modifier: must be idf or none, got %q", name, p.Modifier)
		}
	}
	if c.Unnamed && (len(c.Vectors) != 1 || !hasKey(c.Vectors, "")) {
		return fmt.Errorf("BUG: unnamed config must have exactly the vector \"\"")
	}
	for _, name := range c.VectorNames() {
		p := c.Vectors[name]
		label := "vectors"
		if name != "" {
			label = fmt.Sprintf("vectors.%s", name)
		}
		if p.Size < 1 || p.Size > MaxDimension {
			return fmt.Errorf("%s.size: must be between 1 and %d, got %d", label, MaxDimension, p.Size)
		}
		if !p.Distance.Valid() {
			return fmt.Errorf("%s.distance: must be one of Cosine, Euclid, Dot, Manhattan, got %q", label, p.Distance)
		}
		if err := validateHnsw(label+".hnsw_config", p.Hnsw); err != nil {
			return err
		}
	}
	if err := validateHnsw("hnsw_config", &c.Hnsw); err != nil {
		return err
	}
	if q := c.Quantization; q != nil && q.Scalar != nil && q.Scalar.Type != "int8" {
		return fmt.Errorf("quantization_config.scalar.type must be int8, got %q", q.Scalar.Type)
	}
	return nil
}

// SparseNames returns the configured sparse vector names, sorted.
func (c *Config) SparseNames() []string { return sortedKeys(c.SparseVectors) }

// VectorNames returns the configured vector names, sorted.
func (c *Config) VectorNames() []string {
	names := make([]string, 0, len(c.Vectors))
	for n := range c.Vectors {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func hasKey[V any](m map[string]V, k string) bool {
	_, ok := m[k]
	return ok
}
