package pq

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

func testCodes(t testing.TB, n, m, ksubSample int) *Codes {
	v := clustered(max(n, ksubSample), 16, 5, 0.2, 1)
	tr := flat.Vectors{Dim: 16, Data: v.Data[:ksubSample*16]}
	q, err := Train(tr, m, flat.L2, Options{Seed: 1, Iterations: 3})
	if err != nil {
		t.Fatal(err)
	}
	return q.EncodeAll(flat.Vectors{Dim: 16, Data: v.Data[:n*16]})
}

func TestWriteReadRoundTrip(t *testing.T) {
	for _, c := range []*Codes{testCodes(t, 500, 4, 500), testCodes(t, 50, 8, 20), testCodes(t, 0, 2, 0+1)} {
		var buf bytes.Buffer
		n, err := c.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo: %d, %v (buffer %d)", n, err, buf.Len())
		}
		got, err := Read(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if got.Len() != c.Len() || got.Dim() != c.Dim() || got.CodeBytes() != c.CodeBytes() ||
			!slices.Equal(got.Bytes(), c.Bytes()) || !slices.Equal(got.q.cent, c.q.cent) ||
			got.q.ksub != c.q.ksub || got.q.metric != c.q.metric {
			t.Fatal("codes differ after a round trip")
		}
	}
}

// fixCRCs recomputes the checksums of a PQ file in place (so that tests and
// the fuzzer reach the structural checks behind them).
func fixCRCs(b []byte) {
	if len(b) < headerSize {
		return
	}
	binary.LittleEndian.PutUint32(b[28:], crc32.Checksum(b[headerSize:], castagnoli))
	binary.LittleEndian.PutUint32(b[44:], crc32.Checksum(b[:44], castagnoli))
}

func TestReadCorrupt(t *testing.T) {
	var buf bytes.Buffer
	if _, err := testCodes(t, 30, 4, 10).WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	cases := map[string]func(b []byte) []byte{
		"empty":          func(b []byte) []byte { return nil },
		"short header":   func(b []byte) []byte { return b[:40] },
		"truncated":      func(b []byte) []byte { return b[:len(b)-1] },
		"trailing":       func(b []byte) []byte { return append(b, 0) },
		"bit flip":       func(b []byte) []byte { b[len(b)-3] ^= 4; return b },
		"header flip":    func(b []byte) []byte { b[17] ^= 1; return b },
		"magic":          func(b []byte) []byte { b[0] = 'X'; fixCRCs(b); return b },
		"version":        func(b []byte) []byte { b[8] = 2; fixCRCs(b); return b },
		"flags":          func(b []byte) []byte { b[12] = 1; fixCRCs(b); return b },
		"count":          func(b []byte) []byte { b[16]++; fixCRCs(b); return b },
		"huge count":     func(b []byte) []byte { b[23] = 0xff; fixCRCs(b); return b },
		"qlen":           func(b []byte) []byte { b[24] += 4; fixCRCs(b); return b },
		"huge qlen":      func(b []byte) []byte { b[27] = 0xff; fixCRCs(b); return b },
		"dim":            func(b []byte) []byte { b[headerSize] = 0; fixCRCs(b); return b },
		"M":              func(b []byte) []byte { b[headerSize+4] = 3; fixCRCs(b); return b },
		"ksub":           func(b []byte) []byte { b[headerSize+9] = 2; fixCRCs(b); return b },
		"metric":         func(b []byte) []byte { b[headerSize+12] = 7; fixCRCs(b); return b },
		"NaN centroid":   func(b []byte) []byte { copy(b[headerSize+16:], []byte{0, 0, 0xc0, 0x7f}); fixCRCs(b); return b },
		"code past ksub": func(b []byte) []byte { b[len(b)-1] = 200; fixCRCs(b); return b },
	}
	for name, mutate := range cases {
		b := mutate(slices.Clone(good))
		if _, err := Read(bytes.NewReader(b)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzRead: Load never panics; input it accepts writes back identically.
// Every input is also tried with its checksums repaired.
func FuzzRead(f *testing.F) {
	for _, c := range []*Codes{testCodes(f, 6, 4, 6), testCodes(f, 3, 16, 2)} {
		var buf bytes.Buffer
		c.WriteTo(&buf)
		f.Add(buf.Bytes())
	}
	f.Add([]byte("NDLPQ\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range [][]byte{data, func() []byte { b := slices.Clone(data); fixCRCs(b); return b }()} {
			c, err := Load(slices.Clone(b))
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if _, err := c.WriteTo(&out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), b) {
				t.Fatal("accepted input does not write back identically")
			}
			if c.Len() > 0 {
				s := c.Scorer()
				s.Reset(make([]float32, c.Dim()))
				s.ScoreRange(0, make([]float32, c.Len()))
			}
		}
	})
}
