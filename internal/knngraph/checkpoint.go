package knngraph

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"reflect"
)

// The checkpoint file format is specified in docs/format/knngraph-checkpoint.md.
const (
	ckptMagic   = "NDLKNNG1"
	ckptVersion = 1
)

// ckptHeader is the JSON header of a checkpoint. Fields tagged `job` identify the job: a resume
// refuses a checkpoint whose job fields differ from the new run's.
type ckptHeader struct {
	N           int         `json:"n"`
	K           int         `json:"k"`
	Block       int         `json:"block"`
	Metric      Metric      `json:"metric"`
	ExcludeSelf bool        `json:"exclude_self"`
	MaxDist     *float32    `json:"max_dist"`
	Inputs      []ckptInput `json:"inputs"`
	Format      string      `json:"format"`
	Kernels     string      `json:"kernels"`
	IDsCRC      uint32      `json:"ids_crc32c"`
	NextRow     int         `json:"next_row"`
	TSVBytes    int64       `json:"tsv_bytes"`
}

type ckptInput struct {
	Path   string  `json:"path"`
	Rows   int     `json:"rows"`
	Cols   int     `json:"cols"`
	Weight float64 `json:"weight"`
	CRC    uint32  `json:"crc32c"`
}

// sameJob returns "" if a and b describe the same job, or the name of the first field that differs.
func (a ckptHeader) sameJob(b ckptHeader) string {
	a.NextRow, a.TSVBytes, b.NextRow, b.TSVBytes = 0, 0, 0, 0
	if len(a.Inputs) != len(b.Inputs) {
		return "inputs"
	}
	for i := range a.Inputs {
		a.Inputs[i].Path, b.Inputs[i].Path = "", ""
	}
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	for i := range va.NumField() {
		if !reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			return va.Type().Field(i).Tag.Get("json")
		}
	}
	return ""
}

// CorruptCheckpointError reports a checkpoint file that fails a format or checksum check.
type CorruptCheckpointError struct {
	Path string
	Msg  string
}

func (e *CorruptCheckpointError) Error() string {
	return "checkpoint " + e.Path + " is unusable: " + e.Msg + " (delete it to start over)"
}

// writeCheckpoint writes hdr and the state of every row to path atomically.
func writeCheckpoint(path string, hdr ckptHeader, h *heaps) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("write checkpoint: %w", err)
	}
	defer os.Remove(tmp) // after a successful rename this fails harmlessly
	crc := crc32.New(castagnoli)
	w := bufio.NewWriterSize(io.MultiWriter(f, crc), 1<<20)
	err = writeCkptBody(w, hdr, h)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = f.Write(binary.LittleEndian.AppendUint32(nil, crc.Sum32()))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		return fmt.Errorf("write checkpoint %s: %w", path, err)
	}
	return nil
}

func writeCkptBody(w *bufio.Writer, hdr ckptHeader, h *heaps) error {
	js, err := json.Marshal(hdr)
	if err != nil {
		return err
	}
	var pre [16]byte
	copy(pre[:], ckptMagic)
	binary.LittleEndian.PutUint32(pre[8:], ckptVersion)
	binary.LittleEndian.PutUint32(pre[12:], uint32(len(js)))
	w.Write(pre[:])
	w.Write(js)
	rec := make([]byte, 4+8*h.k)
	for r := range h.count {
		clear(rec)
		binary.LittleEndian.PutUint32(rec, uint32(h.count[r]))
		for i, key := range h.row(r) {
			binary.LittleEndian.PutUint32(rec[4+8*i:], keySlot(key))
			binary.LittleEndian.PutUint32(rec[8+8*i:], math.Float32bits(keyDist(key)))
		}
		if _, err := w.Write(rec); err != nil {
			return err
		}
	}
	return nil
}

// readCkptHeader reads only the header of the checkpoint at path; it returns an error wrapping
// os.ErrNotExist if there is none.
func readCkptHeader(path string) (ckptHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return ckptHeader{}, err
	}
	defer f.Close()
	hdr, _, err := readCkptPrefix(bufio.NewReader(f), path, nil)
	return hdr, err
}

func readCkptPrefix(r io.Reader, path string, crc hash.Hash32) (ckptHeader, int64, error) {
	var hdr ckptHeader
	if crc != nil {
		r = io.TeeReader(r, crc)
	}
	var pre [16]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return hdr, 0, &CorruptCheckpointError{path, "shorter than its 16-byte preamble"}
	}
	if string(pre[:8]) != ckptMagic {
		return hdr, 0, &CorruptCheckpointError{path, fmt.Sprintf("bad magic %q", pre[:8])}
	}
	if v := binary.LittleEndian.Uint32(pre[8:]); v != ckptVersion {
		return hdr, 0, &CorruptCheckpointError{path, fmt.Sprintf("version %d, this build reads version %d", v, ckptVersion)}
	}
	hlen := binary.LittleEndian.Uint32(pre[12:])
	if hlen > 64<<20 {
		return hdr, 0, &CorruptCheckpointError{path, fmt.Sprintf("header length %d is implausible", hlen)}
	}
	js := make([]byte, hlen)
	if _, err := io.ReadFull(r, js); err != nil {
		return hdr, 0, &CorruptCheckpointError{path, "truncated header"}
	}
	if err := json.Unmarshal(js, &hdr); err != nil {
		return hdr, 0, &CorruptCheckpointError{path, "bad header: " + err.Error()}
	}
	if hdr.N < 1 || hdr.K < 1 || hdr.NextRow < 0 || hdr.NextRow > hdr.N {
		return hdr, 0, &CorruptCheckpointError{path, "header out of range"}
	}
	return hdr, 16 + int64(hlen), nil
}

// readCheckpoint loads the rows of the checkpoint at path into h (which must have the header's
// shape) after checking the file's length and checksum.
func readCheckpoint(path string, h *heaps) (ckptHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return ckptHeader{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ckptHeader{}, err
	}
	crc := crc32.New(castagnoli)
	br := bufio.NewReaderSize(f, 1<<20)
	hdr, off, err := readCkptPrefix(br, path, crc)
	if err != nil {
		return hdr, err
	}
	n, k := len(h.count), h.k
	if hdr.N != n || hdr.K != k {
		return hdr, fmt.Errorf("BUG: checkpoint shape %dx%d read into %dx%d heaps", hdr.N, hdr.K, n, k)
	}
	recLen := int64(4 + 8*k)
	if want := off + int64(n)*recLen + 4; st.Size() != want {
		return hdr, &CorruptCheckpointError{path, fmt.Sprintf("size %d, want %d (torn write?)", st.Size(), want)}
	}
	r := io.TeeReader(br, crc)
	rec := make([]byte, recLen)
	for row := range n {
		if _, err := io.ReadFull(r, rec); err != nil {
			return hdr, fmt.Errorf("read checkpoint %s: %w", path, err)
		}
		c := binary.LittleEndian.Uint32(rec)
		if c > uint32(k) {
			return hdr, &CorruptCheckpointError{path, fmt.Sprintf("row %d holds %d items, more than k=%d", row, c, k)}
		}
		h.count[row] = int32(c)
		keys := h.keys[row*k : (row+1)*k]
		for i := range keys {
			keys[i] = key(math.Float32frombits(binary.LittleEndian.Uint32(rec[8+8*i:])), binary.LittleEndian.Uint32(rec[4+8*i:]))
		}
		h.restoreBound(row)
	}
	var sum [4]byte
	if _, err := io.ReadFull(br, sum[:]); err != nil {
		return hdr, &CorruptCheckpointError{path, "missing checksum"}
	}
	if binary.LittleEndian.Uint32(sum[:]) != crc.Sum32() {
		return hdr, &CorruptCheckpointError{path, "checksum mismatch"}
	}
	return hdr, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, os.ErrInvalid) { // some filesystems cannot sync a directory
		err = nil
	}
	return err
}
