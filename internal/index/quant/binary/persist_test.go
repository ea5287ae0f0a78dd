package binary

import (
	"bytes"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"strings"
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
		qa.radius != qb.radius || !slices.Equal(qa.center, qb.center) || qa.k != qb.k ||
		!slices.Equal(qa.rot, qb.rot) || !slices.Equal(qa.cents, qb.cents) || !slices.Equal(qa.blk, qb.blk) ||
		qa.bits != qb.bits || !slices.Equal(qa.rows, qb.rows) {
		t.Fatal("quantizers differ")
	}
	if a.n != b.n || a.words != b.words || !slices.Equal(a.data, b.data) || !slices.Equal(a.aux, b.aux) ||
		a.se != b.se || a.sw != b.sw {
		t.Fatal("codes differ")
	}
}

func TestRoundTrip(t *testing.T) {
	for _, dim := range []int{1, 65, 128, 384} {
		for _, n := range []int{0, 1, 37} {
			for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
				for _, e := range []QueryEncoding{Asymmetric, Symmetric} {
					for _, cen := range []Centering{CenterMean, CenterNone} {
						if e == Asymmetric && cen == CenterNone {
							continue
						}
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

// smallFile returns a valid file of a few codes (every section for asymmetric codes).
func smallFile(t testing.TB, m flat.Metric, e QueryEncoding) []byte {
	v := randVectors(3, 70, 9)
	return encodeFile(t, mustCodes(t, v, m, Options{Query: e, Centroids: 2}))
}

// TestCorruption flips every bit of a small file, truncates it at every length and
// extends it: each must fail with ErrCorrupt, never panic.
func TestCorruption(t *testing.T) {
	for _, m := range []flat.Metric{flat.InnerProduct, flat.L2} {
		b := smallFile(t, m, Asymmetric)
		if testing.Short() {
			b = smallFile(t, m, Symmetric)
		}
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
	for name, tc := range map[string]struct {
		e     QueryEncoding
		spoil func(c *Codes, b []byte) []byte
	}{
		"bits past dim":      {Symmetric, func(c *Codes, _ []byte) []byte { c.data[1] |= 1 << 63; return nil }},
		"NaN centre":         {Symmetric, func(c *Codes, _ []byte) []byte { c.q.center[3] = float32(math.NaN()); return nil }},
		"centre under none":  {Symmetric, func(c *Codes, _ []byte) []byte { c.q.cent = CenterNone; return nil }},
		"negative norm":      {Symmetric, func(c *Codes, _ []byte) []byte { c.aux[0] = -1; return nil }},
		"negative radius":    {Symmetric, func(c *Codes, _ []byte) []byte { c.q.radius = -1; return nil }},
		"symmetric k":        {Symmetric, func(c *Codes, _ []byte) []byte { c.q.k = 1; return nil }},
		"symmetric scale":    {Symmetric, func(c *Codes, _ []byte) []byte { c.se = 1; return nil }},
		"asym bits past dim": {Asymmetric, func(c *Codes, _ []byte) []byte { c.data[1] |= 1 << 10; return nil }},
		"NaN rotation":       {Asymmetric, func(c *Codes, _ []byte) []byte { c.q.rot[5] = float32(math.NaN()); return nil }},
		"Inf centroid":       {Asymmetric, func(c *Codes, _ []byte) []byte { c.q.cents[5] = float32(math.Inf(1)); return nil }},
		"infinite e":         {Asymmetric, func(c *Codes, _ []byte) []byte { setHalf(c, 0, 32, 0xfc00); return nil }},
		"NaN e":              {Asymmetric, func(c *Codes, _ []byte) []byte { setHalf(c, 1, 32, 0x7e00); return nil }},
		"negative w":         {Asymmetric, func(c *Codes, _ []byte) []byte { setHalf(c, 0, 48, 0xbc00); return nil }},
		"infinite w":         {Asymmetric, func(c *Codes, _ []byte) []byte { setHalf(c, 2, 48, 0x7c00); return nil }},
		"centroid id":        {Asymmetric, func(c *Codes, _ []byte) []byte { setHalf(c, 2, 16, 2); return nil }},
		"zero scale":         {Asymmetric, func(c *Codes, _ []byte) []byte { c.se = 0; return nil }},
		"odd scale":          {Asymmetric, func(c *Codes, _ []byte) []byte { c.sw = 3; return nil }},
		"NaN scale":          {Asymmetric, func(c *Codes, _ []byte) []byte { c.sw = float32(math.NaN()); return nil }},
		"no centroids":       {Asymmetric, func(c *Codes, _ []byte) []byte { c.q.k, c.q.cents = 0, nil; return nil }},
		"asym centering":     {Asymmetric, func(c *Codes, _ []byte) []byte { c.q.cent = CenterNone; return nil }},
		"asym radius":        {Asymmetric, func(c *Codes, _ []byte) []byte { c.q.radius = 1; return nil }},
	} {
		c := mustCodes(t, v, flat.L2, Options{Query: tc.e, Centroids: 2})
		b := tc.spoil(c, encodeFile(t, c))
		if b == nil {
			b = encodeFile(t, c)
		}
		if _, err := Load(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// setHalf sets the 16 bits at bit shift of slot s's last word.
func setHalf(c *Codes, s, shift int, v uint16) {
	last := &c.data[(s+1)*c.words-1]
	*last = *last&^(0xffff<<uint(shift)) | uint64(v)<<uint(shift)
}

// TestOldVersion checks that an intact file of another version is refused with ErrVersion
// (and ErrCorrupt), saying the codes must be rebuilt.
func TestOldVersion(t *testing.T) {
	for _, v := range []uint32{1, 2, 4} {
		b := smallFile(t, flat.L2, Asymmetric)
		le.PutUint32(b[8:], v)
		le.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
		_, err := Load(b)
		if !errors.Is(err, ErrVersion) || !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "rebuild") {
			t.Errorf("version %d: %v, want ErrVersion and ErrCorrupt", v, err)
		}
	}
	b := smallFile(t, flat.L2, Asymmetric)
	b[8] = 1 // header checksum now wrong: corruption, not an old version
	if _, err := Load(b); errors.Is(err, ErrVersion) || !errors.Is(err, ErrCorrupt) {
		t.Errorf("flipped version: %v, want ErrCorrupt without ErrVersion", err)
	}
}

// FuzzRead checks that no input panics Load and that whatever loads writes back
// identically and scores.
func FuzzRead(f *testing.F) {
	f.Add(smallFile(f, flat.InnerProduct, Asymmetric))
	f.Add(smallFile(f, flat.L2, Symmetric))
	f.Add(smallFile(f, flat.L2, Asymmetric)[:100])
	f.Add(smallFile(f, flat.InnerProduct, Symmetric))
	f.Add([]byte("NDLBINQ\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// As given (mostly stopped by a checksum), then with the checksums recomputed so that
		// mutations reach the checks of the values behind them.
		for _, in := range [][]byte{b, fixChecksums(b)} {
			c, err := Load(in)
			if err != nil {
				if !errors.Is(err, ErrCorrupt) {
					t.Fatalf("error %v does not wrap ErrCorrupt", err)
				}
				continue
			}
			if again := encodeFile(t, c); !bytes.Equal(again, in) {
				t.Fatal("loaded file does not write back identically")
			}
			s := c.Scorer()
			s.Reset(make([]float32, c.Dim()))
			s.ScoreRange(0, make([]float32, c.Len()))
		}
	})
}

// fixChecksums returns a copy of b with the header checksum recomputed and, where the header's
// shape is in range and its layout is b's length, every section checksum too.
func fixChecksums(b []byte) []byte {
	if len(b) < headerSize {
		return b
	}
	b = bytes.Clone(b)
	h := b[:headerSize]
	sh := shape{dim: int64(le.Uint32(h[16:])), slots: int64(le.Uint32(h[24:])), k: int64(le.Uint32(h[32:])),
		metric: flat.Metric(h[20]), query: QueryEncoding(h[21])}
	if sh.dim >= 1 && sh.dim <= MaxDim && sh.query <= Symmetric && sh.k <= MaxCentroids {
		if secs, size := layout(sh); size == int64(len(b)) {
			for i, s := range secs {
				le.PutUint32(h[36+4*i:], crc32.Checksum(b[s.at:s.end], castagnoli))
			}
		}
	}
	le.PutUint32(h[60:], crc32.Checksum(h[:60], castagnoli))
	return b
}

// A finite vector of huge values (its ‖r‖² overflows float32) still gives codes that read back:
// the correction terms saturate instead of becoming infinite.
func TestHugeValuesRoundTrip(t *testing.T) {
	vecs := randVectors(200, 384, 5)
	row := vecs.Data[7*384 : 8*384]
	for i := range row {
		row[i] = 2e19
	}
	for _, m := range []flat.Metric{flat.L2, flat.InnerProduct} {
		c := mustCodes(t, vecs, m, Options{Query: Asymmetric, Centroids: 4})
		if _, err := Load(encodeFile(t, c)); err != nil {
			t.Errorf("metric %v: %v", m, err)
		}
	}
}
