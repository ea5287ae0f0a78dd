package binary

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

func encodeFile(t testing.TB, c *Codes) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := c.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d bytes, %v (buffer %d)", n, err, buf.Len())
	}
	return buf.Bytes()
}

func sameCodes(t *testing.T, a, b *Codes) {
	t.Helper()
	qa, qb := a.q, b.q
	if qa.dim != qb.dim || qa.metric != qb.metric || qa.query != qb.query || qa.cent != qb.cent ||
		qa.radius != qb.radius || qa.ss != qb.ss || !slices.Equal(qa.center, qb.center) || !slices.Equal(qa.scale, qb.scale) {
		t.Fatal("quantizers differ")
	}
	if a.n != b.n || a.words != b.words || !slices.Equal(a.data, b.data) || !slices.Equal(a.aux, b.aux) {
		t.Fatal("codes differ")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, dim := range []int{1, 65, 128} {
		for _, n := range []int{0, 1, 37} {
			for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
				for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
					for _, cen := range []Centering{CenterMean, CenterNone} {
						train := randVectors(max(n, 5), dim, uint64(dim+n))
						q, err := Train(train, m, Options{Query: e, Centering: cen})
						if err != nil {
							t.Fatal(err)
						}
						c, err := q.EncodeAll(flat.Vectors{Dim: dim, Data: train.Data[:n*dim]}, 0)
						if err != nil {
							t.Fatal(err)
						}
						b := encodeFile(t, c)
						got, err := Read(bytes.NewReader(b))
						if err != nil {
							t.Fatalf("dim %d n %d %s %s %s: %v", dim, n, metricName(m), e, cen, err)
						}
						sameCodes(t, c, got)
						if again := encodeFile(t, got); !bytes.Equal(again, b) {
							t.Fatal("rewrite differs")
						}
						if n > 0 {
							want, have := make([]float32, n), make([]float32, n)
							s1, s2 := c.Scorer(), got.Scorer()
							s1.Reset(train.Row(0))
							s2.Reset(train.Row(0))
							s1.ScoreRange(0, want)
							s2.ScoreRange(0, have)
							if !slices.Equal(want, have) {
								t.Fatal("scores differ after the round trip")
							}
						}
					}
				}
			}
		}
	}
}

// smallFile returns a valid L2 file (all three sections) of a few codes.
func smallFile(t testing.TB, m flat.Metric, e QueryEncoding) []byte {
	v := randVectors(3, 70, 9)
	q, err := Train(v, m, Options{Query: e})
	if err != nil {
		t.Fatal(err)
	}
	c, err := q.EncodeAll(v, 1)
	if err != nil {
		t.Fatal(err)
	}
	return encodeFile(t, c)
}

// TestCorruption flips every bit of a small file, truncates it at every length and
// extends it: each must fail with ErrCorrupt, never panic.
func TestCorruption(t *testing.T) {
	for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
		b := smallFile(t, m, Asymmetric)
		if _, err := Load(b); err != nil {
			t.Fatal(err)
		}
		for i := range b {
			for bit := range 8 {
				c := slices.Clone(b)
				c[i] ^= 1 << bit
				if _, err := Load(c); !errors.Is(err, ErrCorrupt) {
					t.Fatalf("%s: bit %d of byte %d flipped: %v, want ErrCorrupt", metricName(m), bit, i, err)
				}
			}
		}
		for n := range len(b) {
			if _, err := Load(b[:n]); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("truncated to %d: %v, want ErrCorrupt", n, err)
			}
		}
		if _, err := Load(append(slices.Clone(b), 0)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("extended: %v, want ErrCorrupt", err)
		}
	}
}

// TestCorruptValues writes bad values with valid checksums: the value checks must catch
// them.
func TestCorruptValues(t *testing.T) {
	v := randVectors(3, 70, 9)
	for name, spoil := range map[string]func(c *Codes, b []byte) []byte{
		"bits past dim":     func(c *Codes, _ []byte) []byte { c.data[1] |= 1 << 63; return nil },
		"NaN centre":        func(c *Codes, _ []byte) []byte { c.q.center[3] = float32(math.NaN()); return nil },
		"negative scale":    func(c *Codes, _ []byte) []byte { c.q.scale[0] = -1; return nil },
		"centre under none": func(c *Codes, _ []byte) []byte { c.q.cent = CenterNone; return nil },
		"negative norm":     func(c *Codes, _ []byte) []byte { c.aux[0] = -1; return nil },
		"infinite alpha":    func(c *Codes, _ []byte) []byte { c.aux[1] = float32(math.Inf(1)); return nil },
		"version 2":         func(_ *Codes, b []byte) []byte { b[8] = 2; return b },
	} {
		q, err := Train(v, flat.L2, Options{})
		if err != nil {
			t.Fatal(err)
		}
		c, err := q.EncodeAll(v, 1)
		if err != nil {
			t.Fatal(err)
		}
		b := spoil(c, encodeFile(t, c))
		if b == nil {
			b = encodeFile(t, c)
		}
		if _, err := Load(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzRead checks that no input panics Load and that whatever loads writes back
// identically and scores.
func FuzzRead(f *testing.F) {
	f.Add(smallFile(f, flat.InnerProduct, Asymmetric))
	f.Add(smallFile(f, flat.L2, Symmetric))
	f.Add(smallFile(f, flat.L2, Asymmetric)[:100])
	f.Add([]byte("NDLBINQ\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Load(b)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			return
		}
		if again := encodeFile(t, c); !bytes.Equal(again, b) {
			t.Fatal("loaded file does not write back identically")
		}
		s := c.Scorer()
		s.Reset(make([]float32, c.Dim()))
		s.ScoreRange(0, make([]float32, c.Len()))
	})
}
