package embed

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Sentinels that callers branch on with errors.Is. Every error Embed returns is a *Error whose Kind
// is one of them, or wraps a context error of the caller's own context.
var (
	// ErrUnknownModel: no provider has the requested name (HTTP 400).
	ErrUnknownModel = errors.New("unknown embedding model")
	// ErrBadInput: a text is empty, not UTF-8, longer than MaxTextBytes, there are more texts than
	// the provider queues, or the upstream rejected the input as invalid (HTTP 400).
	ErrBadInput = errors.New("invalid input for embedding")
	// ErrUnavailable: no upstream could answer in time: network errors, timeouts, 429s and 5xx
	// after the retries, every breaker open, queue full, or closed (HTTP 503).
	ErrUnavailable = errors.New("embedding service unavailable")
	// ErrQueueFull: the provider's waiting queue is full. Wraps ErrUnavailable.
	ErrQueueFull = fmt.Errorf("%w: queue full", ErrUnavailable)
	// ErrBreakerOpen: every upstream's circuit breaker is open. Wraps ErrUnavailable.
	ErrBreakerOpen = fmt.Errorf("%w: circuit breaker open", ErrUnavailable)
	// ErrClosed: the Embedder was closed. Wraps ErrUnavailable.
	ErrClosed = fmt.Errorf("%w: closed", ErrUnavailable)
	// ErrBadResponse: an upstream answered 2xx with something that is not a valid set of
	// embeddings (malformed JSON, wrong count, NaN or infinite values), or refused the request as
	// misconfigured (401, 403, 404) (HTTP 502).
	ErrBadResponse = errors.New("invalid response from embedding upstream")
	// ErrDimensions: an upstream returned vectors of a length other than the configured
	// Dimensions. Wraps ErrBadResponse.
	ErrDimensions = fmt.Errorf("%w: wrong dimensions", ErrBadResponse)
)

// Error is the error type of this package: a Kind (one of the sentinels) plus what a client or an
// operator needs to know. Its message never contains an API key.
type Error struct {
	// Kind is ErrUnknownModel, ErrBadInput, ErrUnavailable, ErrQueueFull, ErrBreakerOpen,
	// ErrClosed, ErrBadResponse or ErrDimensions.
	Kind error
	// Model is the provider name the caller asked for.
	Model string
	// Upstream names the upstream at fault, if one is.
	Upstream string
	// Status is the upstream's HTTP status, if it answered.
	Status int
	// RetryAfter suggests when to retry a 503 (an upstream's Retry-After, a breaker's remaining
	// cool-down), or 0.
	RetryAfter time.Duration
	// Msg is the complete human-readable message.
	Msg string
	// cause is the underlying error (network, context), kept for errors.Is.
	cause error
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the Kind and the underlying cause, so errors.Is matches either.
func (e *Error) Unwrap() []error {
	if e.cause != nil {
		return []error{e.Kind, e.cause}
	}
	return []error{e.Kind}
}

func newError(kind error, model, format string, args ...any) *Error {
	return &Error{Kind: kind, Model: model, Msg: fmt.Sprintf(format, args...)}
}

// HTTPStatus maps an error from Embed to the status a REST handler should answer with:
// unknown model and bad input 400; unavailable, queue full, breaker open, closed and the caller's
// deadline 503; an invalid upstream response (wrong dimensions included) 502; a caller that went
// away 499 (nobody reads it); anything else 500.
func HTTPStatus(err error) int {
	switch {
	case err == nil:
		return http.StatusOK
	case errors.Is(err, ErrUnknownModel), errors.Is(err, ErrBadInput):
		return http.StatusBadRequest
	case errors.Is(err, ErrBadResponse):
		return http.StatusBadGateway
	case errors.Is(err, ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	case errors.Is(err, context.Canceled):
		return 499
	}
	return http.StatusInternalServerError
}

// RetryAfter returns the suggested wait before retrying after err, or 0 if there is none.
func RetryAfter(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}
