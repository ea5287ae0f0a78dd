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

func TestEncode(t *testing.T) {
	for _, dim := range []int{1, 7, 63, 64, 65, 100, 768} {
		v := randVectors(50, dim, uint64(dim))
		for _, cen := range []Centering{CenterMean, CenterNone} {
			c := mustCodes(t, v, flat.InnerProduct, Options{Centering: cen})
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

// direct computes the distance the scorer estimates, from its documented formula.
func direct(c *Codes, q []float32, s uint32) float64 {
	qz := c.q
	code := c.Code(s)
	var base, qc2, sum float64
	for i, x := range q {
		base += float64(x) * float64(qz.center[i])
		r := float64(x - qz.center[i])
		qc2 += r * r
		b := -1.0
		if code[i/64]>>(i%64)&1 == 1 {
			b = 1
		}
		sum += r * float64(qz.scale[i]) * b
	}
	if qz.query == Symmetric {
		qcode := make([]uint64, c.words)
		encode(q, qz.center, qcode)
		h := 0
		for i := range qcode {
			h += bits.OnesCount64(qcode[i] ^ code[i])
		}
		cos := math.Cos(math.Pi * float64(h) / float64(qz.dim))
		if qz.metric == flat.L2 {
			r2 := float64(c.aux[2*s])
			return qc2 + r2 - 2*math.Sqrt(qc2*r2)*cos
		}
		return -(base + math.Sqrt(qc2)*float64(qz.radius)*cos)
	}
	if qz.metric == flat.L2 {
		a := float64(c.aux[2*s+1])
		return qc2 + a*a*float64(qz.ss) - 2*a*sum
	}
	return -(base + sum)
}

func TestScoreMatchesFormula(t *testing.T) {
	for _, dim := range []int{1, 9, 64, 100, 130} {
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
// floors about 0.1 below what the codec measures (a broken estimate scores near
// 30/4000). The unit data is embedding-like (clusters of 50, noise as large as the
// centres); the offset data adds a common mean, which centering must remove.
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
		{"unit/ip/mean", clustered(n+nq, dim, 1, 0, true, 1), flat.InnerProduct, CenterMean, 0.85, 0.75},
		{"unit/ip/none", clustered(n+nq, dim, 1, 0, true, 1), flat.InnerProduct, CenterNone, 0.85, 0.75},
		{"offset/ip/mean", clustered(n+nq, dim, 1, 1, true, 2), flat.InnerProduct, CenterMean, 0.85, 0.75},
		{"offset/l2/mean", clustered(n+nq, dim, 1, 1, false, 3), flat.L2, CenterMean, 0.85, 0.75},
	}
	for _, tc := range cases {
		base, queries := split(tc.data, n)
		for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
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

// TestCenteringHelps checks that on data with a common offset the centred codes rank
// clearly better than raw signs, which lose the dimensions the offset dominates.
func TestCenteringHelps(t *testing.T) {
	n, dim, nq := 2000, 128, 20
	base, queries := split(clustered(n+nq, dim, 1, 2.5, true, 4), n)
	for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
		mean := recall(mustCodes(t, base, flat.InnerProduct, Options{Query: e}), base, queries, 10, 30)
		none := recall(mustCodes(t, base, flat.InnerProduct, Options{Query: e, Centering: CenterNone}), base, queries, 10, 30)
		t.Logf("%s: recall@10 mean %.3f, none %.3f", e, mean, none)
		if mean < none+0.1 {
			t.Errorf("%s: centering gives %.3f, raw signs %.3f: want at least 0.1 better", e, mean, none)
		}
	}
}

func TestWithQueryEncoding(t *testing.T) {
	v := randVectors(20, 70, 1)
	c := mustCodes(t, v, flat.InnerProduct, Options{})
	s := c.WithQueryEncoding(Symmetric)
	if s.Quantizer().Query() != Symmetric || c.Quantizer().Query() != Asymmetric || &s.Data()[0] != &c.Data()[0] {
		t.Fatal("WithQueryEncoding changed the original or copied the codes")
	}
	if c.CodeBytes() != 16 || c.MemoryBytes() < 20*16 {
		t.Fatalf("CodeBytes %d MemoryBytes %d", c.CodeBytes(), c.MemoryBytes())
	}
	if l2 := mustCodes(t, v, flat.L2, Options{}); l2.CodeBytes() != 16+8 {
		t.Fatalf("L2 CodeBytes %d", l2.CodeBytes())
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
