package ivf

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math"
	"slices"
	"testing"

	"github.com/needlevdb/needle/internal/index/flat"
)

func fixCRCs(b []byte) {
	if len(b) < headerSize {
		return
	}
	binary.LittleEndian.PutUint32(b[52:], crc32.Checksum(b[headerSize:], castagnoli))
	binary.LittleEndian.PutUint32(b[60:], crc32.Checksum(b[:60], castagnoli))
}

func TestWriteReadRoundTrip(t *testing.T) {
	base := clustered(1500, 16, 10, 0.3, 1)
	queries := clustered(5, 16, 10, 0.3, 2)
	for _, cfg := range []Config{
		{Dim: 16, Metric: flat.L2, Nlist: 8, Seed: 3},
		{Dim: 16, Metric: flat.L2, Nlist: 8, PQM: 4, Seed: 3},
		{Dim: 16, Metric: flat.InnerProduct, Nlist: 8, PQM: 8, Seed: 3},
	} {
		x := build(t, cfg, base)
		var buf bytes.Buffer
		n, err := x.WriteTo(&buf)
		if err != nil || n != int64(buf.Len()) {
			t.Fatalf("WriteTo: %d, %v", n, err)
		}
		y, err := Read(bytes.NewReader(buf.Bytes()), base)
		if err != nil {
			t.Fatal(err)
		}
		if y.Config() != cfg || y.Len() != x.Len() || !slices.Equal(y.centroids, x.centroids) || (y.precomp != nil) != (x.precomp != nil) {
			t.Fatalf("%+v: index differs after a round trip", cfg)
		}
		for i := range queries.Slots() {
			p := SearchParams{K: 10, Nprobe: 3, Rescore: 20}
			a, b := x.Search(queries.Row(uint32(i)), p), y.Search(queries.Row(uint32(i)), p)
			if !slices.Equal(a, b) {
				t.Fatalf("%+v: results differ after a round trip:\n%v\n%v", cfg, a, b)
			}
		}
		var again bytes.Buffer
		y.WriteTo(&again)
		if !bytes.Equal(again.Bytes(), buf.Bytes()) {
			t.Fatalf("%+v: rewritten file differs", cfg)
		}
		if _, err := Read(bytes.NewReader(buf.Bytes()), flat.Vectors{Dim: 16, Data: base.Data[:100*16]}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("slots beyond the vectors: %v, want ErrCorrupt", err)
		}
		// Without vectors (the zero value: PQ lists searched without rescoring) it reads too.
		if _, err := Read(bytes.NewReader(buf.Bytes()), flat.Vectors{}); err != nil {
			t.Errorf("without vectors: %v", err)
		}
	}
}

func TestReadCorrupt(t *testing.T) {
	base := clustered(300, 8, 5, 0.3, 1)
	x := build(t, Config{Dim: 8, Metric: flat.L2, Nlist: 4, PQM: 2, Seed: 1}, base)
	var buf bytes.Buffer
	x.WriteTo(&buf)
	good := buf.Bytes()
	cases := map[string]func(b []byte) []byte{
		"empty":        func(b []byte) []byte { return nil },
		"short":        func(b []byte) []byte { return b[:63] },
		"truncated":    func(b []byte) []byte { return b[:len(b)-1] },
		"trailing":     func(b []byte) []byte { return append(b, 0) },
		"body flip":    func(b []byte) []byte { b[len(b)-5] ^= 8; return b },
		"header flip":  func(b []byte) []byte { b[41] ^= 1; return b },
		"magic":        func(b []byte) []byte { b[1] = 'x'; fixCRCs(b); return b },
		"version":      func(b []byte) []byte { b[8] = 9; fixCRCs(b); return b },
		"flags":        func(b []byte) []byte { b[13] = 1; fixCRCs(b); return b },
		"metric":       func(b []byte) []byte { b[20] = 2; fixCRCs(b); return b },
		"dim":          func(b []byte) []byte { b[16] = 0; fixCRCs(b); return b },
		"huge nlist":   func(b []byte) []byte { b[27] = 0x7f; fixCRCs(b); return b },
		"pqm":          func(b []byte) []byte { b[28] = 4; fixCRCs(b); return b },
		"count":        func(b []byte) []byte { b[40]++; fixCRCs(b); return b },
		"qlen":         func(b []byte) []byte { b[48] = 0; fixCRCs(b); return b },
		"list lengths": func(b []byte) []byte { b[headerSize+4*4*8+int(le.Uint32(b[48:]))]++; fixCRCs(b); return b },
		"NaN centroid": func(b []byte) []byte { copy(b[headerSize:], []byte{0, 0, 0xc0, 0x7f}); fixCRCs(b); return b },
	}
	for name, mutate := range cases {
		b := mutate(slices.Clone(good))
		if _, err := Read(bytes.NewReader(b), base); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzRead: Load never panics; an accepted input writes back identically
// and can be searched. Every input is also tried with repaired checksums.
func FuzzRead(f *testing.F) {
	base := clustered(40, 4, 3, 0.3, 1)
	for _, cfg := range []Config{{Dim: 4, Metric: flat.L2, Nlist: 2, Seed: 1}, {Dim: 4, Metric: flat.L2, Nlist: 3, PQM: 2, Seed: 1}} {
		x, _ := New(cfg)
		if err := x.Train(base, 0); err != nil {
			f.Fatal(err)
		}
		x.AddRange(base, 0, 6)
		var buf bytes.Buffer
		x.WriteTo(&buf)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, b := range [][]byte{data, func() []byte { b := slices.Clone(data); fixCRCs(b); return b }()} {
			x, err := Load(slices.Clone(b), base)
			if err != nil {
				continue
			}
			var out bytes.Buffer
			if _, err := x.WriteTo(&out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), b) {
				t.Fatal("accepted input does not write back identically")
			}
			x.Search(base.Row(0), SearchParams{K: 3, Nprobe: 2, Rescore: 5})
		}
	})
}

func TestReadCorruptQuantizer(t *testing.T) {
	base := clustered(300, 8, 5, 0.3, 1)
	x, _ := New(Config{Dim: 8, Metric: flat.L2, Nlist: 4, PQM: 2, Seed: 1})
	if err := x.Train(base, 100); err != nil { // codebooks of 100 centroids
		t.Fatal(err)
	}
	x.AddRange(base, 0, 300)
	var buf bytes.Buffer
	x.WriteTo(&buf)
	qat := headerSize + 4*8*4 // the quantizer block
	for name, at := range map[string]int{"ksub": qat + 9, "metric": qat + 12, "code byte": buf.Len() - 1} {
		b := slices.Clone(buf.Bytes())
		b[at] = 200
		fixCRCs(b)
		if _, err := Read(bytes.NewReader(b), base); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ivf.ErrCorrupt", name, err)
		}
	}
}

// referenceFile is the file of x with its body built in one buffer, as
// WriteTo built it before it streamed.
func referenceFile(x *Index) []byte {
	var qb []byte
	if x.pq != nil {
		qb, _ = x.pq.AppendBinary(nil)
	}
	var count uint64
	var body []byte
	for _, c := range x.centroids {
		body = le.AppendUint32(body, math.Float32bits(c))
	}
	body = append(body, qb...)
	for i := range x.lists {
		body = le.AppendUint32(body, uint32(len(x.lists[i].Load().ids)))
	}
	for i := range x.lists {
		for _, s := range x.lists[i].Load().ids {
			body = le.AppendUint32(body, s)
			count++
		}
	}
	for i := range x.lists {
		body = append(body, x.lists[i].Load().codes...)
	}
	return append(header(x.cfg, count, len(qb), crc32.Checksum(body, castagnoli)), body...)
}

// TestWriteToMatchesReference: the streamed file is byte for byte the one
// built in memory, for flat and PQ lists, lists left empty, a body larger
// than the encoding buffer, and an index with no entries.
func TestWriteToMatchesReference(t *testing.T) {
	base := clustered(6000, 32, 10, 0.3, 4)
	for _, cfg := range []Config{
		{Dim: 32, Metric: flat.L2, Nlist: 16, Seed: 1},
		{Dim: 32, Metric: flat.L2, Nlist: 40, PQM: 8, Seed: 2},
		{Dim: 32, Metric: flat.InnerProduct, Nlist: 7, PQM: 4, Seed: 3},
	} {
		x, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Train(base, 0); err != nil {
			t.Fatal(err)
		}
		for _, add := range []int{0, 3, 6000} { // nothing, most lists empty, a body past writeChunk
			if err := x.AddRange(base, x.Len(), add); err != nil {
				t.Fatal(err)
			}
			want := referenceFile(x)
			var buf bytes.Buffer
			n, err := x.WriteTo(&buf)
			if err != nil || n != int64(len(want)) || !bytes.Equal(buf.Bytes(), want) {
				t.Fatalf("%+v, %d entries: WriteTo wrote %d bytes (%v), not the %d of the reference", cfg, x.Len(), n, err, len(want))
			}
		}
	}
}

// shortWriter accepts n bytes, then fails.
type shortWriter struct{ n int }

func (w *shortWriter) Write(p []byte) (int, error) {
	k := min(len(p), w.n)
	w.n -= k
	if k < len(p) {
		return k, errors.New("disk full")
	}
	return k, nil
}

// TestWriteToError: a failing writer's error comes back with the bytes it
// took, wherever it fails.
func TestWriteToError(t *testing.T) {
	base := clustered(2000, 16, 10, 0.3, 1)
	x := build(t, Config{Dim: 16, Metric: flat.L2, Nlist: 8, PQM: 4, Seed: 3}, base)
	size := len(referenceFile(x))
	for _, at := range []int{0, 10, headerSize, headerSize + 100, size - 1} {
		n, err := x.WriteTo(&shortWriter{n: at})
		if err == nil || n != int64(at) {
			t.Errorf("writer failing after %d bytes: %d, %v", at, n, err)
		}
	}
	if n, err := x.WriteTo(&shortWriter{n: size}); err != nil || n != int64(size) {
		t.Errorf("writer of exactly the file's size: %d, %v", n, err)
	}
}

// TestWriteToDuringAdd: WriteTo while Adds run writes whole files, each
// with the entries of the Adds done when it began.
func TestWriteToDuringAdd(t *testing.T) {
	const n, chunk = 3000, 500
	base := clustered(n, 16, 10, 0.3, 5)
	x, _ := New(Config{Dim: 16, Metric: flat.L2, Nlist: 8, PQM: 4, Seed: 1})
	if err := x.Train(base, 0); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for lo := 0; lo < n; lo += chunk {
			if err := x.AddRange(base, lo, lo+chunk); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	for finished := false; !finished; {
		select {
		case <-done:
			finished = true
		default:
		}
		var buf bytes.Buffer
		if _, err := x.WriteTo(&buf); err != nil {
			t.Error(err)
		} else if y, err := Read(&buf, base); err != nil {
			t.Error(err)
		} else if y.Len()%chunk != 0 {
			t.Errorf("a file of %d entries: not a whole number of Adds", y.Len())
		}
		if t.Failed() {
			<-done
			return
		}
	}
}
