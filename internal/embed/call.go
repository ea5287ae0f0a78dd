package embed

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// call embeds one batch: it picks upstreams by weight, fails over to an upstream not yet tried
// after a failure, retries with exponential backoff and jitter on 429, 5xx, timeouts and network
// errors (honouring Retry-After), skips upstreams whose breaker is open, and gives up when the
// retries are spent or the batch's deadline would pass. Failing over to an untried upstream does
// not use up a retry, so a batch makes at most len(upstreams) + Retries requests.
func (p *provider) call(ctx context.Context, texts []string) ([][]float32, *Error) {
	var tried, excluded, hinted uint64 // bit i: upstream i tried / misconfigured / sent Retry-After
	var last *Error
	retries, backoffs := 0, 0
	for {
		if err := ctx.Err(); err != nil {
			return nil, p.gaveUp(last, err)
		}
		u, i, wait, unavailable := p.pick(tried, excluded)
		if u == nil {
			if unavailable != nil {
				if last != nil {
					last.RetryAfter = max(last.RetryAfter, unavailable.RetryAfter)
					return nil, last
				}
				return nil, unavailable
			}
			// Every usable upstream asked us to wait (Retry-After): wait if there is time.
			if !p.sleep(ctx, wait) {
				return nil, p.retryLater(last, wait)
			}
			continue
		}
		bit := uint64(1) << i
		if tried&bit != 0 {
			if retries >= p.cfg.Retries {
				return nil, last
			}
			retries++
			if hinted&bit == 0 { // a Retry-After already made us wait
				d := p.backoff(backoffs)
				backoffs++
				if !p.sleep(ctx, d) {
					return nil, p.retryLater(last, d)
				}
			}
		}
		if !u.breaker.allow() {
			continue // another batch took the half-open probe; pick again
		}
		a := u.send(ctx, p.cfg.Timeout, p.cfg.Dimensions, p.cfg.SendDimensions, texts)
		u.breaker.record(a.breakerOutcome())
		switch a.kind {
		case attemptOK:
			return a.vecs, nil
		case attemptCanceled:
			return nil, p.gaveUp(last, a.cause)
		case attemptInput:
			e := newError(ErrBadInput, p.cfg.Name, "embedding upstream %q rejected the input for model %q: %s", u.name, p.cfg.Name, a.msg)
			e.Upstream, e.Status = u.name, a.status
			return nil, e
		case attemptRefused, attemptBadResponse, attemptDimensions:
			excluded |= bit
			kind := ErrBadResponse
			if a.kind == attemptDimensions {
				kind = ErrDimensions
			}
			last = newError(kind, p.cfg.Name, "embedding upstream %q for model %q: %s", u.name, p.cfg.Name, a.msg)
		default: // rate limited, server error, network, timeout
			tried |= bit
			hinted &^= bit
			if a.retryAfter > 0 {
				u.notBefore.Store(time.Now().Add(a.retryAfter).UnixNano())
				hinted |= bit
			}
			last = newError(ErrUnavailable, p.cfg.Name, "embedding upstream %q for model %q: %s", u.name, p.cfg.Name, a.msg)
			last.RetryAfter = a.retryAfter
			last.cause = a.cause
		}
		last.Upstream, last.Status = u.name, a.status
	}
}

// pick chooses the next upstream by smooth weighted round-robin, among those not excluded whose
// breaker lets a request through and that asked for no wait: untried ones first, else tried ones
// (a retry). When none is usable it returns either how long until one has served its
// Retry-After, or an ErrBreakerOpen / ErrUnavailable error if waiting would not help.
func (p *provider) pick(tried, excluded uint64) (u *upstream, index int, wait time.Duration, unavailable *Error) {
	now := time.Now()
	p.balMu.Lock()
	defer p.balMu.Unlock()
	var usable, fresh uint64
	minWait, breakerWait := time.Duration(-1), time.Duration(-1)
	for i, up := range p.ups {
		bit := uint64(1) << i
		if excluded&bit != 0 {
			continue
		}
		ok, bw := up.breaker.available()
		if !ok {
			if bw > 0 && (breakerWait < 0 || bw < breakerWait) {
				breakerWait = bw
			}
			continue
		}
		if d := time.Duration(up.notBefore.Load() - now.UnixNano()); d > 0 {
			if minWait < 0 || d < minWait {
				minWait = d
			}
			continue
		}
		usable |= bit
		if tried&bit == 0 {
			fresh |= bit
		}
	}
	set := fresh
	if set == 0 {
		set = usable
	}
	if set == 0 {
		switch {
		case minWait >= 0:
			return nil, -1, minWait, nil
		case breakerWait >= 0 || excluded == 0:
			e := newError(ErrBreakerOpen, p.cfg.Name, "embedding model %q is unavailable: every upstream is failing (circuit breaker open)", p.cfg.Name)
			e.RetryAfter = max(breakerWait, 0)
			return nil, -1, 0, e
		}
		return nil, -1, 0, newError(ErrUnavailable, p.cfg.Name, "embedding model %q is unavailable: no upstream could serve the request", p.cfg.Name)
	}
	total, best := 0, -1
	for i, up := range p.ups {
		if set&(uint64(1)<<i) == 0 {
			continue
		}
		up.current += up.weight
		total += up.weight
		if best < 0 || up.current > p.ups[best].current {
			best = i
		}
	}
	p.ups[best].current -= total
	return p.ups[best], best, 0, nil
}

// backoff returns the n-th retry delay: base × 2^n capped at max, with equal jitter (half fixed,
// half random) so that batches failing together do not retry together.
func (p *provider) backoff(n int) time.Duration {
	d := p.cfg.BackoffBase << min(n, 30)
	if d <= 0 || d > p.cfg.BackoffMax {
		d = p.cfg.BackoffMax
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d unless that would pass ctx's deadline (or, without one, is longer than the
// request timeout: a long Retry-After is better answered with a 503 at once). It reports whether
// it waited the full d.
func (p *provider) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	if dl, ok := ctx.Deadline(); ok && time.Now().Add(d).After(dl) || !ok && d > p.cfg.Timeout {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// retryLater is the error when the next try would come after the deadline.
func (p *provider) retryLater(last *Error, wait time.Duration) *Error {
	if last == nil {
		last = newError(ErrUnavailable, p.cfg.Name, "embedding model %q is unavailable: upstreams are rate limited", p.cfg.Name)
	}
	last.RetryAfter = max(last.RetryAfter, wait)
	return last
}

// gaveUp is the error when the batch's context ended: the last upstream error if there was one.
func (p *provider) gaveUp(last *Error, cause error) *Error {
	if last != nil {
		if last.cause == nil {
			last.cause = cause
		}
		return last
	}
	e := newError(ErrUnavailable, p.cfg.Name, "embedding model %q: %v", p.cfg.Name, fmt.Errorf("gave up waiting for an upstream: %w", cause))
	e.cause = cause
	return e
}
