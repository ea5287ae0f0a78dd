package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// writeFile writes b to name in a temporary directory and returns the path.
func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// npyBytes builds a .npy file by hand: the given format version, header
// dict and data bytes, with the header padded to a 64-byte boundary.
func npyBytes(major byte, dict string, data []byte) []byte {
	pre := 10
	if major >= 2 {
		pre = 12
	}
	hlen := (pre+len(dict)+1+63)/64*64 - pre
	var b bytes.Buffer
	b.WriteString(npyMagic)
	b.Write([]byte{major, 0})
	if major >= 2 {
		binary.Write(&b, binary.LittleEndian, uint32(hlen))
	} else {
		binary.Write(&b, binary.LittleEndian, uint16(hlen))
	}
	b.WriteString(dict + strings.Repeat(" ", hlen-len(dict)-1) + "\n")
	b.Write(data)
	return b.Bytes()
}

func dict(descr string, fortran bool, shape string) string {
	f := "False"
	if fortran {
		f = "True"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }", descr, f, shape)
}

func leBytes(vals any) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, vals)
	return b.Bytes()
}

func TestNpyFloat32RoundTrip(t *testing.T) {
	for _, shape := range [][2]int{{3, 4}, {1, 1}, {0, 5}, {5, 0}, {1000, 17}} {
		rows, cols := shape[0], shape[1]
		data := make([]float32, rows*cols)
		for i := range data {
			data[i] = float32(i)*0.5 - 3
		}
		if len(data) > 0 {
			data[0] = float32(math.Inf(-1))
		}
		var buf bytes.Buffer
		if err := WriteNpyFloat32(&buf, rows, cols, data); err != nil {
			t.Fatal(err)
		}
		hdrEnd := bytes.IndexByte(buf.Bytes(), '\n') + 1
		if hdrEnd%64 != 0 {
			t.Errorf("%v: data starts at %d, want a multiple of 64", shape, hdrEnd)
		}
		m, err := ReadMatrix(writeFile(t, "x.npy", buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows != rows || m.Cols != cols || !slices.Equal(m.Data, data) {
			t.Errorf("%v: got %dx%d %v", shape, m.Rows, m.Cols, m.Data[:min(len(m.Data), 8)])
		}
	}
}

func TestNpyIntRoundTrip(t *testing.T) {
	want := []int32{0, -1, math.MaxInt32, math.MinInt32, 7, 8}
	var b32, b64 bytes.Buffer
	if err := WriteNpyInt32(&b32, 2, 3, want); err != nil {
		t.Fatal(err)
	}
	w64 := make([]int64, len(want))
	for i, v := range want {
		w64[i] = int64(v)
	}
	if err := WriteNpyInt64(&b64, 3, 2, w64); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		b          []byte
		rows, cols int
	}{{b32.Bytes(), 2, 3}, {b64.Bytes(), 3, 2}} {
		m, err := ReadIntMatrix(writeFile(t, "gt.npy", c.b))
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows != c.rows || m.Cols != c.cols || !slices.Equal(m.Data, want) {
			t.Errorf("got %dx%d %v, want %dx%d %v", m.Rows, m.Cols, m.Data, c.rows, c.cols, want)
		}
		if got := m.Row(1); !slices.Equal(got, want[c.cols:2*c.cols]) {
			t.Errorf("Row(1) = %v", got)
		}
	}
}

func TestNpyFloat64AndVersion2(t *testing.T) {
	vals := []float64{1.5, -2.25, 1e300, 3}
	for _, major := range []byte{1, 2, 3} {
		p := writeFile(t, "f8.npy", npyBytes(major, dict("<f8", false, "(2, 2)"), leBytes(vals)))
		m, err := ReadMatrix(p)
		if err != nil {
			t.Fatalf("version %d: %v", major, err)
		}
		want := []float32{1.5, -2.25, float32(math.Inf(1)), 3}
		if m.Rows != 2 || m.Cols != 2 || !slices.Equal(m.Data, want) {
			t.Errorf("version %d: got %dx%d %v", major, m.Rows, m.Cols, m.Data)
		}
		if !slices.Equal(m.Row(1), want[2:]) {
			t.Errorf("Row(1) = %v", m.Row(1))
		}
	}
	// Header spellings other writers produce: no trailing comma, Python 2 longs, key order.
	p := writeFile(t, "odd.npy", npyBytes(1, `{"shape": (1L, 2L), "fortran_order": False, "descr": "<f4"}`, leBytes([]float32{1, 2})))
	if m, err := ReadMatrix(p); err != nil || !slices.Equal(m.Data, []float32{1, 2}) {
		t.Errorf("odd header: %v %v", m, err)
	}
}

func TestNpyFloat64Large(t *testing.T) {
	// More than one conversion chunk.
	n := chunkBytes/8*2 + 3
	vals := make([]float64, n)
	for i := range vals {
		vals[i] = float64(i)
	}
	m, err := ReadMatrix(writeFile(t, "big.npy", npyBytes(1, dict("<f8", false, fmt.Sprintf("(%d, 1)", n)), leBytes(vals))))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range m.Data {
		if v != float32(i) {
			t.Fatalf("Data[%d] = %v", i, v)
		}
	}
}

func TestNpyErrors(t *testing.T) {
	f4 := leBytes([]float32{1, 2, 3, 4, 5, 6})
	good := npyBytes(1, dict("<f4", false, "(2, 3)"), f4)
	hdrEnd := bytes.IndexByte(good, '\n') + 1
	cases := []struct {
		name, file string
		data       []byte
		readInt    bool
		want       string
	}{
		{"fortran", "a.npy", npyBytes(1, dict("<f4", true, "(2, 3)"), f4), false, "fortran_order is True"},
		{"1-D", "b.npy", npyBytes(1, dict("<f4", false, "(6,)"), f4), false, "1-D"},
		{"3-D", "c.npy", npyBytes(1, dict("<f4", false, "(1, 2, 3)"), f4), false, "3-D"},
		{"scalar", "c0.npy", npyBytes(1, dict("<f4", false, "()"), f4[:4]), false, "0-D"},
		{"int as float", "d.npy", npyBytes(1, dict("<i4", false, "(2, 3)"), f4), false, "unsupported dtype '<i4' (want '<f4' or '<f8')"},
		{"float as int", "e.npy", good, true, "unsupported dtype '<f4' (want '<i4' or '<i8')"},
		{"big-endian", "f.npy", npyBytes(1, dict(">f4", false, "(2, 3)"), f4), false, "unsupported dtype '>f4'"},
		{"uint8", "g.npy", npyBytes(1, dict("|u1", false, "(2, 3)"), f4[:6]), false, "unsupported dtype '|u1'"},
		{"truncated data", "h.npy", good[:len(good)-1], false, "truncated: header says 2x3 <f4 (24 data bytes) but only 23 bytes follow"},
		{"no data", "h0.npy", good[:hdrEnd], false, "but only 0 bytes follow"},
		{"trailing", "i.npy", append(slices.Clone(good), 0), false, "1 unexpected bytes after"},
		{"truncated header", "j.npy", good[:30], false, "truncated .npy header"},
		{"bad magic", "k.npy", append([]byte("\x93NUMPZ"), good[6:]...), false, "bad magic"},
		{"empty", "l.npy", nil, false, "shorter than the 8-byte preamble"},
		{"version", "m.npy", append([]byte("\x93NUMPY\x04\x00"), good[8:]...), false, "unsupported .npy format version 4.0"},
		{"garbage header", "n.npy", npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", f4), false, "bad dimension"},
		{"structured", "o.npy", npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2, 3), }", f4), false, "structured dtypes"},
		{"missing key", "p.npy", npyBytes(1, "{'descr': '<f4', 'shape': (2, 3), }", f4), false, `missing key "fortran_order"`},
		{"i8 range", "q.npy", npyBytes(1, dict("<i8", false, "(1, 1)"), leBytes([]int64{1 << 40})), true, "does not fit in int32"},
		{"extension", "r.npz", good, false, `unsupported extension ".npz"`},
		{"int extension", "s.fvecs", good, true, `unsupported extension ".fvecs"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file, c.data)
			var err error
			if c.readInt {
				_, err = ReadIntMatrix(p)
			} else {
				_, err = ReadMatrix(p)
			}
			checkFormatErr(t, err, p, c.want)
		})
	}
}

// checkFormatErr asserts err is a *FormatError naming path whose message
// contains want.
func checkFormatErr(t *testing.T, err error, path, want string) {
	t.Helper()
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("got %v (%T), want a *FormatError", err, err)
	}
	if fe.Path != path || !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not contain %q", err, want)
	}
}

func TestMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.npy")
	_, err := ReadMatrix(p)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), p) {
		t.Errorf("got %v, want a not-exist error naming the file", err)
	}
}

func TestWriteNpyShapeMismatch(t *testing.T) {
	if err := WriteNpyFloat32(&bytes.Buffer{}, 2, 3, make([]float32, 5)); err == nil {
		t.Error("want an error for 5 values in a 2x3 matrix")
	}
	if err := WriteNpyInt32(&bytes.Buffer{}, -1, -1, make([]int32, 1)); err == nil {
		t.Error("want an error for a negative shape")
	}
}

// TestRealDatasets reads the files made by shared/bench/datasets.py when
// they are present ($NEEDLE_DATA, default /tmp/needle-data) and checks
// them against the facts datasets.py records.
func TestRealDatasets(t *testing.T) {
	dir := os.Getenv("NEEDLE_DATA")
	if dir == "" {
		dir = "/tmp/needle-data"
	}
	prefix := filepath.Join(dir, "fashion-mnist-784-euclidean")
	if _, err := os.Stat(prefix + ".gt.npy"); err != nil {
		t.Skipf("no dataset: %v", err)
	}
	base, err := ReadMatrix(prefix + ".base.npy")
	if err != nil {
		t.Fatal(err)
	}
	gt, err := ReadIntMatrix(prefix + ".gt.npy")
	if err != nil {
		t.Fatal(err)
	}
	if base.Rows != 60000 || base.Cols != 784 || gt.Rows != 10000 || gt.Cols != 100 {
		t.Fatalf("shapes %dx%d and %dx%d", base.Rows, base.Cols, gt.Rows, gt.Cols)
	}
	if got, want := gt.Row(0)[:5], []int32{18094, 53939, 18352, 52468, 15081}; !slices.Equal(got, want) {
		t.Errorf("gt row 0 = %v, want %v", got, want)
	}
	var sum float64
	for _, v := range base.Data {
		sum += float64(v)
	}
	if mean := sum / float64(len(base.Data)); math.Abs(mean-72.94035223214286) > 1e-9 {
		t.Errorf("base mean %v", mean)
	}
}

func BenchmarkReadMatrixNpy(b *testing.B) {
	const rows, cols = 1 << 17, 128 // 64 MiB
	var buf bytes.Buffer
	if err := WriteNpyFloat32(&buf, rows, cols, make([]float32, rows*cols)); err != nil {
		b.Fatal(err)
	}
	p := writeFile(b, "bench.npy", buf.Bytes())
	b.SetBytes(rows * cols * 4)
	for b.Loop() {
		if _, err := ReadMatrix(p); err != nil {
			b.Fatal(err)
		}
	}
}
