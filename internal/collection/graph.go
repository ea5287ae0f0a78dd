package collection

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/index/quant"
	"github.com/needlevdb/needle/internal/index/quant/binary"
	"github.com/needlevdb/needle/internal/index/quant/codec"
	"github.com/needlevdb/needle/internal/jsonfile"
	"github.com/needlevdb/needle/internal/segment"
)

// HnswConfig is Qdrant's hnsw_config. Nil fields take the defaults below.
type HnswConfig struct {
	M                 *int `json:"m,omitempty"`
	EfConstruct       *int `json:"ef_construct,omitempty"`
	FullScanThreshold *int `json:"full_scan_threshold,omitempty"` // KB of vectors below which a segment is searched exactly
	OnDisk            bool `json:"on_disk,omitempty"`
}

// Defaults of HnswConfig, as Qdrant's.
const (
	DefaultM                 = 16
	DefaultEfConstruct       = 100
	DefaultFullScanThreshold = 10000 // KB
)

// resolved returns the effective parameters: per-vector settings over the collection's.
func (c *Config) hnswFor(name string) (m, efc, fullScanKB int) {
	m, efc, fullScanKB = DefaultM, DefaultEfConstruct, DefaultFullScanThreshold
	for _, h := range []*HnswConfig{&c.Hnsw, c.Vectors[name].Hnsw} {
		if h == nil {
			continue
		}
		if h.M != nil {
			m = *h.M
		}
		if h.EfConstruct != nil {
			efc = *h.EfConstruct
		}
		if h.FullScanThreshold != nil {
			fullScanKB = *h.FullScanThreshold
		}
	}
	return m, efc, fullScanKB
}

// validateHnsw checks an hnsw_config.
func validateHnsw(label string, h *HnswConfig) error {
	if h == nil {
		return nil
	}
	if h.M != nil && (*h.M < 2 || *h.M > 128) {
		return fmt.Errorf("%s.m must be between 2 and 128, got %d", label, *h.M)
	}
	if h.EfConstruct != nil && (*h.EfConstruct < 4 || *h.EfConstruct > 4096) {
		return fmt.Errorf("%s.ef_construct must be between 4 and 4096, got %d", label, *h.EfConstruct)
	}
	if h.FullScanThreshold != nil && *h.FullScanThreshold < 0 {
		return fmt.Errorf("%s.full_scan_threshold must not be negative", label)
	}
	return nil
}

// wantsGraph reports whether a sealed segment's vector space gets an HNSW graph: Euclid, Dot and
// Cosine spaces whose live vectors take at least full_scan_threshold KB.
func (c *Config) wantsGraph(name string, live int) bool {
	p := c.Vectors[name]
	if p.Distance == Manhattan || live == 0 {
		return false
	}
	_, _, fullScanKB := c.hnswFor(name)
	return int64(live)*int64(p.Size)*4 >= int64(fullScanKB)*1024
}

func (c *Config) graphConfig(name string, seed uint64) hnsw.Config {
	m, efc, _ := c.hnswFor(name)
	metric := flat.InnerProduct
	if c.Vectors[name].Distance == Euclid {
		metric = flat.L2
	}
	hc := hnsw.Config{Dim: c.Vectors[name].Size, Metric: metric, M: m, EfConstruct: efc, Seed: seed}
	if q := c.QuantizationFor(name); q != nil && q.Scalar != nil {
		hc.Quantization = hnsw.Int8
		if q.Scalar.Quantile != nil {
			hc.Quantile = *q.Scalar.Quantile
		}
	}
	return hc
}

// buildGraphs builds and persists the graphs a freshly written sealed segment needs, before the
// manifest that publishes it is written. It returns the graph file of each vector name.
func (c *Collection) buildGraphs(sg *segmentData, dir string) (map[string]string, error) {
	files := map[string]string{}
	for i, name := range c.cfg.VectorNames() {
		sp := sg.spaces[name]
		if !c.cfg.wantsGraph(name, sg.count) || len(sp.data) == 0 {
			continue
		}
		g, err := hnsw.New(c.cfg.graphConfig(name, sg.id), sp.flat())
		if err != nil {
			return nil, fmt.Errorf("hnsw for %s: %w", name, err)
		}
		if err := g.Build(sg.slots(), runtime.GOMAXPROCS(0)); err != nil {
			return nil, fmt.Errorf("build hnsw for %s: %w", name, err)
		}
		for s := 0; s < sg.slots(); s++ {
			if !sp.has.get(uint32(s)) {
				g.Delete(uint32(s))
			}
		}
		file := fmt.Sprintf("hnsw-%d.bin", i)
		if err := fsx.WriteToSync(filepath.Join(dir, file), g); err != nil {
			return nil, fmt.Errorf("write graph: %w", err)
		}
		files[name] = file
		sg.graphs[name] = g
		if spec := c.cfg.codecFor(name); spec != nil {
			codes, err := codec.Train(*spec, sp.flat(), g.Config().Metric, sg.id, runtime.GOMAXPROCS(0))
			if err != nil {
				return nil, fmt.Errorf("train %s codes for %s: %w", spec, name, err)
			}
			file := fmt.Sprintf("codes-%d%s", i, spec.Ext())
			if err := fsx.WriteToSync(filepath.Join(dir, file), codes); err != nil {
				return nil, fmt.Errorf("write codes: %w", err)
			}
			if err := g.SetCodes(codes); err != nil {
				return nil, fmt.Errorf("codes for %s: %w", name, err)
			}
			if sg.codeFiles == nil {
				sg.codeFiles = map[string]string{}
			}
			sg.codeFiles[name] = file
		}
	}
	return files, nil
}

// codecFor returns the product or binary codec of vector name's quantization_config, or float16
// for a float16 datatype without quantization (nil for none or scalar, which the graph itself
// implements).
func (c *Config) codecFor(name string) *codec.Spec {
	q := c.QuantizationFor(name)
	switch {
	case q == nil && c.Vectors[name].Datatype == "float16":
		return &codec.Spec{Kind: codec.Float16}
	case q == nil:
		return nil
	case q.Product != nil:
		m := productSubvectors(c.Vectors[name].Size, productCompressions[q.Product.Compression])
		return &codec.Spec{Kind: codec.Product, Subvectors: m}
	case q.Binary != nil:
		spec := codec.Spec{Kind: codec.Binary, Query: binary.Asymmetric}
		if q.Binary.QueryEncoding == "binary" {
			spec.Query = binary.Symmetric
		}
		return &spec
	}
	return nil
}

// readCodes reads a codes file written at checkpoint (its kind from its extension).
func readCodes(path string) (quant.Codes, error) {
	kind, ok := codec.KindOfFile(path)
	if !ok {
		return nil, &segment.CorruptionError{File: path, Reason: "unknown codes file kind"}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read codes: %w", err)
	}
	defer f.Close()
	codes, err := codec.Read(kind, f) // unbuffered: readers size their buffer from the file (fsx.ReadAll) or read in large chunks
	if errors.Is(err, binary.ErrVersion) {
		return nil, fmt.Errorf("codes file %s: %w", path, err) // intact but old: rebuildCodes
	}
	if err != nil {
		return nil, &segment.CorruptionError{File: path, Reason: err.Error()}
	}
	return codes, nil
}

// loadCodes attaches the codes a manifest lists for a sealed segment to its graphs. Codes of an
// older format (binary codes before version 2) are rebuilt from the segment's vectors and
// replace their file.
func loadCodes(cfg *Config, sg *segmentData, dir string, files map[string]string, logger *slog.Logger) error {
	for name, file := range files {
		g := sg.graphs[name]
		if g == nil {
			return &segment.CorruptionError{File: filepath.Join(dir, file), Reason: fmt.Sprintf("codes for vector %q, which has no graph", name)}
		}
		codes, err := readCodes(filepath.Join(dir, file))
		if errors.Is(err, binary.ErrVersion) {
			logger.Warn("rebuilding codes written in an older format", "file", filepath.Join(dir, file), "reason", err)
			var published error
			codes, published = rebuildCodes(cfg, sg, name, filepath.Join(dir, file), g.Config().Metric)
			switch {
			case codes == nil:
				err = published
			case published != nil:
				err = nil
				logger.Warn("rebuilt codes are used from memory; the file stays in the older format and is rebuilt at the next open", "file", filepath.Join(dir, file), "reason", published)
			default:
				err = nil
			}
		}
		if err != nil {
			return err
		}
		if err := g.SetCodes(codes); err != nil {
			return &segment.CorruptionError{File: filepath.Join(dir, file), Reason: err.Error()}
		}
	}
	sg.codeFiles = files
	return nil
}

// loadGraphs opens the graphs a manifest lists for a sealed segment.
func loadGraphs(sg *segmentData, dir string, files map[string]string) error {
	for name, file := range files {
		sp, ok := sg.spaces[name]
		if !ok {
			return fmt.Errorf("graph for unknown vector %q", name)
		}
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return fmt.Errorf("read graph: %w", err)
		}
		g, err := hnsw.Load(data, sp.flat())
		if err != nil {
			return fmt.Errorf("graph %s: %w", filepath.Join(dir, file), err)
		}
		sg.graphs[name] = g
	}
	return nil
}

// UpdateHnsw changes the collection's hnsw_config for the graphs built from now on (existing
// graphs are kept until their segments are rewritten) and persists it.
func (c *Collection) UpdateHnsw(h HnswConfig) error {
	if err := validateHnsw("hnsw_config", &h); err != nil {
		return invalidf("%v", err)
	}
	c.cpMu.Lock() // checkpoints read the configuration while building graphs
	defer c.cpMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	next := *c.cfg
	if h.M != nil {
		next.Hnsw.M = h.M
	}
	if h.EfConstruct != nil {
		next.Hnsw.EfConstruct = h.EfConstruct
	}
	if h.FullScanThreshold != nil {
		next.Hnsw.FullScanThreshold = h.FullScanThreshold
	}
	if err := jsonfile.Write(filepath.Join(c.dir, configFile), &next); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c.cfg.Hnsw = next.Hnsw
	return nil
}

// ConfigSnapshot returns a copy of the configuration, safe to read while it may be updated.
func (c *Collection) ConfigSnapshot() Config {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return *c.cfg
}
