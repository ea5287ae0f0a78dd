package collection

import (
	mbits "math/bits"
	"slices"
	"sync/atomic"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/index/ivf"
	"github.com/needlevdb/needle/internal/index/quant/codec"
	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/segment"
)

// bits is a growable bitset over slots.
type bits []uint64

func (b bits) get(i uint32) bool { return int(i>>6) < len(b) && b[i>>6]&(1<<(i&63)) != 0 }
func (b *bits) set(i uint32) {
	for int(i>>6) >= len(*b) {
		*b = append(*b, 0)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}
func (b bits) count() int {
	n := 0
	for _, w := range b {
		n += mbits.OnesCount64(w)
	}
	return n
}

func (b bits) clear(i uint32) {
	if int(i>>6) < len(b) {
		b[i>>6] &^= 1 << (i & 63)
	}
}

// space holds one named vector of every point of a segment in one contiguous float32 array: slot s
// occupies data[s*dim : (s+1)*dim]. For sealed segments data is a read-only memory map. Cosine
// vectors are stored normalised.
type space struct {
	params VectorParams
	dim    int
	data   []float32
	has    bits // live slots that carry this vector; a search only considers these
}

func (sp *space) vector(slot uint32) []float32 {
	o := int(slot) * sp.dim
	return sp.data[o : o+sp.dim : o+sp.dim]
}

// flat returns the vectors as a matrix over every slot (callers skip slots without this vector).
func (sp *space) flat() flat.Vectors {
	return flat.Vectors{Dim: sp.dim, Data: sp.data[:len(sp.data)/sp.dim*sp.dim]}
}

func (sp *space) put(slot uint32, v []float32) {
	need := (int(slot) + 1) * sp.dim
	if need > len(sp.data) {
		if need > cap(sp.data) {
			grown := make([]float32, need, max(need, 2*cap(sp.data), 1024*sp.dim))
			copy(grown, sp.data)
			sp.data = grown
		} else {
			sp.data = sp.data[:need]
		}
	}
	dst := sp.vector(slot)
	copy(dst, v)
	if sp.params.Distance == Cosine {
		distance.Normalize(dst)
	}
	sp.has.set(slot)
}

// segmentData is one segment of a collection: the mutable one that takes inserts, a frozen one
// being written to disk, or a sealed one backed by files. Only live bits (and has bits) of a
// non-mutable segment ever change: updates to its points move them to the mutable segment.
type segmentData struct {
	id       uint64           // directory number; 0 until sealed
	file     *segment.Segment // nil for in-memory segments
	mutable  bool
	ids      []pointid.ID
	versions []uint64
	payloads []map[string]any                 // in-memory segments
	cache    []atomic.Pointer[map[string]any] // sealed segments: payloads decoded on first use
	live     bits
	free     []uint32 // mutable only: slots to reuse
	spaces   map[string]*space
	sparse   map[string]*sparseSpace
	graphs   map[string]*hnsw.Index // sealed segments: HNSW graph per dense vector name
	ivfs     map[string]*ivf.Index  // sealed segments of an ivf_config collection: IVF per vector name
	indexes  *filter.Indexes
	count    int // live points

	kills          uint64 // points killed since the segment was created or loaded
	persistedKills uint64 // kills covered by the deletion file in the manifest
	deleted        string // deletion file name in the manifest ("" = none)
	deletedCRC     uint32
	graphFiles     map[string]string // graph file per vector name, as in the manifest
	codeFiles      map[string]string // product / binary codes file per vector name, as in the manifest
	ivfFiles       map[string]string // IVF file per vector name, as in the manifest
}

func newMutable(cfg *Config) *segmentData {
	sg := &segmentData{mutable: true, spaces: map[string]*space{}, sparse: map[string]*sparseSpace{}, indexes: &filter.Indexes{}}
	for name, p := range cfg.Vectors {
		sg.spaces[name] = &space{params: p, dim: p.Size}
	}
	for name, p := range cfg.SparseVectors {
		sg.sparse[name] = newSparseSpace(p)
	}
	return sg
}

// slots returns the number of slots in use (live or dead).
func (sg *segmentData) slots() int { return len(sg.ids) }

// payload returns a slot's payload (nil if none). Maps are shared and never mutated.
func (sg *segmentData) payload(slot uint32) map[string]any {
	if sg.file == nil {
		return sg.payloads[slot]
	}
	if p := sg.cache[slot].Load(); p != nil {
		return *p
	}
	var m map[string]any
	if raw := sg.file.PayloadJSON(slot); raw != nil {
		var err error
		if m, err = DecodePayload(raw); err != nil {
			m = map[string]any{} // Open checked offsets; Verify checks content
		}
	}
	sg.cache[slot].Store(&m)
	return m
}

// payloadJSON returns a slot's payload as JSON, for writing it into a new segment.
func (sg *segmentData) payloadJSON(slot uint32) []byte {
	if sg.file != nil {
		return sg.file.PayloadJSON(slot)
	}
	return encodePayload(sg.payloads[slot])
}

// insert adds a point to the mutable segment and returns its slot.
func (sg *segmentData) insert(p *Point, seq uint64) uint32 {
	var slot uint32
	if n := len(sg.free); n > 0 {
		slot = sg.free[n-1]
		sg.free = sg.free[:n-1]
		sg.ids[slot], sg.versions[slot], sg.payloads[slot] = p.ID, seq, p.Payload
	} else {
		slot = uint32(len(sg.ids))
		sg.ids = append(sg.ids, p.ID)
		sg.versions = append(sg.versions, seq)
		sg.payloads = append(sg.payloads, p.Payload)
	}
	sg.live.set(slot)
	sg.count++
	sg.setVectors(slot, p)
	sg.indexes.Add(slot, p.Payload)
	return slot
}

func (sg *segmentData) setVectors(slot uint32, p *Point) {
	for name, sp := range sg.spaces {
		if v, ok := p.Vectors[name]; ok {
			sp.put(slot, v)
		} else {
			sp.has.clear(slot)
		}
	}
	for name, ss := range sg.sparse {
		if v, ok := p.Sparse[name]; ok {
			ss.put(slot, v)
		} else {
			ss.remove(slot)
		}
	}
}

// replace overwrites a live point of the mutable segment in place.
func (sg *segmentData) replace(slot uint32, p *Point, seq uint64) {
	sg.indexes.Remove(slot, sg.payloads[slot])
	sg.setVectors(slot, p)
	sg.payloads[slot] = p.Payload
	sg.versions[slot] = seq
	sg.indexes.Add(slot, p.Payload)
}

// kill removes a live point from search and reads.
func (sg *segmentData) kill(slot uint32) {
	if !sg.live.get(slot) {
		return
	}
	sg.live.clear(slot)
	for _, sp := range sg.spaces {
		sp.has.clear(slot)
	}
	for _, ss := range sg.sparse {
		if sg.mutable {
			ss.remove(slot)
		} else {
			ss.kill(slot)
		}
	}
	sg.count--
	sg.kills++
	if sg.mutable {
		sg.indexes.Remove(slot, sg.payloads[slot])
		sg.payloads[slot] = nil
		sg.free = append(sg.free, slot)
	}
}

// sparseOf returns a slot's sparse vectors (shared: sparse vectors are never modified in place).
func (sg *segmentData) sparseOf(slot uint32) map[string]SparseVector {
	if len(sg.sparse) == 0 {
		return nil
	}
	out := make(map[string]SparseVector, len(sg.sparse))
	for name, ss := range sg.sparse {
		if ss.has.get(slot) {
			out[name] = ss.vector(slot)
		}
	}
	return out
}

// vectorsOf returns copies of a slot's vectors.
func (sg *segmentData) vectorsOf(slot uint32) map[string][]float32 {
	out := make(map[string][]float32, len(sg.spaces))
	for name, sp := range sg.spaces {
		if sp.has.get(slot) {
			out[name] = slices.Clone(sp.vector(slot))
		}
	}
	return out
}

// buildIndex fills a payload index from every live point.
func (sg *segmentData) buildIndex(ix filter.Index) {
	for s := range sg.ids {
		if sg.live.get(uint32(s)) {
			ix.Add(uint32(s), sg.payload(uint32(s)))
		}
	}
}

// halfCopied reports whether the segment searches vector name with a float16 copy (its graph's
// codes): the float32 file is then read only by exact searches, with_vector and rewrites.
func (sg *segmentData) halfCopied(name string) bool {
	kind, ok := codec.KindOfFile(sg.codeFiles[name])
	return ok && kind == codec.Float16 && sg.graphs[name] != nil
}

// adviseVectors tells the kernel how the sealed segment's vector files will be read, from what
// the segment holds once its graphs and codes are loaded or built: files of on_disk vectors and
// of vectors searched through a float16 copy are left cold; the rest are read ahead.
func (sg *segmentData) adviseVectors(cfg *Config) {
	if sg.file == nil {
		return
	}
	for name, p := range cfg.Vectors {
		sg.file.AdviseVectors(name, p.OnDisk != nil && *p.OnDisk || sg.halfCopied(name))
	}
}

// openSealed wraps an opened segment file; deleted, if non-nil, marks dead slots.
func openSealed(cfg *Config, id uint64, f *segment.Segment, deleted bits) *segmentData {
	n := f.Meta.Count
	sg := &segmentData{id: id, file: f, ids: f.IDs, versions: f.Versions, spaces: map[string]*space{}, graphs: map[string]*hnsw.Index{},
		indexes: &filter.Indexes{}, cache: make([]atomic.Pointer[map[string]any], n)}
	sg.live = make(bits, (n+63)/64)
	for s := 0; s < n; s++ {
		if !deleted.get(uint32(s)) {
			sg.live.set(uint32(s))
			sg.count++
		}
	}
	for name, p := range cfg.Vectors {
		sp := &space{params: p, dim: p.Size, data: f.Vectors(name)}
		sp.has = make(bits, len(sg.live))
		if sp.data != nil {
			for s := 0; s < n; s++ {
				if sg.live.get(uint32(s)) && f.Has(name, uint32(s)) {
					sp.has.set(uint32(s))
				}
			}
		}
		sg.spaces[name] = sp
	}
	sg.sparse = map[string]*sparseSpace{}
	for name, p := range cfg.SparseVectors {
		ss := newSparseSpace(p)
		ss.vecs = make([]SparseVector, n)
		for s := 0; s < n; s++ {
			idx, val, ok := f.Sparse(name, uint32(s))
			if !ok {
				continue
			}
			v := repaired(SparseVector{Indices: idx, Values: val})
			ss.vecs[s] = v
			for i, t := range v.Indices {
				ss.post[t] = append(ss.post[t], posting{uint32(s), v.Values[i]})
			}
			if sg.live.get(uint32(s)) {
				ss.has.set(uint32(s))
			} else {
				for _, t := range v.Indices {
					ss.dead[t]++
				}
			}
		}
		sg.sparse[name] = ss
	}
	return sg
}
