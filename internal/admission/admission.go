// Package admission bounds CPU-bound work: a scheduler with a fixed number of worker slots (sized
// to the cores) and a bounded wait queue. Work beyond both is rejected at once, so load beyond
// capacity becomes fast 503s instead of growing memory and latency without limit.
//
// Concurrency: a Scheduler is safe for concurrent use. Acquire blocks only while queued; a queued
// caller whose context ends (deadline or client disconnect) leaves the queue immediately.
package admission

import (
	"context"
	"errors"
	"sync/atomic"
)

// ErrOverloaded is returned when every slot is busy and the queue is full.
var ErrOverloaded = errors.New("server overloaded: search queue is full")

// Scheduler admits work into Slots concurrent slots with up to Queue callers waiting.
type Scheduler struct {
	slots    chan struct{}
	queue    int64
	waiting  atomic.Int64
	running  atomic.Int64
	rejected atomic.Uint64
}

// New returns a scheduler with the given number of slots and queue length.
func New(slots, queue int) *Scheduler {
	if slots < 1 {
		slots = 1
	}
	return &Scheduler{slots: make(chan struct{}, slots), queue: int64(max(queue, 0))}
}

// Acquire takes a slot, waiting in the queue if needed. The returned release must be called once
// the work is done. It fails with ErrOverloaded when the queue is full, or with ctx's error.
func (s *Scheduler) Acquire(ctx context.Context) (release func(), err error) {
	if release, ok := s.TryAcquire(); ok {
		return release, nil
	}
	if s.waiting.Add(1) > s.queue {
		s.waiting.Add(-1)
		s.rejected.Add(1)
		return nil, ErrOverloaded
	}
	defer s.waiting.Add(-1)
	select {
	case s.slots <- struct{}{}:
		s.running.Add(1)
		return s.release, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// TryAcquire takes a slot if one is free now, without queueing.
func (s *Scheduler) TryAcquire() (release func(), ok bool) {
	select {
	case s.slots <- struct{}{}:
		s.running.Add(1)
		return s.release, true
	default:
		return nil, false
	}
}

func (s *Scheduler) release() {
	s.running.Add(-1)
	<-s.slots
}

// Waiting returns the number of queued callers.
func (s *Scheduler) Waiting() int64 { return s.waiting.Load() }

// Running returns the number of slots in use.
func (s *Scheduler) Running() int64 { return s.running.Load() }

// Rejected returns how many callers were turned away.
func (s *Scheduler) Rejected() uint64 { return s.rejected.Load() }

// Slots returns the number of slots.
func (s *Scheduler) Slots() int { return cap(s.slots) }
