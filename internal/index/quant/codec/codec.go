// Package codec names the vector codecs of package quant and builds, writes and reads them by
// name, so that collections and benchmarks share one way to say "product quantization with 32
// sub-vectors" or "binary, asymmetric queries".
package codec

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/index/quant/binary"
	"github.com/needlevdb/needle/internal/index/quant/f16"
	"github.com/needlevdb/needle/internal/index/quant/pq"
)

// Kind is a codec family.
type Kind uint8

// The codec families.
const (
	Product Kind = iota + 1 // product quantization, one byte per sub-vector
	Binary                  // one bit per dimension
	Float16                 // IEEE half precision, two bytes per dimension, precise enough to return
)

// Spec is a codec and its parameters.
type Spec struct {
	Kind       Kind
	Subvectors int                  // Product: sub-vectors, i.e. bytes per code
	Query      binary.QueryEncoding // Binary: how queries meet the codes
}

// Parse reads "pq:M" (M sub-vectors), "binary" (residual sign codes around k-means centroids,
// float queries: binary.Asymmetric), "binary:hamming" (binarised queries, Hamming distance:
// binary.Symmetric) or "fp16" (half precision).
func Parse(s string) (Spec, error) {
	switch {
	case strings.HasPrefix(s, "pq:"):
		m, err := strconv.Atoi(s[3:])
		if err != nil || m < 1 {
			return Spec{}, fmt.Errorf("codec %q: pq:M needs a positive sub-vector count", s)
		}
		return Spec{Kind: Product, Subvectors: m}, nil
	case s == "binary":
		return Spec{Kind: Binary, Query: binary.Asymmetric}, nil
	case s == "binary:hamming":
		return Spec{Kind: Binary, Query: binary.Symmetric}, nil
	case s == "fp16":
		return Spec{Kind: Float16}, nil
	}
	return Spec{}, fmt.Errorf("codec %q: want pq:M, binary, binary:hamming or fp16", s)
}

// String is the inverse of Parse.
func (s Spec) String() string {
	switch s.Kind {
	case Product:
		return fmt.Sprintf("pq:%d", s.Subvectors)
	case Binary:
		if s.Query == binary.Symmetric {
			return "binary:hamming"
		}
		return "binary"
	case Float16:
		return "fp16"
	}
	return fmt.Sprintf("Spec(%d)", s.Kind)
}

// Ext is the file-name extension of the codec's files.
func (s Spec) Ext() string {
	switch s.Kind {
	case Product:
		return ".pq"
	case Float16:
		return ".f16"
	}
	return ".binary"
}

// KindOfFile returns the codec kind whose files end in name's extension.
func KindOfFile(name string) (Kind, bool) {
	switch {
	case strings.HasSuffix(name, ".pq"):
		return Product, true
	case strings.HasSuffix(name, ".binary"):
		return Binary, true
	case strings.HasSuffix(name, ".f16"):
		return Float16, true
	}
	return 0, false
}

// Codes are codes of any family, writable in their family's format (Read reads them back).
type Codes interface {
	quant.Codes
	io.WriterTo
}

// Train fits the codec on vecs (a sample of them, as each codec chooses) and encodes them all on
// workers goroutines (0: all cores).
func Train(s Spec, vecs flat.Vectors, metric flat.Metric, seed uint64, workers int) (Codes, error) {
	switch s.Kind {
	case Product:
		q, err := pq.Train(vecs, s.Subvectors, metric, pq.Options{Seed: seed, Workers: workers})
		if err != nil {
			return nil, err
		}
		return q.EncodeAll(vecs), nil
	case Binary:
		q, err := binary.Train(vecs, metric, binary.Options{Query: s.Query, Seed: seed, Workers: workers})
		if err != nil {
			return nil, err
		}
		return q.EncodeAll(vecs, workers)
	case Float16:
		return f16.Encode(vecs, metric), nil
	}
	return nil, fmt.Errorf("codec: unknown kind %d", s.Kind)
}

// Read reads codes of kind k written by their WriteTo.
func Read(k Kind, r io.Reader) (Codes, error) {
	// Each branch returns a nil interface on error, not an interface holding a nil pointer.
	switch k {
	case Product:
		c, err := pq.Read(r)
		if err != nil {
			return nil, err
		}
		return c, nil
	case Binary:
		c, err := binary.Read(r)
		if err != nil {
			return nil, err
		}
		return c, nil
	case Float16:
		c, err := f16.Read(r)
		if err != nil {
			return nil, err
		}
		return c, nil
	}
	return nil, fmt.Errorf("codec: unknown kind %d", k)
}
