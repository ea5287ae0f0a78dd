// Package usage counts requests per caller in memory and persists the counters in batches: a
// background loop writes them to one checksummed JSON file every interval when they changed, so no
// request ever waits for a disk write (the lesson of seed 004).
//
// Concurrency: Record is lock-free for known callers (atomic counters); a new caller takes a
// short write lock once.
package usage

import (
	"errors"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/needlevdb/needle/internal/jsonfile"
)

// Counters are one caller's totals.
type Counters struct {
	Requests atomic.Uint64
	Reads    atomic.Uint64
	Writes   atomic.Uint64
	Errors   atomic.Uint64
	BytesIn  atomic.Uint64
	BytesOut atomic.Uint64
	InFlight atomic.Int64
}

// Snapshot is the persisted and reported form of Counters.
type Snapshot struct {
	ID       string `json:"id"`
	Requests uint64 `json:"requests"`
	Reads    uint64 `json:"reads"`
	Writes   uint64 `json:"writes"`
	Errors   uint64 `json:"errors"`
	BytesIn  uint64 `json:"bytes_in"`
	BytesOut uint64 `json:"bytes_out"`
}

// Tracker holds every caller's counters.
type Tracker struct {
	path    string
	logger  *slog.Logger
	mu      sync.RWMutex
	callers map[string]*Counters
	changed atomic.Bool
	stop    chan struct{}
	done    chan struct{}
}

// Open loads counters from path (if it exists) and starts flushing every interval.
func Open(path string, interval time.Duration, logger *slog.Logger) *Tracker {
	t := &Tracker{path: path, logger: logger, callers: map[string]*Counters{}, stop: make(chan struct{}), done: make(chan struct{})}
	var saved []Snapshot
	if err := jsonfile.Read(path, &saved); err == nil {
		for _, s := range saved {
			c := t.get(s.ID)
			c.Requests.Store(s.Requests)
			c.Reads.Store(s.Reads)
			c.Writes.Store(s.Writes)
			c.Errors.Store(s.Errors)
			c.BytesIn.Store(s.BytesIn)
			c.BytesOut.Store(s.BytesOut)
		}
	} else if !errors.Is(err, os.ErrNotExist) && logger != nil {
		logger.Warn("usage counters not loaded; starting from zero", "file", path, "err", err)
	}
	go t.loop(interval)
	return t
}

// Caller returns the counters of id, creating them on first use.
func (t *Tracker) Caller(id string) *Counters {
	t.changed.Store(true)
	return t.get(id)
}

func (t *Tracker) get(id string) *Counters {
	t.mu.RLock()
	c, ok := t.callers[id]
	t.mu.RUnlock()
	if ok {
		return c
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok = t.callers[id]; !ok {
		c = &Counters{}
		t.callers[id] = c
	}
	return c
}

// Snapshot returns every caller's totals, sorted by id.
func (t *Tracker) Snapshot() []Snapshot {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Snapshot, 0, len(t.callers))
	for id, c := range t.callers {
		out = append(out, Snapshot{ID: id, Requests: c.Requests.Load(), Reads: c.Reads.Load(), Writes: c.Writes.Load(),
			Errors: c.Errors.Load(), BytesIn: c.BytesIn.Load(), BytesOut: c.BytesOut.Load()})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

func (t *Tracker) loop(interval time.Duration) {
	defer close(t.done)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			t.flush()
			return
		case <-tick.C:
			t.flush()
		}
	}
}

// flush writes the counters if anything changed since the last flush.
func (t *Tracker) flush() {
	if !t.changed.Swap(false) {
		return
	}
	if err := jsonfile.Write(t.path, t.Snapshot()); err != nil && t.logger != nil {
		t.logger.Warn("usage counters not saved", "file", t.path, "err", err)
		t.changed.Store(true)
	}
}

// Close flushes once more and stops the loop.
func (t *Tracker) Close() {
	close(t.stop)
	<-t.done
}
