package knngraph

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLines(t *testing.T) {
	var b strings.Builder
	now := time.Unix(0, 0)
	p := newProgress(&b, false, 1000, 100, 20) // resumed with 20 of 100 tiles done
	p.now = func() time.Time { return now }
	p.start, p.last = now, now
	now = now.Add(5 * time.Second)
	p.update(40, 300, false) // within lineEvery: silent
	if b.Len() != 0 {
		t.Fatalf("printed before lineEvery: %q", b.String())
	}
	now = now.Add(6 * time.Second)
	p.update(60, 500, false)
	// 40 tiles (400 row equivalents) in 11 s; 40 tiles left at that rate take 11 s.
	want := "knn-graph:  60.0%  rows 500/1000 final  36 rows/s  elapsed 0:11  ETA 0:11\n"
	if b.String() != want {
		t.Fatalf("got %q, want %q", b.String(), want)
	}
	b.Reset()
	p.tty = true
	p.update(100, 1000, true)
	p.finish()
	if s := b.String(); !strings.HasPrefix(s, "\r[##############################] 100.0%") || !strings.HasSuffix(s, "\x1b[K\n") {
		t.Fatalf("bar %q", s)
	}
}
