package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// The .npy format (https://numpy.org/devdocs/reference/generated/numpy.lib.format.html):
//
//	"\x93NUMPY" major minor HEADER_LEN HEADER DATA
//
// HEADER_LEN is a little-endian uint16 in version 1.0 and a uint32 in 2.0
// and 3.0; HEADER is a Python dict literal such as
// "{'descr': '<f4', 'fortran_order': False, 'shape': (60000, 784), }",
// padded with spaces and ended by '\n' so that DATA starts on a 64-byte
// boundary.

const (
	npyMagic        = "\x93NUMPY"
	npyMaxHeaderLen = 1 << 20 // far above any real header; guards allocation on garbage
)

// npyHeader is the parsed header of a .npy file.
type npyHeader struct {
	descr   string
	fortran bool
	shape   []int
	dataOff int64 // offset of the first data byte
}

// npyOpen opens path, parses its header, checks that the array is 2-D, in
// C order, with one of the wanted dtypes, and that the file holds exactly
// the data the header describes. It returns the file positioned at the
// first data byte.
func npyOpen(path string, wanted map[string]int) (*os.File, npyHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, npyHeader{}, fmt.Errorf("bench: %w", err)
	}
	h, err := npyReadHeader(f, path)
	if err == nil {
		err = h.check(f, path, wanted)
	}
	if err != nil {
		f.Close()
		return nil, npyHeader{}, err
	}
	return f, h, nil
}

func npyReadHeader(r io.Reader, path string) (npyHeader, error) {
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return npyHeader{}, formatErr(path, "not a .npy file: shorter than the 8-byte preamble")
		}
		return npyHeader{}, fmt.Errorf("bench: read %s: %w", path, err)
	}
	if string(pre[:6]) != npyMagic {
		return npyHeader{}, formatErr(path, "not a .npy file: bad magic %q", pre[:6])
	}
	major, minor := pre[6], pre[7]
	var hlen, lenSize int
	switch major {
	case 1:
		var b [2]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, formatErr(path, "truncated .npy header length")
		}
		hlen, lenSize = int(binary.LittleEndian.Uint16(b[:])), 2
	case 2, 3:
		var b [4]byte
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return npyHeader{}, formatErr(path, "truncated .npy header length")
		}
		n := binary.LittleEndian.Uint32(b[:])
		if n > npyMaxHeaderLen {
			return npyHeader{}, formatErr(path, ".npy header length %d is implausibly large", n)
		}
		hlen, lenSize = int(n), 4
	default:
		return npyHeader{}, formatErr(path, "unsupported .npy format version %d.%d (want 1.0, 2.0 or 3.0)", major, minor)
	}
	hdr := make([]byte, hlen)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return npyHeader{}, formatErr(path, "truncated .npy header: want %d bytes", hlen)
	}
	h, err := parseNpyDict(string(hdr))
	if err != nil {
		return npyHeader{}, formatErr(path, "bad .npy header %q: %v", strings.TrimSpace(string(hdr)), err)
	}
	h.dataOff = int64(8 + lenSize + hlen)
	return h, nil
}

// check validates rank, order, dtype and the data length against the file
// size. wanted maps accepted descr strings to their item sizes.
func (h npyHeader) check(f *os.File, path string, wanted map[string]int) error {
	item, ok := wanted[h.descr]
	if !ok {
		names := make([]string, 0, len(wanted))
		for _, d := range []string{"<f4", "<f8", "<i4", "<i8"} {
			if _, ok := wanted[d]; ok {
				names = append(names, "'"+d+"'")
			}
		}
		return formatErr(path, "unsupported dtype '%s' (want %s)", h.descr, strings.Join(names, " or "))
	}
	if h.fortran {
		return formatErr(path, "fortran_order is True; only C-order arrays are supported (save np.ascontiguousarray(x))")
	}
	if len(h.shape) != 2 {
		return formatErr(path, "array is %d-D with shape %v; want a 2-D array", len(h.shape), h.shape)
	}
	want, ok := dataBytes(h.shape[0], h.shape[1], item)
	if !ok {
		return formatErr(path, "shape %v is too large", h.shape)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("bench: stat %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil // cannot check; the read reports truncation
	}
	have := st.Size() - h.dataOff
	switch {
	case have < want:
		return formatErr(path, "truncated: header says %dx%d %s (%d data bytes) but only %d bytes follow the header",
			h.shape[0], h.shape[1], h.descr, want, max(have, 0))
	case have > want:
		return formatErr(path, "%d unexpected bytes after the %dx%d %s data", have-want, h.shape[0], h.shape[1], h.descr)
	}
	return nil
}

// dataBytes returns rows*cols*item, and false on overflow or negative sizes.
func dataBytes(rows, cols, item int) (int64, bool) {
	if rows < 0 || cols < 0 {
		return 0, false
	}
	n := int64(rows) * int64(cols)
	if cols != 0 && n/int64(cols) != int64(rows) || n > math.MaxInt64/int64(item) || n > math.MaxInt {
		return 0, false
	}
	return n * int64(item), true
}

func readNpyFloat(path string) (*Matrix, error) {
	f, h, err := npyOpen(path, map[string]int{"<f4": 4, "<f8": 8})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &Matrix{Rows: h.shape[0], Cols: h.shape[1], Data: make([]float32, h.shape[0]*h.shape[1])}
	if h.descr == "<f4" {
		err = readRaw(f, m.Data)
	} else {
		err = readConverted(f, 8, m.Data, func(b []byte) (float32, bool) {
			return float32(math.Float64frombits(binary.LittleEndian.Uint64(b))), true
		})
	}
	if err != nil {
		return nil, readErr(path, err)
	}
	return m, nil
}

func readNpyInt(path string) (*IntMatrix, error) {
	f, h, err := npyOpen(path, map[string]int{"<i4": 4, "<i8": 8})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := &IntMatrix{Rows: h.shape[0], Cols: h.shape[1], Data: make([]int32, h.shape[0]*h.shape[1])}
	if h.descr == "<i4" {
		err = readRaw(f, m.Data)
	} else {
		err = readConverted(f, 8, m.Data, func(b []byte) (int32, bool) {
			v := int64(binary.LittleEndian.Uint64(b))
			return int32(v), v == int64(int32(v))
		})
		if errors.Is(err, errOutOfRange) {
			return nil, formatErr(path, "int64 value does not fit in int32")
		}
	}
	if err != nil {
		return nil, readErr(path, err)
	}
	return m, nil
}

// readErr turns an error from reading the data section into a
// *FormatError for truncation and a wrapped error otherwise.
func readErr(path string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return formatErr(path, "truncated data")
	}
	return fmt.Errorf("bench: read %s: %w", path, err)
}

// parseNpyDict parses the Python dict literal of a .npy header.
func parseNpyDict(s string) (npyHeader, error) {
	p := &dictParser{s: s}
	var h npyHeader
	seen := map[string]bool{}
	p.space()
	if !p.eat('{') {
		return h, errors.New("want '{'")
	}
	for {
		p.space()
		if p.eat('}') {
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		p.space()
		if !p.eat(':') {
			return h, fmt.Errorf("want ':' after key %q", key)
		}
		p.space()
		switch key {
		case "descr":
			if h.descr, err = p.str(); err != nil {
				return h, fmt.Errorf("descr: %v (structured dtypes are not supported)", err)
			}
		case "fortran_order":
			if h.fortran, err = p.boolean(); err != nil {
				return h, err
			}
		case "shape":
			if h.shape, err = p.tuple(); err != nil {
				return h, err
			}
		default:
			return h, fmt.Errorf("unknown key %q", key)
		}
		seen[key] = true
		p.space()
		if !p.eat(',') {
			p.space()
			if !p.eat('}') {
				return h, errors.New("want ',' or '}'")
			}
			break
		}
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("missing key %q", k)
		}
	}
	return h, nil
}

type dictParser struct {
	s string
	i int
}

func (p *dictParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *dictParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) str() (string, error) {
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", errors.New("want a quoted string")
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", errors.New("unterminated string")
	}
	v := p.s[p.i+1 : p.i+1+end]
	p.i += end + 2
	return v, nil
}

func (p *dictParser) boolean() (bool, error) {
	switch {
	case strings.HasPrefix(p.s[p.i:], "True"):
		p.i += 4
		return true, nil
	case strings.HasPrefix(p.s[p.i:], "False"):
		p.i += 5
		return false, nil
	}
	return false, errors.New("fortran_order: want True or False")
}

func (p *dictParser) tuple() ([]int, error) {
	if !p.eat('(') {
		return nil, errors.New("shape: want '('")
	}
	dims := []int{}
	for {
		p.space()
		if p.eat(')') {
			return dims, nil
		}
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		n, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, fmt.Errorf("shape: bad dimension %q", p.s[p.i:j])
		}
		dims = append(dims, n)
		p.i = j
		p.eat('L') // Python 2 long suffix
		p.space()
		if !p.eat(',') {
			p.space()
			if !p.eat(')') {
				return nil, errors.New("shape: want ',' or ')'")
			}
			return dims, nil
		}
	}
}

// WriteNpyFloat32 writes a rows x cols float32 matrix (row-major data) to w
// as a .npy version 1.0 file with dtype '<f4', which numpy.load reads.
func WriteNpyFloat32(w io.Writer, rows, cols int, data []float32) error {
	return writeNpy(w, "<f4", rows, cols, data)
}

// WriteNpyInt32 writes a rows x cols int32 matrix as a .npy file with dtype
// '<i4'.
func WriteNpyInt32(w io.Writer, rows, cols int, data []int32) error {
	return writeNpy(w, "<i4", rows, cols, data)
}

// WriteNpyInt64 writes a rows x cols int64 matrix as a .npy file with dtype
// '<i8'.
func WriteNpyInt64(w io.Writer, rows, cols int, data []int64) error {
	return writeNpy(w, "<i8", rows, cols, data)
}

func writeNpy[T float32 | int32 | int64](w io.Writer, descr string, rows, cols int, data []T) error {
	if rows < 0 || cols < 0 || int64(rows)*int64(cols) != int64(len(data)) {
		return fmt.Errorf("bench: write .npy: %d values do not make a %dx%d matrix", len(data), rows, cols)
	}
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%d, %d), }", descr, rows, cols)
	// 10-byte preamble + dict + padding + '\n' is a multiple of 64.
	total := (10 + len(dict) + 1 + 63) / 64 * 64
	var hdr bytes.Buffer
	hdr.WriteString(npyMagic)
	hdr.Write([]byte{1, 0})
	hlen := total - 10
	hdr.Write([]byte{byte(hlen), byte(hlen >> 8)})
	hdr.WriteString(dict)
	hdr.WriteString(strings.Repeat(" ", hlen-len(dict)-1))
	hdr.WriteByte('\n')
	if _, err := w.Write(hdr.Bytes()); err != nil {
		return fmt.Errorf("bench: write .npy header: %w", err)
	}
	if err := writeRaw(w, data); err != nil {
		return fmt.Errorf("bench: write .npy data: %w", err)
	}
	return nil
}
