package admission

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestSlotsQueueAndRejection(t *testing.T) {
	s := New(2, 3)
	ctx := context.Background()
	var rels []func()
	for i := 0; i < 2; i++ {
		r, err := s.Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rels = append(rels, r)
	}
	got := make(chan error, 10)
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ { // these queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := s.Acquire(ctx)
			if err == nil {
				r()
			}
			got <- err
		}()
	}
	for s.Waiting() != 3 {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.Acquire(ctx); !errors.Is(err, ErrOverloaded) {
		t.Fatalf("fourth waiter: %v, want ErrOverloaded", err)
	}
	if s.Rejected() != 1 {
		t.Fatalf("rejected = %d", s.Rejected())
	}
	for _, r := range rels {
		r()
	}
	wg.Wait()
	close(got)
	for err := range got {
		if err != nil {
			t.Fatalf("queued caller failed: %v", err)
		}
	}
	if s.Running() != 0 || s.Waiting() != 0 {
		t.Fatalf("running %d waiting %d", s.Running(), s.Waiting())
	}
}

func TestQueuedCallerLeavesOnCancel(t *testing.T) {
	s := New(1, 5)
	r, _ := s.Acquire(context.Background())
	defer r()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.Acquire(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > time.Second || s.Waiting() != 0 {
		t.Fatal("cancelled caller did not leave the queue")
	}
}

func TestTryAcquire(t *testing.T) {
	s := New(1, 1)
	release, ok := s.TryAcquire()
	if !ok || s.Running() != 1 {
		t.Fatalf("first TryAcquire: ok %v, running %d", ok, s.Running())
	}
	if _, ok := s.TryAcquire(); ok || s.Waiting() != 0 || s.Rejected() != 0 {
		t.Fatalf("TryAcquire with no free slot: ok %v, waiting %d, rejected %d", ok, s.Waiting(), s.Rejected())
	}
	release()
	if _, ok := s.TryAcquire(); !ok {
		t.Fatal("TryAcquire after release failed")
	}
}
