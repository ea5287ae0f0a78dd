package bench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
)

// The TEXMEX formats (http://corpus-texmex.irisa.fr/): each row is a
// little-endian int32 dimension d followed by d values: float32 (.fvecs),
// int32 (.ivecs) or uint8 (.bvecs). There is no file header; the row count
// is the file size divided by the row size.

func readFvecs(path string) (*Matrix, error) {
	rows, cols, data, err := readVecs(path, 4, putLittle4[float32])
	if err != nil {
		return nil, err
	}
	return &Matrix{Rows: rows, Cols: cols, Data: data}, nil
}

func readBvecs(path string) (*Matrix, error) {
	rows, cols, data, err := readVecs(path, 1, func(row []float32, payload []byte) {
		for i, b := range payload[:len(row)] {
			row[i] = float32(b)
		}
	})
	if err != nil {
		return nil, err
	}
	return &Matrix{Rows: rows, Cols: cols, Data: data}, nil
}

func readIvecs(path string) (*IntMatrix, error) {
	rows, cols, data, err := readVecs(path, 4, putLittle4[int32])
	if err != nil {
		return nil, err
	}
	return &IntMatrix{Rows: rows, Cols: cols, Data: data}, nil
}

// readVecs reads a TEXMEX file whose values are elem bytes wide into a
// row-major rows×cols slice, put decoding each row from its value bytes.
func readVecs[T float32 | int32](path string, elem int, put func(row []T, payload []byte)) (rows, cols int, data []T, err error) {
	err = scanVecs(path, elem, func(r, c int) {
		rows, cols, data = r, c, make([]T, r*c)
	}, func(r int, payload []byte) {
		put(data[r*cols:(r+1)*cols], payload)
	})
	return rows, cols, data, err
}

// putLittle4 stores a row of little-endian 4-byte values.
func putLittle4[T float32 | int32](row []T, payload []byte) {
	b := byteView(row)
	copy(b, payload)
	toNative4(b)
}

// scanVecs reads a TEXMEX file whose values are elem bytes wide. It calls
// alloc once with the shape, then put for every row with the row's value
// bytes, in order. An empty file is a 0x0 matrix.
func scanVecs(path string, elem int, alloc func(rows, cols int), put func(r int, payload []byte)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("bench: stat %s: %w", path, err)
	}
	size := st.Size()
	if size == 0 {
		alloc(0, 0)
		return nil
	}
	var hdr [4]byte
	if _, err := io.ReadFull(f, hdr[:]); err != nil {
		return formatErr(path, "truncated: shorter than one row header")
	}
	d := int64(int32(binary.LittleEndian.Uint32(hdr[:])))
	if d <= 0 || d > 1<<24 {
		return formatErr(path, "first row header says dimension %d; want 1..%d", d, 1<<24)
	}
	rowBytes := 4 + d*int64(elem)
	if size%rowBytes != 0 {
		return formatErr(path, "truncated or mixed dimensions: size %d is not a multiple of the row size %d (dimension %d); %d whole rows then %d stray bytes",
			size, rowBytes, d, size/rowBytes, size%rowBytes)
	}
	rows := size / rowBytes
	if rows*d > math.MaxInt { // rows*d <= size, so no int64 overflow
		return formatErr(path, "%d rows of dimension %d is too large", rows, d)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("bench: seek %s: %w", path, err)
	}
	alloc(int(rows), int(d))
	perChunk := max(1, (4<<20)/rowBytes)
	buf := make([]byte, min(perChunk, rows)*rowBytes)
	for r := int64(0); r < rows; {
		n := min(perChunk, rows-r)
		b := buf[:n*rowBytes]
		if _, err := io.ReadFull(f, b); err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
				return formatErr(path, "truncated while reading row %d (file shrank?)", r)
			}
			return fmt.Errorf("bench: read %s: %w", path, err)
		}
		for i := int64(0); i < n; i++ {
			row := b[i*rowBytes : (i+1)*rowBytes]
			if got := int64(int32(binary.LittleEndian.Uint32(row))); got != d {
				return formatErr(path, "row %d has dimension %d, want %d like row 0 (at byte offset %d)",
					r+i, got, d, (r+i)*rowBytes)
			}
			put(int(r+i), row[4:])
		}
		r += n
	}
	return nil
}
