package server

import (
	"io"
	"sync/atomic"
)

// asyncWriter hands log lines to one goroutine that writes them, so a request never waits for the
// log's I/O. When the buffer is full, lines are dropped and counted rather than blocking.
type asyncWriter struct {
	ch      chan []byte
	dropped atomic.Uint64
	done    chan struct{}
}

func newAsyncWriter(w io.Writer, lines int) *asyncWriter {
	a := &asyncWriter{ch: make(chan []byte, lines), done: make(chan struct{})}
	go func() {
		defer close(a.done)
		for b := range a.ch {
			w.Write(b)
		}
	}()
	return a
}

// Write implements io.Writer; it copies p (slog reuses its buffer).
func (a *asyncWriter) Write(p []byte) (int, error) {
	select {
	case a.ch <- append([]byte(nil), p...):
	default:
		a.dropped.Add(1)
	}
	return len(p), nil
}

// Close flushes the queued lines.
func (a *asyncWriter) Close() {
	close(a.ch)
	<-a.done
}
