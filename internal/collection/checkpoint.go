package collection

import (
	"errors"
	"fmt"
	mbits "math/bits"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"sort"
	"time"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/segment"
)

// Options tunes how a collection turns its log into sealed segments.
type Options struct {
	// SealBytes: seal the mutable segment once its vectors take this many bytes.
	SealBytes int64
	// SealAfter: seal a mutable segment holding any point (or record deletions) after this long.
	SealAfter time.Duration
	// MaxSegments: merge the smallest sealed segments while there are more than this many.
	MaxSegments int
	// MaxMergeBytes: segments whose vectors already take this many bytes are not merged further.
	MaxMergeBytes int64
	// VacuumRatio: rewrite a sealed segment once this fraction of its slots is dead.
	VacuumRatio float64
	// Interval: how often the background optimizer checks the conditions above.
	Interval time.Duration
	// VerifyOnOpen: check every segment file's CRC32C when a collection opens (reads all segment
	// bytes once through the page cache; the cost is in BENCHMARKS.md).
	VerifyOnOpen bool
}

// DefaultOptions are the storage defaults. SealBytes bounds the heap the mutable segment and the
// WAL tail replayed on restart can grow to. MaxSegments follows Qdrant's automatic
// default_segment_number, the number of cores: every segment is one more graph to search per
// query (seed 000 comparison in BENCHMARKS.md), and merges stop at MaxMergeBytes so that a huge
// collection is not rewritten over and over.
func DefaultOptions() Options {
	return Options{SealBytes: 64 << 20, SealAfter: 30 * time.Second, MaxSegments: max(2, runtime.GOMAXPROCS(0)),
		MaxMergeBytes: 1 << 30, VacuumRatio: 0.2, Interval: time.Second, VerifyOnOpen: true}
}

// optimizer runs checkpoints in the background until stop is closed.
func (c *Collection) optimizer() {
	defer close(c.optimizerDone)
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if !c.needsCheckpoint() {
			continue
		}
		if err := c.Checkpoint(); err != nil && !errors.Is(err, ErrClosed) {
			if err.Error() != lastErr {
				c.logger.Warn("background checkpoint failed; will retry", "collection", c.name, "err", err)
				lastErr = err.Error()
			}
		} else {
			lastErr = ""
		}
	}
}

func (c *Collection) needsCheckpoint() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := c.st
	if st == nil {
		return false
	}
	var heap int64
	for _, sp := range st.mutable.spaces {
		heap += int64(len(sp.data)) * 4
	}
	if heap >= c.opts.SealBytes {
		return true
	}
	sealed, dirty := 0, st.mutable.count > 0 || st.mutable.kills > 0
	for _, sg := range st.segs {
		if sg == st.mutable {
			continue
		}
		sealed++
		if sg.file == nil {
			return true // frozen by a checkpoint that failed to write it
		}
		if sg.kills != sg.persistedKills {
			dirty = true
		}
		if n := len(sg.ids); n > 0 && float64(n-sg.count) > c.opts.VacuumRatio*float64(n) {
			return true
		}
	}
	return sealed > c.maxSegments() || dirty && time.Since(c.lastCheckpoint) >= c.opts.SealAfter
}

// frozenSegment is a segment as of the checkpoint: its live and has bits at that moment.
type frozenSegment struct {
	sg    *segmentData
	live  bits
	has   map[string]bits
	kills uint64
}

func (f *frozenSegment) liveCount() int {
	n := 0
	for _, w := range f.live {
		n += mbits.OnesCount64(w)
	}
	return n
}

// builtSegment is a new sealed segment written from the live points of some frozen segments.
type builtSegment struct {
	id     uint64
	origin []loc // new slot -> where the point was at the checkpoint
	seg    *segmentData
}

// Checkpoint makes the collection's state durable as sealed segments and trims the WAL:
// freeze (brief locks), write segments and the manifest (no locks), swap them in (brief lock).
// Reads and writes continue throughout. See doc.go for why the files describe exactly the state
// at the checkpoint's sequence number.
func (c *Collection) Checkpoint() error {
	c.cpMu.Lock()
	defer c.cpMu.Unlock()
	return c.checkpointLocked()
}

func (c *Collection) checkpointLocked() error {
	frozen, defs, seq, err := c.freeze()
	if err != nil {
		return err
	}
	keep, groups := c.plan(frozen)
	built := make([]*builtSegment, 0, len(groups))
	cleanup := func() {
		for _, b := range built {
			if b.seg != nil && b.seg.file != nil {
				b.seg.file.Close()
			}
			os.RemoveAll(segmentDir(c.dir, b.id))
		}
	}
	for _, g := range groups {
		b, err := c.writeGroup(g, defs)
		if err != nil {
			cleanup()
			return err
		}
		built = append(built, b)
	}
	m := &manifest{Format: manifestFormat, Checkpoint: seq, NextSegment: c.nextSegment}
	oldDeleted := map[*segmentData]string{}
	newDeleted := map[*segmentData]manifestSegment{}
	for _, f := range keep {
		ms := manifestSegment{ID: f.sg.id, Deleted: f.sg.deleted, DeletedCRC: f.sg.deletedCRC, Graphs: f.sg.graphFiles, Codes: f.sg.codeFiles, Ivfs: f.sg.ivfFiles}
		if f.kills != f.sg.persistedKills {
			name := fmt.Sprintf("deleted-%d.bits", seq)
			dead := make(bits, (len(f.sg.ids)+63)/64)
			for s := range f.sg.ids {
				if !f.live.get(uint32(s)) {
					dead.set(uint32(s))
				}
			}
			crc, err := writeDeleted(filepath.Join(segmentDir(c.dir, f.sg.id), name), dead)
			if err != nil {
				cleanup()
				return fmt.Errorf("%w: %v", ErrUnavailable, err)
			}
			oldDeleted[f.sg] = f.sg.deleted
			ms.Deleted, ms.DeletedCRC = name, crc
			newDeleted[f.sg] = ms
		}
		m.Segments = append(m.Segments, ms)
	}
	for _, b := range built {
		m.Segments = append(m.Segments, manifestSegment{ID: b.id, Graphs: b.seg.graphFiles, Codes: b.seg.codeFiles, Ivfs: b.seg.ivfFiles})
	}
	m.Indexes = defs
	if err := writeManifest(c.dir, m); err != nil {
		cleanup()
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := c.log.TruncateBefore(seq + 1); err != nil {
		c.logger.Warn("wal truncation failed; old files stay until the next checkpoint", "collection", c.name, "err", err)
	}
	retired := c.swap(frozen, keep, built, newDeleted)
	var heapRetired int64 // bytes of heap vectors the retired in-memory segments held
	for _, sg := range retired {
		if sg.file == nil {
			for _, sp := range sg.spaces {
				heapRetired += 4 * int64(cap(sp.data))
			}
		}
		if sg.file != nil {
			sg.file.Close()
			os.RemoveAll(segmentDir(c.dir, sg.id))
		}
	}
	for sg, old := range oldDeleted {
		if old != "" {
			os.Remove(filepath.Join(segmentDir(c.dir, sg.id), old))
		}
	}
	c.lastCheckpoint = time.Now()
	if heapRetired >= freeOSMemoryBytes {
		// The sealed vectors now live in mapped files; give their heap copies back to the OS now
		// rather than leaving them resident until later GC cycles (seen as 500 MB after a bulk load).
		// Small segments are left to the GC: a forced collection every checkpoint is latency jitter.
		debug.FreeOSMemory()
	}
	return nil
}

// freeOSMemoryBytes is the retired heap (vectors of sealed in-memory segments) above which a
// checkpoint forces their return to the OS; the default seal size (64 MiB) reaches it.
const freeOSMemoryBytes = 32 << 20

// freeze waits until every logged operation is applied, then turns the mutable segment into a
// frozen one, starts a new mutable segment and rotates the WAL, all at one sequence number.
func (c *Collection) freeze() ([]*frozenSegment, []indexDef, uint64, error) {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	if c.closed {
		return nil, nil, 0, ErrClosed
	}
	barrier := &pending{done: make(chan error, 1)}
	c.queue <- barrier
	<-barrier.done
	if errp := c.failedErr.Load(); errp != nil {
		return nil, nil, 0, fmt.Errorf("%w: %v", ErrUnavailable, *errp)
	}
	c.mu.Lock()
	st := c.st
	seq := c.version.Load()
	var frozen []*frozenSegment
	for _, sg := range st.segs {
		f := &frozenSegment{sg: sg, live: slices.Clone(sg.live), has: map[string]bits{}, kills: sg.kills}
		for name, sp := range sg.spaces {
			f.has[name] = slices.Clone(sp.has)
		}
		for name, ss := range sg.sparse {
			f.has["\x00sparse:"+name] = slices.Clone(ss.has)
		}
		frozen = append(frozen, f)
	}
	st.mutable.mutable = false
	st.addMutable()
	defs := make([]indexDef, 0, len(st.indexes))
	for _, d := range st.indexes {
		defs = append(defs, d)
	}
	c.mu.Unlock()
	sort.Slice(defs, func(i, j int) bool { return defs[i].Field < defs[j].Field })
	if err := c.log.Rotate(); err != nil {
		return nil, nil, 0, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return frozen, defs, seq, nil
}

// plan decides which frozen segments stay as they are and which are rewritten together: in-memory
// segments are written, mostly-dead ones vacuumed, empty ones dropped, and the two smallest merged
// while there are more than MaxSegments.
func (c *Collection) plan(frozen []*frozenSegment) (keep []*frozenSegment, groups [][]*frozenSegment) {
	type unit struct {
		g    []*frozenSegment
		kept bool
		size int
	}
	var units []unit
	for _, f := range frozen {
		n, live := len(f.sg.ids), f.liveCount()
		switch {
		case live == 0: // dropped
		case f.sg.file == nil, float64(n-live) > c.opts.VacuumRatio*float64(n):
			units = append(units, unit{g: []*frozenSegment{f}, size: live})
		default:
			units = append(units, unit{g: []*frozenSegment{f}, kept: true, size: live})
		}
	}
	for len(units) > max(1, c.maxSegments()) {
		sort.SliceStable(units, func(i, j int) bool { return units[i].size < units[j].size })
		if c.opts.MaxMergeBytes > 0 && int64(units[1].size)*c.vectorBytes() >= c.opts.MaxMergeBytes {
			break // the two smallest are already big: leave them (and everything larger) alone
		}
		merged := unit{g: append(append([]*frozenSegment{}, units[0].g...), units[1].g...), size: units[0].size + units[1].size}
		units = append([]unit{merged}, units[2:]...)
	}
	for _, u := range units {
		if u.kept {
			keep = append(keep, u.g[0])
		} else {
			groups = append(groups, u.g)
		}
	}
	return keep, groups
}

// writeGroup writes the points live at the checkpoint in a group of frozen segments as one new
// sealed segment and opens it (with payload indexes built) ready to swap in.
func (c *Collection) writeGroup(g []*frozenSegment, defs []indexDef) (*builtSegment, error) {
	b := &builtSegment{id: c.nextSegment}
	c.nextSegment++
	type src struct {
		f    *frozenSegment
		slot uint32
	}
	var srcs []src
	for _, f := range g {
		for s := range f.sg.ids {
			if f.live.get(uint32(s)) {
				srcs = append(srcs, src{f, uint32(s)})
				b.origin = append(b.origin, loc{f.sg, uint32(s)})
			}
		}
	}
	dims := map[string]int{}
	for name, p := range c.cfg.Vectors {
		dims[name] = p.Size
	}
	source := &segment.Source{
		Count:   len(srcs),
		ID:      func(i int) pointid.ID { return srcs[i].f.sg.ids[srcs[i].slot] },
		Version: func(i int) uint64 { return srcs[i].f.sg.versions[srcs[i].slot] },
		Payload: func(i int) []byte { return srcs[i].f.sg.payloadJSON(srcs[i].slot) },
		Dims:    dims,
		Vector: func(name string, i int) []float32 {
			s := srcs[i]
			if !s.f.has[name].get(s.slot) {
				return nil
			}
			return s.f.sg.spaces[name].vector(s.slot)
		},
		SparseNames: c.cfg.SparseNames(),
		Sparse: func(name string, i int) ([]uint32, []float32, bool) {
			s := srcs[i]
			if !s.f.has["\x00sparse:"+name].get(s.slot) {
				return nil, nil, false
			}
			v := s.f.sg.sparse[name].vector(s.slot)
			return v.Indices, v.Values, true
		},
	}
	dir := segmentDir(c.dir, b.id)
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if _, err := segment.Write(dir, source); err != nil {
		return nil, fmt.Errorf("%w: write segment: %v", ErrUnavailable, err)
	}
	f, err := segment.Open(dir, false) // just written and fsynced from our own memory
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: reopen written segment: %v", ErrUnavailable, err)
	}
	b.seg = openSealed(c.cfg, b.id, f, nil)
	if c.cfg.Ivf != nil {
		b.seg.ivfFiles, err = c.buildIvfs(b.seg, dir)
	} else {
		b.seg.graphFiles, err = c.buildGraphs(b.seg, dir)
	}
	if err != nil {
		f.Close()
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	b.seg.adviseVectors(c.cfg)
	for _, d := range defs {
		ix := filter.NewIndex(d.Field, d.schema)
		b.seg.buildIndex(ix)
		b.seg.indexes.Put(ix)
	}
	return b, nil
}

// swap replaces the frozen segments that were not kept by the new ones. Points deleted or moved
// since the checkpoint are dead in the new segments; the others are re-pointed to them. It returns
// the segments that left the collection.
func (c *Collection) swap(frozen, keep []*frozenSegment, built []*builtSegment, newDeleted map[*segmentData]manifestSegment) []*segmentData {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	wasFrozen, kept := map[*segmentData]bool{}, map[*segmentData]bool{}
	for _, f := range frozen {
		wasFrozen[f.sg] = true
	}
	for _, f := range keep {
		kept[f.sg] = true
		if ms, ok := newDeleted[f.sg]; ok {
			f.sg.deleted, f.sg.deletedCRC, f.sg.persistedKills = ms.Deleted, ms.DeletedCRC, f.kills
		}
	}
	var segs, retired, later []*segmentData
	for _, sg := range st.segs {
		switch {
		case kept[sg]:
			segs = append(segs, sg)
		case wasFrozen[sg]:
			retired = append(retired, sg)
		default:
			later = append(later, sg) // the mutable segment started by this checkpoint
		}
	}
	for _, b := range built {
		sg := b.seg
		st.attachLookup(sg)
		for slot, o := range b.origin {
			if o.seg.live.get(o.slot) {
				st.byID[sg.ids[slot]] = loc{sg, uint32(slot)}
			} else {
				sg.kill(uint32(slot))
			}
		}
		// Index definitions created or dropped after the checkpoint apply here too.
		for field, def := range st.indexes {
			if sg.indexes.Get(field) == nil {
				ix := filter.NewIndex(def.Field, def.schema)
				sg.buildIndex(ix)
				sg.indexes.Put(ix)
			}
		}
		for _, field := range sg.indexes.Fields() {
			if _, ok := st.indexes[field]; !ok {
				sg.indexes.Delete(field)
			}
		}
		segs = append(segs, sg)
	}
	st.segs = append(segs, later...)
	st.sorted = nil
	st.noteGraphs()
	return retired
}

// maxSegments is the collection's default_segment_number, or the server's MaxSegments.
func (c *Collection) maxSegments() int {
	if c.cfg.Segments > 0 {
		return c.cfg.Segments
	}
	return c.opts.MaxSegments
}

// vectorBytes is the bytes of dense vectors one point takes.
func (c *Collection) vectorBytes() int64 {
	var n int64
	for _, p := range c.cfg.Vectors {
		n += int64(p.Size) * 4
	}
	return max(n, 1)
}
