package knngraph

import (
	"archive/zip"
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// writeNpz writes the final rows of h as the CSR matrix scipy.sparse.save_npz(path, m,
// compressed=False) would write: a stored (uncompressed) zip of indices.npy (int32), indptr.npy
// (int64), format.npy (b'csr'), shape.npy (int64 [n, n]) and data.npy (float32), in that order,
// every entry dated 1980-01-01 00:00 like numpy's, so identical input gives identical bytes.
// Within a row, neighbours are stored best first (scipy's has_sorted_indices is then false;
// scipy sorts on demand). score converts a rank distance back to the reported score.
func writeNpz(w io.Writer, h *heaps, score float32) error {
	n := len(h.count)
	nnz := int64(0)
	for _, c := range h.count {
		nnz += int64(c)
	}
	zw := zip.NewWriter(w)
	entry := func(name, descr, shape string, body func(*bufio.Writer) error) error {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, ModifiedDate: 1<<5 | 1})
		if err != nil {
			return err
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		bw.Write(npyHeader(descr, shape))
		if err := body(bw); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
		return nil
	}
	vec := fmt.Sprintf("(%d,)", nnz)
	var b8 [8]byte
	err := entry("indices.npy", "<i4", vec, func(bw *bufio.Writer) error {
		for r := range n {
			for _, key := range h.row(r) {
				binary.LittleEndian.PutUint32(b8[:], keySlot(key))
				bw.Write(b8[:4])
			}
		}
		return nil
	})
	if err == nil {
		err = entry("indptr.npy", "<i8", fmt.Sprintf("(%d,)", n+1), func(bw *bufio.Writer) error {
			off := int64(0)
			for r := range n + 1 {
				binary.LittleEndian.PutUint64(b8[:], uint64(off))
				bw.Write(b8[:])
				if r < n {
					off += int64(h.count[r])
				}
			}
			return nil
		})
	}
	if err == nil {
		err = entry("format.npy", "|S3", "()", func(bw *bufio.Writer) error {
			_, err := bw.WriteString("csr")
			return err
		})
	}
	if err == nil {
		err = entry("shape.npy", "<i8", "(2,)", func(bw *bufio.Writer) error {
			binary.LittleEndian.PutUint64(b8[:], uint64(n))
			bw.Write(b8[:])
			_, err := bw.Write(b8[:])
			return err
		})
	}
	if err == nil {
		err = entry("data.npy", "<f4", vec, func(bw *bufio.Writer) error {
			for r := range n {
				for _, key := range h.row(r) {
					binary.LittleEndian.PutUint32(b8[:], math.Float32bits(keyDist(key)*score))
					bw.Write(b8[:4])
				}
			}
			return nil
		})
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return fmt.Errorf("write .npz: %w", err)
	}
	return nil
}

// npyHeader returns a .npy version 1.0 header for a C-order array, padded with spaces so the
// data starts on a 64-byte boundary.
func npyHeader(descr, shape string) []byte {
	dict := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape)
	total := (10 + len(dict) + 1 + 63) / 64 * 64
	hlen := total - 10
	b := make([]byte, 0, total)
	b = append(b, "\x93NUMPY\x01\x00"...)
	b = append(b, byte(hlen), byte(hlen>>8))
	b = append(b, dict...)
	b = append(b, strings.Repeat(" ", hlen-len(dict)-1)...)
	return append(b, '\n')
}

// tsvWriter renders final rows as "row\tcol\tscore\n" lines, with item ids in place of row
// numbers when ids is set. Scores use the shortest decimal that reads back as the same float32.
type tsvWriter struct {
	w     *bufio.Writer
	ids   []string
	score float32
	buf   []byte
}

func (t *tsvWriter) rows(h *heaps, lo, hi int) error {
	for r := lo; r < hi; r++ {
		for _, key := range h.row(r) {
			slot := keySlot(key)
			b := t.buf[:0]
			if t.ids != nil {
				b = append(b, t.ids[r]...)
				b = append(b, '\t')
				b = append(b, t.ids[slot]...)
			} else {
				b = strconv.AppendInt(b, int64(r), 10)
				b = append(b, '\t')
				b = strconv.AppendUint(b, uint64(slot), 10)
			}
			b = append(b, '\t')
			b = strconv.AppendFloat(b, float64(keyDist(key)*t.score), 'g', -1, 32)
			b = append(b, '\n')
			t.buf = b
			if _, err := t.w.Write(b); err != nil {
				return fmt.Errorf("write TSV: %w", err)
			}
		}
	}
	return nil
}
