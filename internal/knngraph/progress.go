package knngraph

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progress draws a bar on a terminal (redrawn in place a few times a second) or prints a line
// every lineEvery otherwise. Work is counted in tiles; rows/s is in full-row equivalents (the
// work fraction times N per second), so it stays meaningful although the symmetric schedule
// finishes rows faster towards the end.
type progress struct {
	w         io.Writer // nil: silent
	tty       bool
	n         int
	total     int64 // tiles
	startWork int64 // tiles already done when this run started (resume)
	start     time.Time
	last      time.Time
	now       func() time.Time
	open      bool // a bar is drawn and its line not yet ended
}

const (
	barEvery  = 250 * time.Millisecond
	lineEvery = 10 * time.Second
)

func newProgress(w io.Writer, tty bool, n int, total, startWork int64) *progress {
	p := &progress{w: w, tty: tty, n: n, total: total, startWork: startWork, now: time.Now}
	p.start = p.now()
	p.last = p.start
	return p
}

// update reports done tiles out of total and rows final; force prints regardless of the rate limit.
func (p *progress) update(done int64, rows int, force bool) {
	if p.w == nil {
		return
	}
	now := p.now()
	every := lineEvery
	if p.tty {
		every = barEvery
	}
	if !force && now.Sub(p.last) < every {
		return
	}
	p.last = now
	frac := float64(done) / float64(max(p.total, 1))
	el := now.Sub(p.start).Seconds()
	rate := 0.0 // full-row equivalents per second in this run
	eta := "?"
	if el > 0 && done > p.startWork {
		rate = float64(done-p.startWork) / float64(p.total) * float64(p.n) / el
		left := float64(p.total-done) / float64(done-p.startWork) * el
		eta = fmtDur(time.Duration(left * float64(time.Second)))
	}
	line := fmt.Sprintf("%5.1f%%  rows %d/%d final  %.0f rows/s  elapsed %s  ETA %s",
		100*frac, rows, p.n, rate, fmtDur(now.Sub(p.start)), eta)
	if p.tty {
		const width = 30
		fill := int(frac * width)
		fmt.Fprintf(p.w, "\r[%s%s] %s\x1b[K", strings.Repeat("#", fill), strings.Repeat(".", width-fill), line)
		p.open = true
		return
	}
	fmt.Fprintf(p.w, "knn-graph: %s\n", line)
}

// finish ends the bar's line, if one is drawn.
func (p *progress) finish() {
	if p.open {
		fmt.Fprintln(p.w)
		p.open = false
	}
}

func fmtDur(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
