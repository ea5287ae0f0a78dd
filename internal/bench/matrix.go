package bench

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Matrix is a dense row-major float32 matrix: row i is
// Data[i*Cols : (i+1)*Cols].
type Matrix struct {
	Rows, Cols int
	Data       []float32
}

// Row returns row i as a slice sharing m.Data. Its capacity is limited to
// the row, so appending to it never overwrites the next row.
func (m *Matrix) Row(i int) []float32 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// IntMatrix is a dense row-major int32 matrix, used for ground-truth
// neighbour ids: row i holds the ids of query i's nearest neighbours, best
// first.
type IntMatrix struct {
	Rows, Cols int
	Data       []int32
}

// Row returns row i as a slice sharing m.Data, with capacity limited to the
// row.
func (m *IntMatrix) Row(i int) []int32 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// FormatError reports a dataset file whose contents do not match what its
// extension or header promises (unsupported dtype, wrong rank, truncated
// data, ...).
type FormatError struct {
	Path string // file name as given to the reader
	Msg  string // what is wrong
}

// Error implements error.
func (e *FormatError) Error() string { return "bench: " + e.Path + ": " + e.Msg }

func formatErr(path, format string, args ...any) error {
	return &FormatError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// ReadMatrix reads a float matrix from path, choosing the format by the
// extension (case-insensitive):
//
//   - .npy: NumPy format 1.0, 2.0 or 3.0; dtype '<f4' (read in place) or
//     '<f8' (converted to float32); C order; exactly 2-D.
//   - .fvecs: per row, a little-endian int32 dimension d then d float32.
//   - .bvecs: per row, a little-endian int32 dimension d then d uint8
//     (converted to float32).
//
// Every row of an .fvecs/.bvecs file must have the same dimension. Format
// problems are returned as *FormatError; I/O errors are wrapped with the
// file name.
func ReadMatrix(path string) (*Matrix, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		return readNpyFloat(path)
	case ".fvecs":
		return readFvecs(path)
	case ".bvecs":
		return readBvecs(path)
	default:
		return nil, formatErr(path, "unsupported extension %q for a float matrix (want .npy, .fvecs or .bvecs)", ext)
	}
}

// ReadIntMatrix reads an integer matrix (typically ground-truth ids) from
// path, choosing the format by the extension (case-insensitive):
//
//   - .npy: NumPy format 1.0, 2.0 or 3.0; dtype '<i4' (read in place) or
//     '<i8' (converted; values outside the int32 range are an error); C
//     order; exactly 2-D.
//   - .ivecs: per row, a little-endian int32 dimension d then d int32.
//
// Format problems are returned as *FormatError; I/O errors are wrapped with
// the file name.
func ReadIntMatrix(path string) (*IntMatrix, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".npy":
		return readNpyInt(path)
	case ".ivecs":
		return readIvecs(path)
	default:
		return nil, formatErr(path, "unsupported extension %q for an integer matrix (want .npy or .ivecs)", ext)
	}
}
