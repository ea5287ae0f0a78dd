package embed

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"
	"unicode/utf8"
)

// provider serves one model: a cache, a table of texts being embedded (so identical concurrent
// texts are embedded once), a FIFO of texts waiting for a request slot, and the upstreams.
//
// Batching needs no timer when the provider is not saturated. A text that finds a free slot
// (fewer than MaxConcurrency requests in flight) leaves at once with whatever else is waiting,
// so a lone request waits for nothing; texts that arrive while every slot is busy queue up, and
// each request that finishes takes up to MaxBatch of them into its next request. Under load,
// batches therefore grow to what arrived during one upstream round trip; when saturated, see
// nextBatch for the Linger.
type provider struct {
	cfg   Provider
	ups   []*upstream
	balMu sync.Mutex // guards the round-robin counters of ups
	log   *slog.Logger
	m     *providerMetrics
	base  context.Context // ended by close
	stop  context.CancelFunc

	mu      sync.Mutex
	cache   *lru
	pending map[string]*pending // texts queued or in a request, by text
	queue   []*pending          // FIFO; may hold abandoned entries, skipped when taken
	queued  int                 // live entries in queue
	running int                 // requests in flight
	fill    float64             // moving average of batch size / MaxBatch
	// lingering: a free slot is held for up to Linger (see nextBatch); lingerTimer calls flush.
	lingering   bool
	lingerTimer *time.Timer
	closed      bool
	inflight    sync.WaitGroup // goroutines running batches, for close
}

// pending is one distinct text being embedded for one or more waiting callers. Fields other
// than done, vec and err are guarded by provider.mu; vec and err are written before done closes.
type pending struct {
	text       string
	waiters    int       // callers still waiting
	deadline   time.Time // latest deadline among the waiters that had one
	noDeadline bool      // a waiter had no deadline
	b          *batch    // the request carrying it, nil while queued
	abandoned  bool      // every waiter left while it was queued
	finished   bool
	done       chan struct{}
	vec        []float32
	err        *Error
}

// batch is one upstream request's worth of texts. live counts items with waiters; when it drops
// to zero the request is canceled.
type batch struct {
	items  []*pending
	live   int
	ctx    context.Context
	cancel context.CancelFunc
}

// embed is Embedder.Embed for this provider.
func (p *provider) embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := p.validate(texts); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("embedding with model %q: %w", p.cfg.Name, err)
	}
	// Distinct texts: slot[i] is the index in uniq of texts[i].
	uniq, slot := texts, []int(nil)
	if len(texts) > 1 {
		seen := make(map[string]int, len(texts))
		uniq, slot = make([]string, 0, len(texts)), make([]int, len(texts))
		for i, t := range texts {
			j, ok := seen[t]
			if !ok {
				j = len(uniq)
				seen[t] = j
				uniq = append(uniq, t)
			}
			slot[i] = j
		}
	}
	vecs := make([][]float32, len(uniq))
	waits := make([]*pending, len(uniq))
	dl, hasDL := ctx.Deadline()

	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil, newError(ErrClosed, p.cfg.Name, "embedding model %q is unavailable: shutting down", p.cfg.Name)
	}
	hits, joined, fresh := 0, 0, 0
	for j, t := range uniq {
		if v, ok := p.cache.get(t); ok {
			vecs[j] = v
			hits++
		} else if pd := p.pending[t]; pd != nil {
			waits[j] = pd
			joined++
		} else {
			fresh++
		}
	}
	if fresh > 0 && p.queued+fresh > p.cfg.MaxQueue {
		p.mu.Unlock()
		p.m.rejected.Inc()
		e := newError(ErrQueueFull, p.cfg.Name, "embedding model %q is overloaded: %d texts are waiting (max_queue %d); retry later", p.cfg.Name, p.queued, p.cfg.MaxQueue)
		e.RetryAfter = time.Second
		return nil, e
	}
	for j, t := range uniq {
		if vecs[j] != nil {
			continue
		}
		pd := waits[j]
		if pd == nil {
			pd = &pending{text: t, done: make(chan struct{})}
			p.pending[t] = pd
			p.queue = append(p.queue, pd)
			p.queued++
			waits[j] = pd
		}
		if pd.waiters == 0 && pd.b != nil {
			pd.b.live++
		}
		pd.waiters++
		if !hasDL {
			pd.noDeadline = true
		} else if dl.After(pd.deadline) {
			pd.deadline = dl
		}
	}
	var start []*batch
	for b := p.nextBatch(); b != nil; b = p.nextBatch() {
		start = append(start, b)
	}
	p.inflight.Add(len(start))
	p.mu.Unlock()
	p.m.hits.Add(float64(hits))
	p.m.misses.Add(float64(len(uniq) - hits))
	p.m.dedup.Add(float64(joined + len(texts) - len(uniq)))
	for _, b := range start {
		go p.run(b)
	}

	for j, pd := range waits {
		if pd == nil {
			continue
		}
		select {
		case <-pd.done:
			if pd.err != nil {
				p.release(waits[j+1:])
				return nil, pd.err
			}
			vecs[j] = pd.vec
		case <-ctx.Done():
			p.release(waits[j:])
			return nil, fmt.Errorf("embedding with model %q: %w", p.cfg.Name, ctx.Err())
		}
	}
	// Every vector is here: copy them out (callers may normalise in place; the cache's copies
	// must not change) into one allocation.
	out := make([][]float32, len(texts))
	d := p.cfg.Dimensions
	flat := make([]float32, len(texts)*d)
	for i := range texts {
		j := i
		if slot != nil {
			j = slot[i]
		}
		v := flat[i*d : (i+1)*d : (i+1)*d]
		copy(v, vecs[j])
		out[i] = v
	}
	return out, nil
}

// validate checks every text before anything is queued, so a bad text fails the whole call.
func (p *provider) validate(texts []string) error {
	if len(texts) > p.cfg.MaxQueue {
		return newError(ErrBadInput, p.cfg.Name, "too many texts for model %q in one request: %d, the limit is %d", p.cfg.Name, len(texts), p.cfg.MaxQueue)
	}
	for i, t := range texts {
		switch {
		case t == "":
			return newError(ErrBadInput, p.cfg.Name, "text %d is empty", i)
		case len(t) > p.cfg.MaxTextBytes:
			return newError(ErrBadInput, p.cfg.Name, "text %d is %d bytes, over the limit of %d for model %q", i, len(t), p.cfg.MaxTextBytes, p.cfg.Name)
		case !utf8.ValidString(t):
			return newError(ErrBadInput, p.cfg.Name, "text %d is not valid UTF-8", i)
		}
	}
	return nil
}

// nextBatch returns a batch to send now, if a request slot is free and texts are waiting, or nil.
// When the provider is saturated (recent batches at least half full, and a request still in
// flight) and fewer than MaxBatch texts wait, it holds the free slot for up to Linger instead, so that the texts arriving
// together (the callers of the batch that just finished, under a closed loop) share one request
// rather than the first of them taking a slot alone; flush sends what has gathered. p.mu must be
// held.
func (p *provider) nextBatch() *batch {
	if p.queued == 0 || p.running >= p.cfg.MaxConcurrency {
		return nil
	}
	if p.queued >= p.cfg.MaxBatch || p.cfg.Linger <= 0 || p.fill < 0.5 || p.running == 0 {
		return p.takeBatch()
	}
	if !p.lingering {
		p.lingering = true
		p.lingerTimer.Reset(p.cfg.Linger)
	}
	return nil
}

// flush sends the texts gathered while a slot was held (the Linger timer).
func (p *provider) flush() {
	p.mu.Lock()
	p.lingering = false
	var start []*batch
	for !p.closed && p.queued > 0 && p.running < p.cfg.MaxConcurrency {
		start = append(start, p.takeBatch())
	}
	p.inflight.Add(len(start))
	p.mu.Unlock()
	for _, b := range start {
		go p.run(b)
	}
}

// takeBatch moves up to MaxBatch live texts from the queue into a new batch and counts it as
// running. p.mu must be held and p.queued > 0.
func (p *provider) takeBatch() *batch {
	n := min(p.queued, p.cfg.MaxBatch)
	b := &batch{items: make([]*pending, 0, n)}
	var dl time.Time
	noDL := false
	k := 0
	for ; len(b.items) < n; k++ {
		pd := p.queue[k]
		p.queue[k] = nil
		if pd.abandoned {
			continue
		}
		pd.b = b
		b.items = append(b.items, pd)
		noDL = noDL || pd.noDeadline
		if pd.deadline.After(dl) {
			dl = pd.deadline
		}
	}
	p.queue = p.queue[k:]
	if len(p.queue) == 0 {
		p.queue = p.queue[:0:0] // let the backing array go
	}
	p.queued -= n
	p.fill = 0.75*p.fill + 0.25*float64(n)/float64(p.cfg.MaxBatch)
	b.live = n
	if noDL {
		b.ctx, b.cancel = context.WithCancel(p.base)
	} else {
		b.ctx, b.cancel = context.WithDeadline(p.base, dl)
	}
	p.running++
	return b
}

// run sends b, delivers its results, and keeps taking batches while texts are waiting.
func (p *provider) run(b *batch) {
	defer p.inflight.Done()
	for b != nil {
		texts := make([]string, len(b.items))
		for i, pd := range b.items {
			texts[i] = pd.text
		}
		vecs, errs := p.callIsolating(b.ctx, texts)
		b.cancel()
		p.mu.Lock()
		for i, pd := range b.items {
			if errs[i] == nil {
				pd.vec = vecs[i]
				p.cache.put(pd.text, pd.vec)
			} else {
				pd.err = errs[i]
			}
			pd.finished = true
			if p.pending[pd.text] == pd {
				delete(p.pending, pd.text)
			}
			close(pd.done)
		}
		p.running--
		b = nil
		if !p.closed {
			b = p.nextBatch() // this goroutine carries it on
		}
		p.mu.Unlock()
	}
}

// callIsolating embeds texts like call, but when the upstream refuses the input of a batch
// (400, 413, 422) it halves the batch and tries again, so that one caller's bad text fails only
// the callers of that text, not everyone it was batched with. It returns vectors on success and
// one error per text otherwise.
func (p *provider) callIsolating(ctx context.Context, texts []string) ([][]float32, []*Error) {
	vecs, err := p.call(ctx, texts)
	errs := make([]*Error, len(texts))
	if err == nil {
		return vecs, errs
	}
	if err.Kind != ErrBadInput || len(texts) == 1 {
		for i := range errs {
			errs[i] = err
		}
		return nil, errs
	}
	h := len(texts) / 2
	vecs = make([][]float32, len(texts))
	lv, le := p.callIsolating(ctx, texts[:h])
	rv, re := p.callIsolating(ctx, texts[h:])
	copy(errs, le)
	copy(errs[h:], re)
	if lv != nil {
		copy(vecs, lv)
	}
	if rv != nil {
		copy(vecs[h:], rv)
	}
	return vecs, errs
}

// release withdraws a caller from the texts it was waiting for (its context ended, or another of
// its texts failed). A queued text nobody waits for is dropped; a request nobody waits for is
// canceled, and its texts are forgotten so later callers start afresh.
func (p *provider) release(waits []*pending) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, pd := range waits {
		if pd == nil || pd.finished {
			continue
		}
		pd.waiters--
		if pd.waiters > 0 {
			continue
		}
		if pd.b == nil {
			pd.abandoned = true
			p.queued--
			if p.pending[pd.text] == pd {
				delete(p.pending, pd.text)
			}
			continue
		}
		pd.b.live--
		if pd.b.live == 0 {
			pd.b.cancel()
			for _, it := range pd.b.items {
				if p.pending[it.text] == it {
					delete(p.pending, it.text)
				}
			}
		}
	}
}

// close fails every queued text with ErrClosed, cancels the requests in flight and waits for
// them to finish.
func (p *provider) close() {
	p.mu.Lock()
	p.closed = true
	err := newError(ErrClosed, p.cfg.Name, "embedding model %q is unavailable: shutting down", p.cfg.Name)
	for _, pd := range p.queue {
		if pd == nil || pd.abandoned {
			continue
		}
		pd.err, pd.finished = err, true
		delete(p.pending, pd.text)
		close(pd.done)
	}
	p.queue, p.queued = nil, 0
	p.lingerTimer.Stop()
	p.mu.Unlock()
	p.stop()
	p.inflight.Wait()
	for _, u := range p.ups {
		u.client.CloseIdleConnections()
	}
}
