package collection

import (
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/index/ivf"
)

// VectorMemory is the memory of one dense vector space across a collection's segments.
type VectorMemory struct {
	OnDisk bool `json:"on_disk"`
	// VectorBytes is the size of the float32 vectors (sealed files plus the mutable segment).
	VectorBytes int64 `json:"vector_bytes"`
	// ResidentVectorBytes is how much of them is in memory now: the mutable segment's, plus the
	// mapped file pages the kernel holds (for on_disk vectors, only what searches touched and
	// the kernel has not dropped).
	ResidentVectorBytes int64 `json:"resident_vector_bytes"`
	// IndexBytes is what the HNSW graphs (links, per-node state, int8 codes) or IVF indexes
	// (centroids, lists, PQ codes, tables) hold in RAM.
	IndexBytes int64 `json:"index_bytes"`
	// CodeBytes is what product / binary codes and their codebooks hold in RAM.
	CodeBytes int64 `json:"code_bytes"`
}

// Memory is a collection's memory use, by vector name.
type Memory struct {
	Vectors map[string]VectorMemory `json:"vectors"`
	// RAMBytes sums, over the vectors, the resident vectors, graphs and codes.
	RAMBytes int64 `json:"ram_bytes"`
}

// Memory reports the collection's memory use now. The segment list is copied under the read lock;
// the mincore calls on the mapped vector files (cost proportional to their size) run after it is
// released, so a scrape never holds up writers (or the searches queued behind them). A segment
// retired meanwhile reports no resident pages.
func (c *Collection) Memory() Memory {
	type part struct {
		sg            *segmentData
		name          string
		graph         *hnsw.Index
		ivf           *ivf.Index
		inMemory, cap int64 // in-memory spaces grow under the write lock: sizes read under it
	}
	c.mu.RLock()
	m := Memory{Vectors: map[string]VectorMemory{}}
	if c.st == nil {
		c.mu.RUnlock()
		return m
	}
	var parts []part
	params := map[string]VectorParams{}
	halfCopy := map[string]bool{}
	for name, p := range c.cfg.Vectors {
		params[name] = p
		sealed, copied := 0, 0
		for _, sg := range c.st.segs {
			if sp := sg.spaces[name]; sp != nil {
				parts = append(parts, part{sg, name, sg.graphs[name], sg.ivfs[name], 4 * int64(len(sp.data)), 4 * int64(cap(sp.data))})
				if sg.file != nil {
					sealed++
					if sg.halfCopied(name) {
						copied++
					}
				}
			}
		}
		halfCopy[name] = sealed > 0 && copied == sealed // as adviseVectors told the kernel
	}
	c.mu.RUnlock()

	for name, p := range params {
		// float16 vectors searched through their copy in RAM leave the float32 files on disk too.
		m.Vectors[name] = VectorMemory{OnDisk: p.OnDisk != nil && *p.OnDisk || halfCopy[name]}
	}
	for _, pt := range parts {
		vm := m.Vectors[pt.name]
		if pt.sg.file != nil {
			vm.VectorBytes += pt.sg.file.VectorBytes(pt.name)
			if r := pt.sg.file.ResidentVectorBytes(pt.name); r > 0 {
				vm.ResidentVectorBytes += r
			}
		} else {
			vm.VectorBytes += pt.inMemory
			vm.ResidentVectorBytes += pt.cap
		}
		if pt.ivf != nil {
			vm.IndexBytes += pt.ivf.MemoryBytes()
		}
		if g := pt.graph; g != nil {
			vm.IndexBytes += g.MemoryBytes()
			if codes := g.Codes(); codes != nil {
				vm.CodeBytes += codes.MemoryBytes()
			}
		}
		m.Vectors[pt.name] = vm
	}
	for _, vm := range m.Vectors {
		m.RAMBytes += vm.ResidentVectorBytes + vm.IndexBytes + vm.CodeBytes
	}
	return m
}
