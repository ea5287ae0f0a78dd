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
	// Quantization overrides the collection's quantization_config for this vector.
	Quantization *QuantizationConfig `json:"quantization_config,omitempty"`
	// Datatype is "float32" (or empty) or "float16": sealed segments with a graph then keep a
	// half-precision copy in RAM that searches score with and return, and leave the float32
	// file on disk for with_vector, exact searches and rewrites.
	Datatype string `json:"datatype,omitempty"`
}

// QuantizationConfig is Qdrant's quantization_config: exactly one of Scalar, Product and Binary.
// Sealed segments with an HNSW graph keep the codes in RAM and traverse the graph with them; the
// final candidates are rescored with the float32 vectors (which on_disk vectors read from disk).
type QuantizationConfig struct {
	Scalar  *ScalarQuantization  `json:"scalar,omitempty"`
	Product *ProductQuantization `json:"product,omitempty"`
	Binary  *BinaryQuantization  `json:"binary,omitempty"`
}

// ScalarQuantization is Qdrant's scalar quantization settings: one byte per dimension.
type ScalarQuantization struct {
	Type string `json:"type"`
	// Quantile clips each dimension's range to this central fraction of the values (0.5..1;
	// unset: the full range).
	Quantile  *float64 `json:"quantile,omitempty"`
	AlwaysRAM *bool    `json:"always_ram,omitempty"`
}

// ProductQuantization is Qdrant's product quantization settings: Compression x4..x64 is the ratio
// of float32 bytes to code bytes (one byte per sub-vector).
type ProductQuantization struct {
	Compression string `json:"compression"`
	AlwaysRAM   *bool  `json:"always_ram,omitempty"`
}

// BinaryQuantization is Qdrant's binary quantization settings: one bit per dimension.
type BinaryQuantization struct {
	AlwaysRAM *bool `json:"always_ram,omitempty"`
	// Encoding is one_bit (the only one supported; empty means it).
	Encoding string `json:"encoding,omitempty"`
	// QueryEncoding is default or scalar8bits (the float query against the bits: asymmetric,
	// the default) or binary (the query binarised too: Hamming distance).
	QueryEncoding string `json:"query_encoding,omitempty"`
}

// productCompressions maps Qdrant's compression names to the float32 bytes per code byte.
var productCompressions = map[string]int{"x4": 4, "x8": 8, "x16": 16, "x32": 32, "x64": 64}

// validate checks a quantization_config; label prefixes error messages.
func (q *QuantizationConfig) validate(label string, dim int) error {
	n := 0
	for _, set := range []bool{q.Scalar != nil, q.Product != nil, q.Binary != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return fmt.Errorf("%s: give exactly one of scalar, product, binary", label)
	}
	switch {
	case q.Scalar != nil:
		if q.Scalar.Type != "int8" {
			return fmt.Errorf("%s.scalar.type must be int8, got %q", label, q.Scalar.Type)
		}
		if v := q.Scalar.Quantile; v != nil && !(*v >= 0.5 && *v <= 1) {
			return fmt.Errorf("%s.scalar.quantile must be between 0.5 and 1, got %v", label, *v)
		}
	case q.Product != nil:
		ratio, ok := productCompressions[q.Product.Compression]
		if !ok {
			return fmt.Errorf("%s.product.compression must be x4, x8, x16, x32 or x64, got %q", label, q.Product.Compression)
		}
		if m, want := productSubvectors(dim, ratio), 4*dim/ratio; dim > 0 && (m == 0 || 2*m < want) {
			return fmt.Errorf("%s.product.compression %s: %d dimensions split into at most %d equal sub-vectors gives %d (the sizes dividing %d fall far below it); choose another compression", label, q.Product.Compression, dim, want, m, dim)
		}
	case q.Binary != nil:
		if e := q.Binary.Encoding; e != "" && e != "one_bit" {
			return fmt.Errorf("%s.binary.encoding must be one_bit, got %q", label, e)
		}
		switch q.Binary.QueryEncoding {
		case "", "default", "binary", "scalar8bits":
		default:
			return fmt.Errorf("%s.binary.query_encoding must be default, binary or scalar8bits, got %q", label, q.Binary.QueryEncoding)
		}
	}
	return nil
}

// productSubvectors returns the sub-vector count of product quantization at ratio (float32 bytes
// per code byte) for dim dimensions: the largest divisor of dim that is at most 4*dim/ratio (0 if
// even one byte per vector is more than the ratio allows).
func productSubvectors(dim, ratio int) int {
	for m := 4 * dim / ratio; m >= 1; m-- {
		if dim%m == 0 {
			return m
		}
	}
	return 0
}

// QuantizationFor returns the quantization of vector name: its own, else the collection's (nil:
// none).
func (c *Config) QuantizationFor(name string) *QuantizationConfig {
	if q := c.Vectors[name].Quantization; q != nil {
		return q
	}
	return c.Quantization
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
	// Ivf, if set, gives sealed segments IVF indexes instead of HNSW graphs (ivf_config).
	Ivf *IvfConfig `json:"ivf,omitempty"`
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
		if p.Datatype != "" && p.Datatype != "float32" && p.Datatype != "float16" {
			return fmt.Errorf("%s.datatype: must be float32 or float16, got %q", label, p.Datatype)
		}
	}
	if err := validateHnsw("hnsw_config", &c.Hnsw); err != nil {
		return err
	}
	if q := c.Quantization; q != nil {
		if err := q.validate("quantization_config", 0); err != nil {
			return err
		}
	}
	if c.Ivf != nil {
		for _, name := range c.VectorNames() {
			if c.QuantizationFor(name) != nil {
				return fmt.Errorf("ivf_config and quantization_config: give one (ivf_config's pq_m is its quantization)")
			}
		}
		sizes := map[string]int{}
		for name, p := range c.Vectors {
			sizes[name] = p.Size
		}
		if err := c.Ivf.validate(sizes); err != nil {
			return err
		}
	}
	for _, name := range c.VectorNames() {
		q := c.QuantizationFor(name)
		if q == nil {
			continue
		}
		label := "quantization_config"
		if c.Vectors[name].Quantization != nil {
			label = "vectors." + name + ".quantization_config"
			if name == "" {
				label = "vectors.quantization_config"
			}
		}
		if err := q.validate(label, c.Vectors[name].Size); err != nil {
			return err
		}
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
