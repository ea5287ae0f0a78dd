package server

import (
	"context"
	"sync"

	"github.com/needlevdb/needle/internal/admission"
	"github.com/needlevdb/needle/internal/collection"
)

// maxCoalesced bounds how many queries one pass over the vectors answers: enough to reach the
// four-query kernel's full reuse many times over, small enough to keep the pass's latency near a
// single query's (BenchmarkCoalescing in coalesce_test.go).
const maxCoalesced = 32

// coalescer merges concurrent unfiltered exact queries on one collection into shared passes
// (collection.SearchBatch reads each base vector once per four queries). There is no timer: a query
// that arrives while no pass is running starts one at once, so a lone query waits for nothing;
// queries that arrive during a pass are answered together by the next one. The waiting list is
// bounded; beyond it the query is rejected like any overload.
type coalescer struct {
	sched *admission.Scheduler
	limit int

	mu    sync.Mutex
	byCol map[*collection.Collection]*group
}

type group struct {
	pending []*coalesced
	active  bool
}

type coalesced struct {
	req  collection.SearchRequest
	ctx  context.Context
	res  []collection.Record
	err  error
	done chan struct{}
}

func newCoalescer(sched *admission.Scheduler, limit int) *coalescer {
	return &coalescer{sched: sched, limit: max(limit, 1), byCol: map[*collection.Collection]*group{}}
}

// search answers req, possibly together with concurrent queries on the same collection.
func (co *coalescer) search(ctx context.Context, c *collection.Collection, req collection.SearchRequest) ([]collection.Record, error) {
	item := &coalesced{req: req, ctx: ctx, done: make(chan struct{})}
	co.mu.Lock()
	g := co.byCol[c]
	if g == nil {
		g = &group{}
		co.byCol[c] = g
	}
	waiting := 0
	for _, gg := range co.byCol {
		waiting += len(gg.pending)
	}
	if waiting >= co.limit {
		co.mu.Unlock()
		return nil, admission.ErrOverloaded
	}
	g.pending = append(g.pending, item)
	lead := !g.active
	if lead {
		g.active = true
	}
	co.mu.Unlock()
	if lead {
		go co.lead(c, g)
	}
	select {
	case <-item.done:
		return item.res, item.err
	case <-ctx.Done():
		return nil, ctx.Err() // the pass may still compute it; nobody waits for the answer
	}
}

// lead runs passes for g until nobody is waiting, on its own goroutine so that every query's
// handler returns as soon as its own pass is done.
func (co *coalescer) lead(c *collection.Collection, g *group) {
	for {
		co.mu.Lock()
		n := min(len(g.pending), maxCoalesced)
		batch := append([]*coalesced(nil), g.pending[:n]...)
		g.pending = g.pending[n:]
		if n == 0 {
			g.active = false
			if len(g.pending) == 0 {
				delete(co.byCol, c)
			}
			co.mu.Unlock()
			return
		}
		co.mu.Unlock()
		co.run(c, batch)
	}
}

// acquire takes a scheduler slot for a batch: at once if one is free; otherwise it waits while
// anyone in the batch still wants an answer (one caller leaving must not fail the rest), with a
// watcher goroutine only when the batch has several callers and must wait.
func (co *coalescer) acquire(live []*coalesced) (func(), error) {
	if release, ok := co.sched.TryAcquire(); ok {
		return release, nil
	}
	if len(live) == 1 {
		return co.sched.Acquire(live[0].ctx)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for _, it := range live {
			select {
			case <-it.ctx.Done():
			case <-ctx.Done():
				return
			}
		}
		cancel()
	}()
	release, err := co.sched.Acquire(ctx)
	if err != nil && ctx.Err() != nil && err == ctx.Err() {
		err = live[0].ctx.Err() // everyone left; report the callers' own reason
	}
	return release, err
}

func (co *coalescer) run(c *collection.Collection, batch []*coalesced) {
	live := batch[:0:0]
	for _, it := range batch {
		if it.ctx.Err() != nil {
			it.err = it.ctx.Err()
			close(it.done)
			continue
		}
		live = append(live, it)
	}
	if len(live) == 0 {
		return
	}
	release, err := co.acquire(live)
	if err != nil {
		for _, it := range live {
			it.err = err
			close(it.done)
		}
		return
	}
	defer release()
	reqs := make([]collection.SearchRequest, len(live))
	for i, it := range live {
		reqs[i] = it.req
	}
	res, err := c.SearchBatch(context.Background(), reqs)
	for i, it := range live {
		if err != nil {
			it.err = err
		} else {
			it.res = res[i]
		}
		close(it.done)
	}
}
