package knngraph

import (
	"math"
	"os"
	"testing"
	"time"

	"github.com/needlevdb/needle/internal/bench"
)

func TestZZProf(t *testing.T) {
	path := os.Getenv("KG_FILE")
	if path == "" {
		t.Skip()
	}
	m, _ := bench.ReadMatrix(path)
	n := m.Rows
	if s := os.Getenv("KG_N"); s != "" {
		n = atoi(s)
	}
	mods := []*modality{{dim: m.Cols, weight: 1, data: m.Data[:n*m.Cols]}}
	block := blockRows(m.Cols, n)
	if s := os.Getenv("KG_BLOCK"); s != "" {
		block = atoi(s)
	}
	e := newExact(mods, Cosine, 200, block, false, float32(math.Inf(1)), 2)
	t0 := time.Now()
	steps := e.nb
	if s := os.Getenv("KG_STEPS"); s != "" {
		steps = atoi(s)
	}
	for i := range steps {
		e.step(i, func() {})
	}
	el := time.Since(t0).Seconds()
	tiles := float64(e.tilesUpTo(steps))
	pairs := tiles * float64(block*block)
	t.Logf("n=%d block=%d steps=%d: %.1fs, %.1f GFLOP/s", n, block, steps, el, pairs*2*float64(m.Cols)/el/1e9)
}

func atoi(s string) int {
	v := 0
	for _, c := range s {
		v = v*10 + int(c-'0')
	}
	return v
}
