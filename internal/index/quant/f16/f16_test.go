package f16

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/index/flat"
)

func randomVectors(n, d int) flat.Vectors {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, n*d)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return flat.Vectors{Dim: d, Data: v}
}

// TestScoresMatchFloat32: half-precision distances are within half's rounding of float32's.
func TestScoresMatchFloat32(t *testing.T) {
	vecs := randomVectors(500, 37)
	q := vecs.Row(3)
	for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
		c := Encode(vecs, m)
		s := c.NewScorer()
		s.Reset(q)
		ids := []uint32{0, 7, 499, 250}
		got := make([]float32, len(ids))
		s.Score(ids, got)
		rng := make([]float32, 500)
		s.ScoreRange(0, rng)
		for i, id := range ids {
			var want float32
			if m == flat.L2 {
				want = distance.L2Sq(q, vecs.Row(id))
			} else {
				want = -distance.Dot(q, vecs.Row(id))
			}
			if math.Abs(float64(got[i]-want)) > 0.01*math.Max(1, math.Abs(float64(want))) || got[i] != rng[id] {
				t.Errorf("metric %d slot %d: %v (range %v), float32 %v", m, id, got[i], rng[id], want)
			}
		}
	}
}

func TestRoundTripAndCorruption(t *testing.T) {
	c := Encode(randomVectors(100, 8), flat.L2)
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Read(bytes.NewReader(buf.Bytes()))
	if err != nil || back.Len() != 100 || back.Dim() != 8 || back.Metric() != flat.L2 {
		t.Fatalf("read back: %v %+v", err, back)
	}
	for i := range c.data {
		if c.data[i] != back.data[i] {
			t.Fatalf("value %d differs", i)
		}
	}
	raw := buf.Bytes()
	for cut := 0; cut < len(raw); cut += 7 {
		if _, err := Read(bytes.NewReader(raw[:cut])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d: %v", cut, err)
		}
	}
	for off := 0; off < len(raw); off += 5 {
		bad := append([]byte(nil), raw...)
		bad[off] ^= 0x41
		if _, err := Read(bytes.NewReader(bad)); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d flipped: %v", off, err)
		}
	}
}

func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Encode(randomVectors(3, 4), flat.InnerProduct).WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Read(bytes.NewReader(b))
		if err == nil && c.Len()*c.Dim()*2+headerSize != len(b) {
			t.Fatalf("accepted %d bytes for %d×%d", len(b), c.Len(), c.Dim())
		}
	})
}
