package collection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/needlevdb/needle/internal/filter"
	"github.com/needlevdb/needle/internal/pointid"
	"github.com/needlevdb/needle/internal/segment"
	"github.com/needlevdb/needle/internal/wal"
)

// applyQueue bounds how many logged-but-unapplied operations may wait for the applier; writers
// block (backpressure) beyond it instead of growing memory.
const applyQueue = 256

// Collection is a named set of points with one write-ahead log. See doc.go for its lock order.
type Collection struct {
	name   string
	dir    string
	cfg    *Config
	log    wal.Log
	logger *slog.Logger

	writeMu sync.Mutex // orders WAL appends with their place in the apply queue
	closed  bool       // guarded by writeMu
	queue   chan *pending
	applied chan struct{} // closed when the applier goroutine exits

	mu sync.RWMutex // guards st
	st *state

	incarnation uint64        // random per open: caches key on it, so a recreated collection never matches
	version     atomic.Uint64 // sequence number of the last applied operation
	failedErr   atomic.Pointer[error]

	opts           Options
	cpMu           sync.Mutex // one checkpoint (or snapshot) at a time
	nextSegment    uint64     // guarded by cpMu
	lastCheckpoint time.Time  // guarded by cpMu
	stop           chan struct{}
	optimizerDone  chan struct{}
}

type pending struct {
	op   *Op // nil for a barrier: done is signalled once everything queued before it is applied
	seq  uint64
	done chan error // receives the apply result; buffered
}

// open builds a collection from its directory: the sealed segments of its manifest, then the WAL
// records after the manifest's checkpoint.
func open(name, dir string, cfg *Config, opts Options, logger *slog.Logger) (*Collection, error) {
	m, err := readManifest(dir)
	if err != nil {
		return nil, err
	}
	c := &Collection{
		name: name, dir: dir, cfg: cfg, logger: logger, opts: opts,
		queue: make(chan *pending, applyQueue), applied: make(chan struct{}),
		stop: make(chan struct{}), optimizerDone: make(chan struct{}),
		nextSegment: max(m.NextSegment, 1), lastCheckpoint: time.Now(), incarnation: rand.Uint64(),
	}
	st, err := loadState(dir, cfg, m, opts.VerifyOnOpen, logger)
	if err != nil {
		return nil, err
	}
	c.st = st
	c.version.Store(m.Checkpoint)
	log, err := wal.Open(filepath.Join(dir, walDir), m.Checkpoint+1, logger)
	if err != nil {
		st.close()
		return nil, err
	}
	if log.LastSeq() < m.Checkpoint {
		log.Close()
		st.close()
		return nil, fmt.Errorf("collection %s: the log ends at %d, before the manifest's checkpoint %d", name, log.LastSeq(), m.Checkpoint)
	}
	c.log = log
	err = log.Replay(m.Checkpoint+1, func(seq uint64, rec []byte) error {
		op, err := decodeOp(rec)
		if err != nil {
			return fmt.Errorf("collection %s: wal record %d: %w", name, seq, err)
		}
		if err := c.st.apply(op, seq); err != nil {
			return fmt.Errorf("collection %s: replay record %d: %w", name, seq, err)
		}
		c.version.Store(seq)
		return nil
	})
	if err != nil {
		log.Close()
		st.close()
		return nil, err
	}
	go c.applier()
	go c.optimizer()
	return c, nil
}

// loadState opens the manifest's segments and removes files no manifest refers to (left by a
// checkpoint that crashed before publishing its manifest).
func loadState(dir string, cfg *Config, m *manifest, verify bool, logger *slog.Logger) (*state, error) {
	st := &state{cfg: cfg, byID: map[pointid.ID]loc{}, indexes: map[string]indexDef{}}
	for _, d := range m.Indexes {
		schema, err := filter.ParseSchema(d.Schema)
		if err != nil {
			return nil, fmt.Errorf("manifest index %s: %w", d.Field, err)
		}
		d.schema = schema
		st.indexes[d.Field] = d
	}
	listed := map[string]bool{}
	for _, ms := range m.Segments {
		sdir := segmentDir(dir, ms.ID)
		listed[filepath.Base(sdir)] = true
		f, err := segment.Open(sdir, verify)
		if err != nil {
			st.close()
			return nil, err
		}
		if err := checkDims(cfg, f); err != nil {
			f.Close()
			st.close()
			return nil, err
		}
		var dead bits
		if ms.Deleted != "" {
			if dead, err = readDeleted(filepath.Join(sdir, ms.Deleted), f.Meta.Count, ms.DeletedCRC); err != nil {
				f.Close()
				st.close()
				return nil, err
			}
		}
		sg := openSealed(cfg, ms.ID, f, dead)
		sg.deleted, sg.deletedCRC, sg.graphFiles = ms.Deleted, ms.DeletedCRC, ms.Graphs
		if err := loadGraphs(sg, sdir, ms.Graphs); err != nil {
			f.Close()
			st.close()
			return nil, err
		}
		if err := loadCodes(cfg, sg, sdir, ms.Codes, logger); err != nil {
			f.Close()
			st.close()
			return nil, err
		}
		if err := loadIvfs(sg, sdir, ms.Ivfs); err != nil {
			f.Close()
			st.close()
			return nil, err
		}
		sg.adviseVectors(cfg)
		st.segs = append(st.segs, sg)
		for s, id := range sg.ids {
			if sg.live.get(uint32(s)) {
				if _, dup := st.byID[id]; dup {
					st.close()
					return nil, fmt.Errorf("collection %s: point %s is live in two segments", dir, id)
				}
				st.byID[id] = loc{sg, uint32(s)}
				st.count++
			}
		}
		st.attach(sg)
	}
	st.noteGraphs() // once for all the segments opened
	st.addMutable()
	entries, _ := os.ReadDir(filepath.Join(dir, segmentsDir))
	for _, e := range entries {
		if !listed[e.Name()] {
			logger.Info("removing segment files no manifest refers to", "dir", filepath.Join(dir, segmentsDir, e.Name()))
			os.RemoveAll(filepath.Join(dir, segmentsDir, e.Name()))
		}
	}
	return st, nil
}

// Name returns the collection's name.
func (c *Collection) Name() string { return c.name }

// Config returns the collection's configuration. Callers must not modify it.
func (c *Collection) Config() *Config { return c.cfg }

// Incarnation identifies this opening of the collection (random); with Version it keys caches.
func (c *Collection) Incarnation() uint64 { return c.incarnation }

// Version returns the sequence number of the last applied write; it changes on every write.
func (c *Collection) Version() uint64 { return c.version.Load() }

// Submit validates, logs and applies op. It returns once op is durable in the log; with wait it
// also waits until op is applied and visible to reads. The returned sequence number is Qdrant's
// operation_id.
func (c *Collection) Submit(ctx context.Context, op *Op, wait bool) (uint64, error) {
	if err := c.validate(op); err != nil {
		return 0, err
	}
	rec, err := op.encode()
	if err != nil {
		return 0, invalidf("%v", err)
	}
	p := &pending{op: op, done: make(chan error, 1)}
	c.writeMu.Lock()
	if c.closed {
		c.writeMu.Unlock()
		return 0, ErrClosed
	}
	if errp := c.failedErr.Load(); errp != nil {
		c.writeMu.Unlock()
		return 0, fmt.Errorf("%w: collection %s cannot accept writes: %v", ErrUnavailable, c.name, *errp)
	}
	p.seq, err = c.log.Append(rec)
	if err != nil {
		c.writeMu.Unlock()
		return 0, fmt.Errorf("%w: write-ahead log append failed: %v", ErrUnavailable, err)
	}
	c.queue <- p // bounded: blocks when the applier is behind
	c.writeMu.Unlock()
	if err := c.log.Sync(p.seq); err != nil {
		return 0, fmt.Errorf("%w: write-ahead log sync failed: %v", ErrUnavailable, err)
	}
	if !wait {
		return p.seq, nil
	}
	select {
	case err := <-p.done:
		return p.seq, err
	case <-ctx.Done():
		// The operation is durable and will be applied; only the wait is abandoned.
		return p.seq, ctx.Err()
	}
}

// applier applies logged operations in log order, each only after it is durable, batching
// whatever is queued under one write lock.
func (c *Collection) applier() {
	defer close(c.applied)
	batch := make([]*pending, 0, 64)
	for p := range c.queue {
		batch = append(batch[:0], p)
	drain:
		for len(batch) < cap(batch) {
			select {
			case q, ok := <-c.queue:
				if !ok {
					break drain
				}
				batch = append(batch, q)
			default:
				break drain
			}
		}
		last := uint64(0)
		for _, q := range batch {
			last = max(last, q.seq)
		}
		if err := c.log.Sync(last); err != nil {
			c.fail(err)
			for _, q := range batch {
				q.done <- fmt.Errorf("%w: %v", ErrUnavailable, err)
			}
			continue
		}
		c.mu.Lock()
		results := make([]error, len(batch))
		for i, q := range batch {
			if q.op != nil {
				results[i] = c.st.apply(q.op, q.seq)
				c.version.Store(q.seq)
			}
		}
		c.mu.Unlock()
		for i, q := range batch {
			if results[i] != nil {
				c.logger.Error("apply failed", "collection", c.name, "seq", q.seq, "err", results[i])
			}
			q.done <- results[i]
		}
	}
}

func (c *Collection) fail(err error) {
	if c.failedErr.CompareAndSwap(nil, &err) {
		c.logger.Error("collection is read-only after a log failure", "collection", c.name, "err", err)
	}
}

// close stops accepting writes, waits for queued operations to be applied and closes the log.
func (c *Collection) close() error {
	c.writeMu.Lock()
	if c.closed {
		c.writeMu.Unlock()
		return nil
	}
	c.closed = true
	c.writeMu.Unlock()
	close(c.stop)
	<-c.optimizerDone // a running checkpoint finishes first (it takes writeMu while freezing)
	c.cpMu.Lock()     // and so does one started by a snapshot
	c.cpMu.Unlock()
	c.writeMu.Lock()
	close(c.queue)
	c.writeMu.Unlock()
	<-c.applied
	err := c.log.Close()
	c.mu.Lock()
	c.st.close() // unmaps sealed segments: no reader may touch them after this
	c.st = nil
	c.mu.Unlock()
	if err != nil && !errors.Is(err, wal.ErrClosed) {
		return fmt.Errorf("close wal of %s: %w", c.name, err)
	}
	return nil
}

// validate checks op against the configuration and current state before it is logged.
func (c *Collection) validate(op *Op) error {
	switch op.Kind {
	case OpUpsert:
		if len(op.Points) == 0 {
			return invalidf("no points to upsert")
		}
		for i := range op.Points {
			p := &op.Points[i]
			if err := c.cfg.checkPoint(p); err != nil {
				return err
			}
			if len(p.Vectors) == 0 && len(p.Sparse) == 0 {
				return invalidf("point %s: no vector given", p.ID)
			}
		}
	case OpSetPayload, OpOverwritePayload, OpDeletePayload, OpClearPayload:
		if op.Select.Filter == nil && op.Select.FilterJSON == nil {
			c.mu.RLock()
			defer c.mu.RUnlock()
			if c.st == nil {
				return ErrClosed
			}
			for _, id := range op.Select.IDs {
				if _, ok := c.st.lookup(id); !ok {
					return notFoundf("no point with id %s found", id)
				}
			}
		}
	case OpCreateIndex:
		if op.Field == "" {
			return invalidf("field_name must not be empty")
		}
		schema, err := filter.ParseSchema(op.Schema)
		if err != nil {
			return invalidf("field_schema: %v", err)
		}
		op.schemaOK = schema
	case OpUpdateVectors:
		if len(op.Points) == 0 {
			return invalidf("no points to update")
		}
		c.mu.RLock()
		defer c.mu.RUnlock()
		if c.st == nil {
			return ErrClosed
		}
		for i := range op.Points {
			p := &op.Points[i]
			if err := c.cfg.checkPoint(p); err != nil {
				return err
			}
			if _, ok := c.st.lookup(p.ID); !ok {
				return notFoundf("no point with id %s found", p.ID)
			}
		}
	case OpDeleteVectors:
		for _, n := range op.Keys {
			_, sparse := c.cfg.SparseVectors[n]
			if _, dense := c.cfg.Vectors[n]; !dense && !sparse {
				return invalidf("Wrong input: Not existing vector name error: %s", n)
			}
		}
	case OpDelete, OpDeleteIndex:
	default:
		return fmt.Errorf("BUG: validate of unknown op kind %d", op.Kind)
	}
	return nil
}

// checkDims refuses a segment whose vector columns do not match the configuration.
func checkDims(cfg *Config, f *segment.Segment) error {
	for name, p := range cfg.Vectors {
		vm, ok := f.Meta.Vectors[name]
		if !ok || vm.Dim != p.Size {
			return &segment.CorruptionError{File: f.Dir, Reason: fmt.Sprintf("vector %q: segment has dim %d, configuration says %d", name, vm.Dim, p.Size)}
		}
	}
	if len(f.Meta.Vectors) != len(cfg.Vectors) {
		return &segment.CorruptionError{File: f.Dir, Reason: "segment's vector names do not match the configuration"}
	}
	return nil
}
