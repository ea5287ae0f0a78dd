package knngraph

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unsafe"

	"github.com/needlevdb/needle/internal/bench"
	"github.com/needlevdb/needle/internal/distance"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// shape is what a file header promises, read before any data is loaded.
type shape struct {
	rows, cols int
	dtype      string // "<f4", "<f8", "fvecs", "bvecs"
	bytes      int64  // file size
}

var (
	npyShapeRe = regexp.MustCompile(`'shape'\s*:\s*\(\s*([0-9]*)\s*,?\s*([0-9]*)\s*,?\s*([0-9]*)\s*,?\s*\)`)
	npyDescrRe = regexp.MustCompile(`'descr'\s*:\s*'([^']*)'`)
)

// peek reads only the header of an input file and returns the matrix shape it promises, so that
// mismatched row counts, wrong dtypes and memory needs are reported before anything is loaded.
// The full format checks happen when the file is read (bench.ReadMatrix).
func peek(path string) (shape, error) {
	f, err := os.Open(path)
	if err != nil {
		return shape{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return shape{}, err
	}
	s := shape{bytes: st.Size()}
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		var pre [12]byte
		if _, err := io.ReadFull(f, pre[:]); err != nil || string(pre[:6]) != "\x93NUMPY" {
			return s, fmt.Errorf("%s: not a .npy file", path)
		}
		hlen, off := int(binary.LittleEndian.Uint16(pre[8:])), 10
		if pre[6] >= 2 {
			hlen, off = int(binary.LittleEndian.Uint32(pre[8:])), 12
		}
		hdr := make([]byte, min(hlen, 1<<20))
		if _, err := f.ReadAt(hdr, int64(off)); err != nil {
			return s, fmt.Errorf("%s: truncated .npy header", path)
		}
		d := npyDescrRe.FindSubmatch(hdr)
		m := npyShapeRe.FindSubmatch(hdr)
		if d == nil || m == nil {
			return s, fmt.Errorf("%s: unreadable .npy header %q", path, bytes.TrimSpace(hdr))
		}
		s.dtype = string(d[1])
		if s.dtype != "<f4" && s.dtype != "<f8" {
			return s, fmt.Errorf("%s: dtype '%s' is not a float matrix (want float32 '<f4'; float64 '<f8' is converted): "+
				"save it with x.astype(np.float32)", path, s.dtype)
		}
		if len(m[1]) == 0 || len(m[2]) == 0 || len(m[3]) != 0 {
			return s, fmt.Errorf("%s: array shape %s is not 2-D (rows, dims)", path, m[0][len("'shape'"):])
		}
		s.rows, _ = strconv.Atoi(string(m[1]))
		s.cols, _ = strconv.Atoi(string(m[2]))
	case ".fvecs", ".bvecs":
		var b [4]byte
		if _, err := io.ReadFull(f, b[:]); err != nil {
			return s, fmt.Errorf("%s: empty %s file", path, ext)
		}
		s.cols = int(int32(binary.LittleEndian.Uint32(b[:])))
		item, rec := int64(4), int64(0)
		s.dtype = ext[1:]
		if ext == ".bvecs" {
			item = 1
		}
		if s.cols <= 0 {
			return s, fmt.Errorf("%s: first row has dimension %d", path, s.cols)
		}
		rec = 4 + item*int64(s.cols)
		if s.bytes%rec != 0 {
			return s, fmt.Errorf("%s: size %d is not a whole number of %d-byte rows of dimension %d", path, s.bytes, rec, s.cols)
		}
		s.rows = int(s.bytes / rec)
	default:
		return s, fmt.Errorf("%s: unsupported extension %q (want .npy, .fvecs or .bvecs)", path, ext)
	}
	if s.rows < 1 || s.cols < 1 {
		return s, fmt.Errorf("%s: empty matrix (%d x %d)", path, s.rows, s.cols)
	}
	return s, nil
}

// modality is one loaded input: rows of dim floats back to back, already normalised (cosine) and
// scaled by sqrt(weight), so that the sum over modalities of the kernel scores is the weighted
// score.
type modality struct {
	path   string
	dim    int
	weight float64
	data   []float32
	crc    uint32 // CRC-32C of the values as loaded, before scaling
	zeros  int    // all-zero rows (cosine similarity 0 with everything)
}

func (m *modality) row(i int) []float32 { return m.data[i*m.dim : (i+1)*m.dim : (i+1)*m.dim] }

// load reads one input, rejects NaN and Inf, and prepares it for metric.
func load(in Input, metric Metric) (*modality, error) {
	mat, err := bench.ReadMatrix(in.Path)
	if err != nil {
		return nil, err
	}
	m := &modality{path: in.Path, dim: mat.Cols, weight: in.Weight, data: mat.Data}
	m.crc = crc32.Checksum(floatBytes(m.data), castagnoli)
	for i, x := range m.data {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			return nil, fmt.Errorf("%s: row %d column %d is %v; every value must be finite", in.Path, i/m.dim, i%m.dim, x)
		}
	}
	scale := float32(math.Sqrt(in.Weight))
	rows := len(m.data) / m.dim
	for r := range rows {
		v := m.row(r)
		if metric == Cosine {
			if distance.Norm(v) == 0 {
				m.zeros++
			}
			distance.Normalize(v)
		}
		if scale != 1 {
			for i := range v {
				v[i] *= scale
			}
		}
	}
	return m, nil
}

// floatBytes views float32 values as their little-endian bytes (every platform Needle builds
// for is little-endian; a big-endian one would only compute a different checksum).
func floatBytes(s []float32) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), 4*len(s))
}

// readIDs reads one id a line; it must hold exactly n non-empty ids without tabs.
func readIDs(path string, n int) ([]string, uint32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	crc := crc32.Checksum(b, castagnoli)
	s := strings.TrimSuffix(string(b), "\n")
	ids := strings.Split(s, "\n")
	if s == "" {
		ids = nil
	}
	if len(ids) != n {
		return nil, 0, fmt.Errorf("%s: %d ids for %d rows; want one id a line, line i+1 naming row i", path, len(ids), n)
	}
	for i, id := range ids {
		id = strings.TrimSuffix(id, "\r")
		if id == "" || strings.ContainsRune(id, '\t') {
			return nil, 0, fmt.Errorf("%s: line %d: id is empty or holds a tab", path, i+1)
		}
		ids[i] = id
	}
	return ids, crc, nil
}
