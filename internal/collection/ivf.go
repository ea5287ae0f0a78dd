package collection

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/ivf"
	"github.com/needlevdb/needle/internal/segment"
)

// IvfConfig is Needle's ivf_config (not Qdrant's): sealed segments get an inverted-file index
// instead of an HNSW graph — k-means lists, flat or product-quantized — for collections too large
// for a graph's memory. Searches probe Nprobe lists (params.nprobe overrides it).
type IvfConfig struct {
	Nlist  int `json:"nlist"`            // lists per segment (k-means centroids)
	Nprobe int `json:"nprobe,omitempty"` // lists probed by default (default 16)
	// PQM, if set, stores product-quantization codes of PQM bytes (residuals to the list's
	// centroid) instead of float lists; candidates are rescored with the float vectors.
	PQM int `json:"pq_m,omitempty"`
}

// DefaultNprobe is the lists an IVF search probes when neither the config nor the request says.
const DefaultNprobe = 16

// validate checks an ivf_config for vectors of the given sizes.
func (v *IvfConfig) validate(sizes map[string]int) error {
	if v.Nlist < 1 || v.Nlist > 65536 {
		return fmt.Errorf("ivf_config.nlist must be between 1 and 65536, got %d", v.Nlist)
	}
	if v.Nprobe < 0 || v.Nprobe > v.Nlist {
		return fmt.Errorf("ivf_config.nprobe must be between 1 and nlist (%d), got %d", v.Nlist, v.Nprobe)
	}
	for name, d := range sizes {
		if v.PQM < 0 || v.PQM > 0 && d%v.PQM != 0 {
			return fmt.Errorf("ivf_config.pq_m %d must divide the size %d of vector %q", v.PQM, d, name)
		}
	}
	return nil
}

// minPerList is the fewest vectors per IVF list a segment is built with (Faiss warns below 39).
const minPerList = 39

// buildIvfs builds and persists the IVF index of each vector space of a freshly written sealed
// segment that wants one (as buildGraphs does for graphs, which IVF replaces). A segment with fewer
// live vectors than nlist is scanned exactly instead, and one with fewer than minPerList vectors per
// list gets fewer lists (nlist is an upper bound): k-means over n points costs n × lists × dim per
// iteration inside the checkpoint, and lists of a point or two only add probes.
func (c *Collection) buildIvfs(sg *segmentData, dir string) (map[string]string, error) {
	files := map[string]string{}
	cfg := c.cfg.Ivf
	for i, name := range c.cfg.VectorNames() {
		sp := sg.spaces[name]
		if !c.cfg.wantsGraph(name, sg.count) || len(sp.data) == 0 {
			continue
		}
		var live []uint32 // the live points carrying this vector: what the lists hold
		for s := 0; s < sg.slots(); s++ {
			if sp.has.get(uint32(s)) {
				live = append(live, uint32(s))
			}
		}
		if len(live) < cfg.Nlist {
			continue
		}
		metric := flat.InnerProduct
		if c.cfg.Vectors[name].Distance == Euclid {
			metric = flat.L2
		}
		nlist := max(1, min(cfg.Nlist, len(live)/minPerList))
		x, err := ivf.New(ivf.Config{Dim: sp.dim, Metric: metric, Nlist: nlist, PQM: cfg.PQM, Seed: sg.id, Workers: runtime.GOMAXPROCS(0)})
		if err != nil {
			return nil, fmt.Errorf("ivf for %s: %w", name, err)
		}
		vecs := sp.flat()
		if err := x.Train(vecs, 0); err != nil {
			return nil, fmt.Errorf("train ivf for %s: %w", name, err)
		}
		if err := x.Add(vecs, live...); err != nil {
			return nil, fmt.Errorf("ivf for %s: %w", name, err)
		}
		file := fmt.Sprintf("ivf-%d.bin", i)
		if err := fsx.WriteToSync(filepath.Join(dir, file), x); err != nil {
			return nil, fmt.Errorf("write ivf: %w", err)
		}
		files[name] = file
		if sg.ivfs == nil {
			sg.ivfs = map[string]*ivf.Index{}
		}
		sg.ivfs[name] = x
	}
	return files, nil
}

// readIvf reads an IVF file over a segment's vectors of vector name.
func readIvf(path string, vecs flat.Vectors) (*ivf.Index, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ivf: %w", err)
	}
	x, err := ivf.Load(data, vecs)
	if err != nil {
		return nil, &segment.CorruptionError{File: path, Reason: err.Error()}
	}
	return x, nil
}

// loadIvfs opens the IVF indexes a manifest lists for a sealed segment.
func loadIvfs(sg *segmentData, dir string, files map[string]string) error {
	for name, file := range files {
		sp, ok := sg.spaces[name]
		if !ok {
			return &segment.CorruptionError{File: filepath.Join(dir, file), Reason: fmt.Sprintf("ivf for unknown vector %q", name)}
		}
		x, err := readIvf(filepath.Join(dir, file), sp.flat())
		if err != nil {
			return err
		}
		if sg.ivfs == nil {
			sg.ivfs = map[string]*ivf.Index{}
		}
		sg.ivfs[name] = x
	}
	sg.ivfFiles = files
	return nil
}

// nprobe is the lists an IVF search of r probes.
func (c *Collection) nprobe(r *SearchRequest) int {
	switch {
	case r.Nprobe > 0:
		return r.Nprobe
	case c.cfg.Ivf != nil && c.cfg.Ivf.Nprobe > 0:
		return c.cfg.Ivf.Nprobe
	}
	return DefaultNprobe
}
