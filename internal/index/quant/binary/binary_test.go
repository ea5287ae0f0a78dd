package binary

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/topk"
)

func randVectors(n, dim int, seed uint64) flat.Vectors {
	rng := rand.New(rand.NewPCG(seed, 3))
	v := make([]float32, n*dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64()) + 0.3
	}
	return flat.Vectors{Dim: dim, Data: v}
}

func mustCodes(t testing.TB, v flat.Vectors, m flat.Metric, opt Options) *Codes {
	t.Helper()
	q, err := Train(v, m, opt)
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.EncodeAll(v, 3)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestEncodeSigns(t *testing.T) {
	for _, dim := range []int{1, 7, 63, 64, 65, 100, 768} {
		v := randVectors(50, dim, uint64(dim))
		for _, cen := range []Centering{CenterMean, CenterNone} {
			c := mustCodes(t, v, flat.InnerProduct, Options{Query: Symmetric, Centering: cen})
			q := c.Quantizer()
			if c.Words() != (dim+63)/64 || c.Len() != 50 || c.Dim() != dim || q.Centering() != cen {
				t.Fatalf("dim %d: words %d len %d dim %d centering %s", dim, c.Words(), c.Len(), c.Dim(), q.Centering())
			}
			own := make([]uint64, c.Words())
			for s := range 50 {
				x := v.Row(uint32(s))
				code := c.Code(uint32(s))
				q.Encode(x, own)
				for i := range c.Words() * 64 {
					got := code[i/64]>>(i%64)&1 == 1
					want := i < dim && x[i] > q.center[i]
					if got != want || own[i/64] != code[i/64] {
						t.Fatalf("dim %d centering %s slot %d bit %d: %v, want %v", dim, cen, s, i, got, want)
					}
				}
			}
			if cen == CenterNone {
				for _, x := range q.center {
					if x != 0 {
						t.Fatalf("centering none has centre %v", x)
					}
				}
			}
		}
	}
}

// TestEncodeResidual checks each asymmetric code against its definition: the nearest
// centroid, bit i set iff (P·(x - c))_i >= 0 (recomputed in float64), zeros up to the extras,
// and the shape of the code.
func TestEncodeResidual(t *testing.T) {
	for _, tc := range []struct{ dim, bits, words int }{
		{1, 1, 1}, {7, 7, 1}, {64, 64, 2}, {65, 65, 2}, {100, 100, 3}, {256, 256, 5}, {384, 336, 6}, {500, 500, 9}, {520, 464, 8},
	} {
		dim := tc.dim
		v := randVectors(60, dim, uint64(dim))
		c := mustCodes(t, v, flat.L2, Options{Centroids: 5})
		q := c.Quantizer()
		if q.Centroids() != 5 || c.Words() != tc.words || q.Bits() != tc.bits || c.CodeBytes() != 8*tc.words {
			t.Fatalf("dim %d: %d centroids, %d words, %d bits, %d bytes", dim, q.Centroids(), c.Words(), q.Bits(), c.CodeBytes())
		}
		wrong := 0
		for s := range uint32(60) {
			x := v.Row(s)
			k, _, _ := c.extras(int(s))
			for j := range q.Centroids() {
				if distance.L2Sq(x, q.Centroid(j)) < distance.L2Sq(x, q.Centroid(k))*(1-1e-5) {
					t.Fatalf("dim %d slot %d: centroid %d nearer than its %d", dim, s, j, k)
				}
			}
			y := rotate64(q, x, q.Centroid(k))
			code := c.Code(s)
			for i := range c.Words()*64 - extraBits {
				got := code[i/64]>>(i%64)&1 == 1
				if i >= q.bits && got {
					t.Fatalf("dim %d slot %d: bit %d past the signs set", dim, s, i)
				}
				if i < q.bits && got != (y[i] >= 0) && math.Abs(y[i]) > 1e-5 {
					wrong++
				}
			}
		}
		if wrong > 0 {
			t.Fatalf("dim %d: %d bits differ from the signs of the projected residuals", dim, wrong)
		}
	}
}

// TestResidualShape checks the code sizes of common dimensions: d/8 bytes (a multiple of 64)
// where the signs keep at least 7/8 of the dimensions, from 384 on.
func TestResidualShape(t *testing.T) {
	for _, tc := range []struct{ dim, bits, words int }{
		{128, 128, 3}, {256, 256, 5}, {384, 336, 6}, {448, 400, 7}, {512, 464, 8}, {768, 720, 12}, {784, 720, 12}, {1024, 976, 16}, {1536, 1488, 24}, {3072, 3024, 48},
	} {
		if b, w := residualShape(tc.dim); b != tc.bits || w != tc.words {
			t.Errorf("dim %d: %d bits in %d words, want %d in %d", tc.dim, b, w, tc.bits, tc.words)
		}
	}
}

// rotate64 returns P·(x - c) in float64.
func rotate64(q *Quantizer, x, c []float32) []float64 {
	y := make([]float64, q.bits)
	o, oo, r := 0, 0, 0
	for bi, b := range q.blk {
		for i := range q.rows[bi] {
			row := q.rot[r+i*b : r+(i+1)*b]
			for j, p := range row {
				y[oo+i] += float64(p) * float64(x[o+j]-c[o+j])
			}
		}
		o += b
		oo += q.rows[bi]
		r += q.rows[bi] * b
	}
	return y
}

// TestRotation checks the projection is orthogonal: its rows are orthonormal within each
// block, and each block keeps its share of the rows.
func TestRotation(t *testing.T) {
	for _, tc := range []struct{ dim, bits int }{{1, 1}, {5, 5}, {64, 64}, {300, 300}, {300, 208}, {1025, 1025}, {1025, 960}, {2500, 2448}} {
		dim, bits := tc.dim, tc.bits
		rot := randomRotation(dim, bits, 7)
		blk, rows := blocks(dim), keptRows(dim, bits)
		if len(rot) != rotationLen(dim, bits) {
			t.Fatalf("dim %d: %d floats, want %d", dim, len(rot), rotationLen(dim, bits))
		}
		sum, kept := 0, 0
		for i, b := range blk {
			if b > maxBlock || b < dim/len(blk) || rows[i] > b || rows[i] < b-(dim-bits+len(blk)-1)/len(blk) {
				t.Fatalf("dim %d: block of %d keeping %d rows", dim, b, rows[i])
			}
			sum += b
			kept += rows[i]
		}
		if sum != dim || kept != bits {
			t.Fatalf("dim %d bits %d: blocks %v rows %v", dim, bits, blk, rows)
		}
		if dim > 300 && testing.Short() {
			continue
		}
		r := 0
		for bi, b := range blk {
			for i := range rows[bi] {
				for j := i; j < rows[bi]; j++ {
					var d float64
					for k := range b {
						d += float64(rot[r+i*b+k]) * float64(rot[r+j*b+k])
					}
					want := 0.0
					if i == j {
						want = 1
					}
					if math.Abs(d-want) > 1e-5 {
						t.Fatalf("dim %d: rows %d and %d: dot %v, want %v", dim, i, j, d, want)
					}
				}
			}
			r += rows[bi] * b
		}
	}
}

func TestTrainErrors(t *testing.T) {
	good := randVectors(10, 8, 1)
	nan := randVectors(10, 8, 1)
	nan.Data[3] = float32(math.NaN())
	for name, f := range map[string]func() error{
		"dim 0": func() error { _, err := Train(flat.Vectors{}, flat.InnerProduct, Options{}); return err },
		"empty": func() error { _, err := Train(flat.Vectors{Dim: 8}, flat.InnerProduct, Options{}); return err },
		"ragged": func() error {
			_, err := Train(flat.Vectors{Dim: 8, Data: good.Data[:13]}, flat.L2, Options{})
			return err
		},
		"L1":        func() error { _, err := Train(good, flat.L1, Options{}); return err },
		"query":     func() error { _, err := Train(good, flat.L2, Options{Query: 9}); return err },
		"centering": func() error { _, err := Train(good, flat.L2, Options{Centering: 9}); return err },
		"centroids": func() error { _, err := Train(good, flat.L2, Options{Centroids: -1}); return err },
		"NaN sym":   func() error { _, err := Train(nan, flat.L2, Options{Query: Symmetric}); return err },
		"NaN":       func() error { _, err := Train(nan, flat.L2, Options{}); return err },
		"encode dim": func() error {
			_, err := mustCodes(t, good, flat.L2, Options{}).q.EncodeAll(randVectors(3, 9, 1), 0)
			return err
		},
	} {
		if f() == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// direct computes the distance the scorer estimates, from its documented formula, in float64.
func direct(c *Codes, q []float32, s uint32) float64 {
	qz := c.q
	code := c.Code(s)
	if qz.query == Asymmetric {
		k, e, w := c.extras(int(s))
		cen := qz.Centroid(k)
		zero := make([]float32, qz.dim)
		rq := rotate64(qz, q, zero)
		var ip, g float64
		for i, y := range rq {
			b := -1.0
			if code[i/64]>>(i%64)&1 == 1 {
				b = 1
			}
			ip += y * b / math.Sqrt(float64(qz.bits))
		}
		for i := range q {
			if qz.metric == flat.L2 {
				g += (float64(q[i]) - float64(cen[i])) * (float64(q[i]) - float64(cen[i]))
			} else {
				g -= float64(q[i]) * float64(cen[i])
			}
		}
		ef := float64(c.se) * float64(distance.HalfToFloat(e))
		wf := float64(c.sw) * float64(distance.HalfToFloat(w))
		return g + ef - wf*ip
	}
	var base, qc2 float64
	for i, x := range q {
		base += float64(x) * float64(qz.center[i])
		r := float64(x - qz.center[i])
		qc2 += r * r
	}
	qcode := make([]uint64, c.words)
	encode(q, qz.center, qcode)
	h := 0
	for i := range qcode {
		h += bits.OnesCount64(qcode[i] ^ code[i])
	}
	cos := math.Cos(math.Pi * float64(h) / float64(qz.dim))
	if qz.metric == flat.L2 {
		r2 := float64(c.aux[s])
		return qc2 + r2 - 2*math.Sqrt(qc2*r2)*cos
	}
	return -(base + math.Sqrt(qc2)*float64(qz.radius)*cos)
}

func TestScoreMatchesFormula(t *testing.T) {
	for _, dim := range []int{1, 9, 64, 100, 130, 384} {
		v := randVectors(41, dim, 7)
		qs := randVectors(3, dim, 8)
		for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
			for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
				c := mustCodes(t, v, m, Options{Query: e})
				s := c.Scorer()
				rng := rand.New(rand.NewPCG(1, 1))
				for qi := range 3 {
					q := qs.Row(uint32(qi))
					s.Reset(q)
					all := make([]float32, c.Len())
					s.ScoreRange(0, all)
					part := make([]float32, 5)
					s.ScoreRange(3, part)
					ids := make([]uint32, 300) // > scoreBlock
					for i := range ids {
						ids[i] = uint32(rng.IntN(c.Len()))
					}
					got := make([]float32, len(ids))
					s.Score(ids, got)
					for i, id := range ids {
						if got[i] != all[id] {
							t.Fatalf("dim %d %s %s: Score %v, ScoreRange %v", dim, metricName(m), e, got[i], all[id])
						}
					}
					for j := range part {
						if part[j] != all[3+j] {
							t.Fatalf("dim %d %s %s: ScoreRange(3) %v, want %v", dim, metricName(m), e, part[j], all[3+j])
						}
					}
					for sl, d := range all {
						want := direct(c, q, uint32(sl))
						if math.Abs(float64(d)-want) > 1e-4*(1+math.Abs(want))*math.Sqrt(float64(dim)) {
							t.Fatalf("dim %d %s %s slot %d: %v, want %v", dim, metricName(m), e, sl, d, want)
						}
					}
				}
			}
		}
	}
}

// recall returns recall@k of scanning the codes, keeping the best cand and rescoring them
// exactly, averaged over queries.
func recall(c *Codes, base, queries flat.Vectors, k, cand int) float64 {
	m := c.Quantizer().Metric()
	s := c.Scorer()
	out := make([]float32, c.Len())
	hits := 0
	for qi := range queries.Slots() {
		q := queries.Row(uint32(qi))
		want := map[uint32]bool{}
		for _, it := range flat.Search(base, m, q, flat.Params{K: k, MaxDist: flat.NoLimit}) {
			want[it.Slot] = true
		}
		s.Reset(q)
		s.ScoreRange(0, out)
		h := topk.New(cand)
		for sl, d := range out {
			h.Push(d, uint32(sl))
		}
		r := topk.New(k)
		for _, it := range h.Sorted() {
			r.Push(exact(m, q, base.Row(it.Slot)), it.Slot)
		}
		for _, it := range r.Sorted() {
			if want[it.Slot] {
				hits++
			}
		}
	}
	return float64(hits) / float64(k*queries.Slots())
}

// exact returns the exact distance of package quant's convention.
func exact(m flat.Metric, q, x []float32) float32 {
	if m == flat.L2 {
		return distance.L2Sq(q, x)
	}
	return -distance.Dot(q, x)
}

// split returns the first n vectors and the rest.
func split(v flat.Vectors, n int) (flat.Vectors, flat.Vectors) {
	return flat.Vectors{Dim: v.Dim, Data: v.Data[:n*v.Dim]}, flat.Vectors{Dim: v.Dim, Data: v.Data[n*v.Dim:]}
}

// TestRecall checks recall@10 after rescoring the best 30 codes on generated data against
// floors about 0.07 below what the codecs measure (a broken estimate scores near 30/4000).
// The unit data is embedding-like (clusters of 50, noise as large as the centres); the
// offset data adds a common mean, which the symmetric codes' centering must remove (the
// asymmetric codes centre on their k-means centroids and ignore it).
func TestRecall(t *testing.T) {
	n, dim, nq := 4000, 256, 40
	if testing.Short() {
		n, nq = 2000, 20
	}
	cases := []struct {
		name      string
		data      flat.Vectors
		metric    flat.Metric
		cen       Centering
		asym, sym float64
	}{
		{"unit/ip/mean", clustered(n+nq, dim, 1, 0, true, 1), flat.InnerProduct, CenterMean, 0.9, 0.75},
		{"unit/ip/none", clustered(n+nq, dim, 1, 0, true, 1), flat.InnerProduct, CenterNone, 0.9, 0.75},
		{"offset/ip/mean", clustered(n+nq, dim, 1, 1, true, 2), flat.InnerProduct, CenterMean, 0.9, 0.75},
		{"offset/l2/mean", clustered(n+nq, dim, 1, 1, false, 3), flat.L2, CenterMean, 0.9, 0.75},
	}
	for _, tc := range cases {
		base, queries := split(tc.data, n)
		for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
			if e == Asymmetric && tc.cen != CenterMean {
				continue // no centering to vary
			}
			c := mustCodes(t, base, tc.metric, Options{Query: e, Centering: tc.cen})
			r := recall(c, base, queries, 10, 30)
			floor := tc.asym
			if e == Symmetric {
				floor = tc.sym
			}
			t.Logf("%s/%s: recall@10 %.3f (floor %.2f)", tc.name, e, r, floor)
			if r < floor {
				t.Errorf("%s/%s: recall@10 %.3f below %.2f", tc.name, e, r, floor)
			}
		}
	}
}

// TestCenteringHelps checks that on data with a common offset the centred symmetric codes
// rank clearly better than raw signs, which lose the dimensions the offset dominates.
func TestCenteringHelps(t *testing.T) {
	n, dim, nq := 2000, 128, 20
	base, queries := split(clustered(n+nq, dim, 1, 2.5, true, 4), n)
	mean := recall(mustCodes(t, base, flat.InnerProduct, Options{Query: Symmetric}), base, queries, 10, 30)
	none := recall(mustCodes(t, base, flat.InnerProduct, Options{Query: Symmetric, Centering: CenterNone}), base, queries, 10, 30)
	t.Logf("recall@10 mean %.3f, none %.3f", mean, none)
	if mean < none+0.1 {
		t.Errorf("centering gives %.3f, raw signs %.3f: want at least 0.1 better", mean, none)
	}
}

func TestCodeBytes(t *testing.T) {
	v := randVectors(20, 70, 1)
	for _, tc := range []struct {
		m     flat.Metric
		e     QueryEncoding
		bytes int
	}{
		{flat.InnerProduct, Symmetric, 16},
		{flat.L2, Symmetric, 16 + 4},
		{flat.InnerProduct, Asymmetric, 16}, // 70 signs and the extras in 118 of 128 bits
		{flat.L2, Asymmetric, 16},
	} {
		c := mustCodes(t, v, tc.m, Options{Query: tc.e, Centroids: 3})
		extra := int64(4 * 70)
		if tc.e == Asymmetric {
			extra = 4 * (70*70 + 3*70)
		}
		if c.CodeBytes() != tc.bytes || c.MemoryBytes() != 20*int64(tc.bytes)+extra {
			t.Errorf("%s %s: CodeBytes %d MemoryBytes %d, want %d and %d", metricName(tc.m), tc.e,
				c.CodeBytes(), c.MemoryBytes(), tc.bytes, 20*int64(tc.bytes)+extra)
		}
	}
	// 768-d: 96 bytes (720 signs, the centroid id, two float16), 32 times smaller than the
	// float32 vector, and a projection of 720 rows.
	v = randVectors(20, 768, 2)
	c := mustCodes(t, v, flat.InnerProduct, Options{Centroids: 3})
	if want := 20*96 + 4*int64(720*768+3*768); c.CodeBytes() != 96 || c.MemoryBytes() != want || len(c.Data()) != 20*12 {
		t.Errorf("768-d: CodeBytes %d MemoryBytes %d (%d words), want 96 and %d", c.CodeBytes(), c.MemoryBytes(), len(c.Data()), want)
	}
}

// TestConcurrentScorers scores from several goroutines at once (run with -race).
func TestConcurrentScorers(t *testing.T) {
	v := randVectors(500, 96, 1)
	for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
		c := mustCodes(t, v, flat.L2, Options{Query: e})
		want := make([]float32, c.Len())
		s0 := c.NewScorer()
		s0.Reset(v.Row(7))
		s0.ScoreRange(0, want)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				s := c.NewScorer()
				out := make([]float32, c.Len())
				for range 20 {
					s.Reset(v.Row(7))
					s.ScoreRange(0, out)
					for i := range out {
						if out[i] != want[i] {
							t.Errorf("slot %d: %v, want %v", i, out[i], want[i])
							return
						}
					}
				}
			})
		}
		wg.Wait()
	}
}
