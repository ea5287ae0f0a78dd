package embed

import (
	"sync"
	"time"
)

// BreakerState is the state of an upstream's circuit breaker; its value is the breaker-state
// metric.
type BreakerState int

// Breaker states.
const (
	// BreakerClosed: requests flow; consecutive failures are counted.
	BreakerClosed BreakerState = 0
	// BreakerHalfOpen: the cool-down has passed; one probe request is allowed.
	BreakerHalfOpen BreakerState = 1
	// BreakerOpen: no requests until the cool-down ends.
	BreakerOpen BreakerState = 2
)

// String returns "closed", "half-open" or "open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerHalfOpen:
		return "half-open"
	case BreakerOpen:
		return "open"
	}
	return "unknown"
}

// breaker is a consecutive-failure circuit breaker: closed -> open after threshold consecutive
// failures -> half-open after cooldown, where exactly one probe is let through -> closed on its
// success, open again (for another cooldown) on its failure. Safe for concurrent use.
type breaker struct {
	threshold int
	cooldown  time.Duration
	now       func() time.Time
	onChange  func(from, to BreakerState) // called with mu held; must not call back

	mu       sync.Mutex
	state    BreakerState
	failures int
	openedAt time.Time
	probing  bool // half-open and the probe is in flight
}

func newBreaker(threshold int, cooldown time.Duration, now func() time.Time, onChange func(from, to BreakerState)) *breaker {
	return &breaker{threshold: threshold, cooldown: cooldown, now: now, onChange: onChange}
}

func (b *breaker) set(s BreakerState) {
	if s != b.state {
		from := b.state
		b.state = s
		if b.onChange != nil {
			b.onChange(from, s)
		}
	}
}

// available reports whether allow would succeed now, and if not, how long until the breaker may
// let a probe through (0 when only the in-flight probe is blocking).
func (b *breaker) available() (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return true, 0
	case BreakerOpen:
		if d := b.openedAt.Add(b.cooldown).Sub(b.now()); d > 0 {
			return false, d
		}
		return true, 0
	}
	return !b.probing, 0
}

// allow asks to send a request. In half-open state only the first caller gets through (the probe)
// until it reports. A caller that got true must call record exactly once.
func (b *breaker) allow() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case BreakerClosed:
		return true
	case BreakerOpen:
		if b.now().Sub(b.openedAt) < b.cooldown {
			return false
		}
		b.set(BreakerHalfOpen)
		b.probing = true
		return true
	}
	if b.probing {
		return false
	}
	b.probing = true
	return true
}

// record reports the outcome of an allowed request. neutral outcomes (the caller's input was
// rejected, the caller gave up) end a probe without deciding anything.
func (b *breaker) record(outcome breakerOutcome) {
	b.mu.Lock()
	defer b.mu.Unlock()
	wasProbe := b.state == BreakerHalfOpen && b.probing
	if wasProbe {
		b.probing = false
	}
	switch outcome {
	case outcomeSuccess:
		b.failures = 0
		b.set(BreakerClosed)
	case outcomeFailure:
		b.failures++
		if wasProbe || b.state == BreakerClosed && b.failures >= b.threshold {
			b.openedAt = b.now()
			b.set(BreakerOpen)
		}
	}
}

// current returns the state, turning an expired open state into half-open for display.
func (b *breaker) current() BreakerState {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == BreakerOpen && b.now().Sub(b.openedAt) >= b.cooldown {
		return BreakerHalfOpen
	}
	return b.state
}

type breakerOutcome int

const (
	outcomeNeutral breakerOutcome = iota
	outcomeSuccess
	outcomeFailure
)
