package collection

// VectorMemory is the memory of one dense vector space across a collection's segments.
type VectorMemory struct {
	OnDisk bool `json:"on_disk"`
	// VectorBytes is the size of the float32 vectors (sealed files plus the mutable segment).
	VectorBytes int64 `json:"vector_bytes"`
	// ResidentVectorBytes is how much of them is in memory now: the mutable segment's, plus the
	// mapped file pages the kernel holds (for on_disk vectors, only what searches touched and
	// the kernel has not dropped).
	ResidentVectorBytes int64 `json:"resident_vector_bytes"`
	// IndexBytes is what the HNSW graphs hold in RAM (links, per-node state, int8 codes).
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

// Memory reports the collection's memory use now (it calls mincore on the mapped vector files,
// a few microseconds per segment).
func (c *Collection) Memory() Memory {
	c.mu.RLock()
	defer c.mu.RUnlock()
	m := Memory{Vectors: map[string]VectorMemory{}}
	if c.st == nil {
		return m
	}
	for name, p := range c.cfg.Vectors {
		// float16 vectors leave their float32 file on disk too (searches use the copy in RAM).
		vm := VectorMemory{OnDisk: p.OnDisk != nil && *p.OnDisk || p.Datatype == "float16"}
		for _, sg := range c.st.segs {
			sp := sg.spaces[name]
			if sp == nil {
				continue
			}
			if sg.file != nil {
				vm.VectorBytes += sg.file.VectorBytes(name)
				if r := sg.file.ResidentVectorBytes(name); r > 0 {
					vm.ResidentVectorBytes += r
				}
			} else {
				b := 4 * int64(cap(sp.data))
				vm.VectorBytes += 4 * int64(len(sp.data))
				vm.ResidentVectorBytes += b
			}
			if g := sg.graphs[name]; g != nil {
				vm.IndexBytes += g.MemoryBytes()
				if codes := g.Codes(); codes != nil {
					vm.CodeBytes += codes.MemoryBytes()
				}
			}
		}
		m.Vectors[name] = vm
		m.RAMBytes += vm.ResidentVectorBytes + vm.IndexBytes + vm.CodeBytes
	}
	return m
}
