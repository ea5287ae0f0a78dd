package bench

import (
	"bytes"
	"encoding/binary"
	"slices"
	"testing"
)

// vecsBytes encodes rows in the TEXMEX layout: an int32 dimension, then the
// row's values little-endian.
func vecsBytes[T float32 | int32 | uint8](rows [][]T) []byte {
	var b bytes.Buffer
	for _, r := range rows {
		binary.Write(&b, binary.LittleEndian, int32(len(r)))
		binary.Write(&b, binary.LittleEndian, r)
	}
	return b.Bytes()
}

func TestFvecs(t *testing.T) {
	// Enough rows to span several read chunks.
	rows := make([][]float32, 20000)
	var want []float32
	for i := range rows {
		rows[i] = make([]float32, 64)
		for j := range rows[i] {
			rows[i][j] = float32(i)*0.25 - float32(j)
		}
		want = append(want, rows[i]...)
	}
	m, err := ReadMatrix(writeFile(t, "base.fvecs", vecsBytes(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != len(rows) || m.Cols != 64 || !slices.Equal(m.Data, want) {
		t.Fatalf("got %dx%d", m.Rows, m.Cols)
	}
	if !slices.Equal(m.Row(12345), rows[12345]) {
		t.Errorf("Row(12345) = %v", m.Row(12345))
	}
}

func TestBvecs(t *testing.T) {
	rows := [][]uint8{{0, 1, 255}, {9, 8, 7}}
	m, err := ReadMatrix(writeFile(t, "base.BVECS", vecsBytes(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 2 || m.Cols != 3 || !slices.Equal(m.Data, []float32{0, 1, 255, 9, 8, 7}) {
		t.Errorf("got %dx%d %v", m.Rows, m.Cols, m.Data)
	}
}

func TestIvecs(t *testing.T) {
	rows := [][]int32{{5, 3, 1, -1}, {0, 2, 4, 1 << 30}, {7, 7, 7, 7}}
	m, err := ReadIntMatrix(writeFile(t, "gt.ivecs", vecsBytes(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 3 || m.Cols != 4 || !slices.Equal(m.Row(1), rows[1]) || !slices.Equal(m.Row(2), rows[2]) {
		t.Errorf("got %dx%d %v", m.Rows, m.Cols, m.Data)
	}
}

func TestVecsEmpty(t *testing.T) {
	m, err := ReadMatrix(writeFile(t, "empty.fvecs", nil))
	if err != nil || m.Rows != 0 || m.Cols != 0 || len(m.Data) != 0 {
		t.Errorf("got %+v, %v", m, err)
	}
}

func TestVecsErrors(t *testing.T) {
	good := vecsBytes([][]float32{{1, 2, 3}, {4, 5, 6}})
	mixed := vecsBytes([][]float32{{1, 2, 3}, {4, 5}, {6, 7, 8, 9}})
	ivecs := vecsBytes([][]int32{{1, 2}, {3}})
	cases := []struct {
		name, file string
		data       []byte
		readInt    bool
		want       string
	}{
		{"truncated", "a.fvecs", good[:len(good)-2], false, "truncated or mixed dimensions: size 30 is not a multiple of the row size 16 (dimension 3); 1 whole rows then 14 stray bytes"},
		{"short", "b.fvecs", good[:2], false, "shorter than one row header"},
		{"zero dim", "c.fvecs", make([]byte, 8), false, "dimension 0"},
		{"negative dim", "d.bvecs", []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, false, "dimension -1"},
		{"mixed", "e.fvecs", mixed, false, "row 1 has dimension 2, want 3 like row 0 (at byte offset 16)"},
		{"ivecs truncated", "f.ivecs", ivecs, true, "not a multiple of the row size 12"},
		{"bvecs truncated", "g.bvecs", vecsBytes([][]uint8{{1, 2, 3}})[:6], false, "not a multiple of the row size 7"},
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
