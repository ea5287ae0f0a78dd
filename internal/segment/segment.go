package segment

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/jsonfile"
	"github.com/needlevdb/needle/internal/pointid"
)

// FormatVersion is the version of the segment layout written by this package.
const FormatVersion = 1

const (
	metaFile     = "meta.json"
	idsFile      = "ids.bin"
	versionsFile = "versions.bin"
	payloadIdx   = "payload.idx"
	payloadDat   = "payload.dat"
	idSize       = 17 // 1 tag byte + 16 bytes (u64 little-endian, or UUID)
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CorruptionError reports a segment file that does not match its description.
type CorruptionError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptionError) Error() string {
	return fmt.Sprintf("segment file %s: offset %d: %s", e.File, e.Offset, e.Reason)
}

// Meta is the content of meta.json.
type Meta struct {
	Format  int                   `json:"format"`
	Count   int                   `json:"count"`
	Vectors map[string]VectorMeta `json:"vectors"`
	Sparse  map[string]SparseMeta `json:"sparse,omitempty"`
	Files   map[string]FileMeta   `json:"files"`
}

// SparseMeta describes one sparse vector column: an offset table (u64 per slot, plus one) into a
// file of (u32 index, f32 value) pairs. An empty range means the slot has no such vector, unless
// the slot's bit is set in EmptyFile: a vector without entries (Qdrant accepts and returns them).
// Builds before EmptyFile ignore it and read such vectors as absent.
type SparseMeta struct {
	IdxFile   string `json:"idx_file"`
	DataFile  string `json:"data_file"`
	EmptyFile string `json:"empty_file,omitempty"` // bitmap of slots whose vector has no entries; none if unset
}

// VectorMeta describes one vector column.
type VectorMeta struct {
	Dim     int    `json:"dim"`
	File    string `json:"file"`
	HasFile string `json:"has_file,omitempty"` // bitmap of slots carrying this vector; empty: all
}

// FileMeta is a file's size and CRC32C.
type FileMeta struct {
	Size  int64  `json:"size"`
	CRC32 uint32 `json:"crc32c"`
}

// Source is what Write needs: count points, each with an id, a version, an optional JSON payload
// and per vector name an optional vector.
type Source struct {
	Count   int
	ID      func(i int) pointid.ID
	Version func(i int) uint64
	Payload func(i int) []byte // JSON object or nil
	Dims    map[string]int
	Vector  func(name string, i int) []float32 // nil when point i has no such vector
	// SparseNames lists the sparse vector names; Sparse returns point i's vector, ok false when
	// the point has none (a vector may be present without entries).
	SparseNames []string
	Sparse      func(name string, i int) (indices []uint32, values []float32, ok bool)
}

// Segment is an opened sealed segment.
type Segment struct {
	Dir      string
	Meta     Meta
	IDs      []pointid.ID
	Versions []uint64
	vectors  map[string][]float32
	has      map[string][]uint64
	sparseIx map[string][]byte
	sparseDt map[string][]byte
	// sparseEmpty marks, per sparse name, the slots whose vector is present without entries.
	sparseEmpty map[string][]uint64
	payIdx      []byte
	payDat      []byte
	maps        [][]byte
}

// Vectors returns the slot-major float32 data of a vector name (nil if unknown). The slice aliases
// a read-only memory map: writing to it crashes the process.
func (s *Segment) Vectors(name string) []float32 { return s.vectors[name] }

// Has reports whether slot carries the named vector.
func (s *Segment) Has(name string, slot uint32) bool {
	h, ok := s.has[name]
	if !ok {
		_, known := s.vectors[name]
		return known
	}
	return bitSet(h, slot)
}

// Sparse returns slot's sparse vector of a name, ok false if it has none; a vector without
// entries is present with empty slices. The slices are copies.
func (s *Segment) Sparse(name string, slot uint32) (indices []uint32, values []float32, ok bool) {
	ix, known := s.sparseIx[name]
	if !known {
		return nil, nil, false
	}
	lo := binary.LittleEndian.Uint64(ix[8*slot:])
	hi := binary.LittleEndian.Uint64(ix[8*slot+8:])
	if lo == hi {
		return []uint32{}, []float32{}, bitSet(s.sparseEmpty[name], slot)
	}
	data := s.sparseDt[name][lo:hi]
	n := len(data) / 8
	idx, val := make([]uint32, n), make([]float32, n)
	for i := 0; i < n; i++ {
		idx[i] = binary.LittleEndian.Uint32(data[8*i:])
		val[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[8*i+4:]))
	}
	return idx, val, true
}

// bitSet reports whether bit i of a bitmap of little-endian words is set (false beyond it).
func bitSet(words []uint64, i uint32) bool {
	return int(i>>6) < len(words) && words[i>>6]&(1<<(i&63)) != 0
}

// PayloadJSON returns slot's payload as JSON (nil if none). It aliases the memory map.
func (s *Segment) PayloadJSON(slot uint32) []byte {
	lo := binary.LittleEndian.Uint64(s.payIdx[8*slot:])
	hi := binary.LittleEndian.Uint64(s.payIdx[8*slot+8:])
	if lo == hi {
		return nil
	}
	return s.payDat[lo:hi]
}

// Write writes src as a segment at dir (which must not exist) atomically and durably.
func Write(dir string, src *Source) (Meta, error) {
	parent := filepath.Dir(dir)
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return Meta{}, fmt.Errorf("segment temp dir: %w", err)
	}
	meta, err := writeFiles(tmp, src)
	if err != nil {
		os.RemoveAll(tmp)
		return Meta{}, err
	}
	if err := fsx.SyncDir(tmp); err != nil {
		os.RemoveAll(tmp)
		return Meta{}, err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.RemoveAll(tmp)
		return Meta{}, fmt.Errorf("publish segment: %w", err)
	}
	return meta, fsx.SyncDir(parent)
}

func writeFiles(dir string, src *Source) (Meta, error) {
	meta := Meta{Format: FormatVersion, Count: src.Count, Vectors: map[string]VectorMeta{}, Files: map[string]FileMeta{}}
	put := func(name string, fill func(w io.Writer) error) error {
		fm, err := writeFile(filepath.Join(dir, name), fill)
		if err != nil {
			return err
		}
		meta.Files[name] = fm
		return nil
	}
	n := src.Count
	if err := put(idsFile, func(w io.Writer) error {
		buf := make([]byte, idSize)
		for i := 0; i < n; i++ {
			clear(buf)
			id := src.ID(i)
			if id.IsUUID() {
				buf[0] = 1
				b := id.Bytes()
				copy(buf[1:], b[:])
			} else {
				binary.LittleEndian.PutUint64(buf[1:], id.Uint64())
			}
			if _, err := w.Write(buf); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return meta, err
	}
	if err := put(versionsFile, func(w io.Writer) error {
		var b [8]byte
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint64(b[:], src.Version(i))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return meta, err
	}
	var offsets []uint64
	if err := put(payloadDat, func(w io.Writer) error {
		offsets = make([]uint64, 0, n+1)
		var off uint64
		for i := 0; i < n; i++ {
			offsets = append(offsets, off)
			p := src.Payload(i)
			if _, err := w.Write(p); err != nil {
				return err
			}
			off += uint64(len(p))
		}
		offsets = append(offsets, off)
		return nil
	}); err != nil {
		return meta, err
	}
	if err := put(payloadIdx, func(w io.Writer) error {
		b := make([]byte, 8*len(offsets))
		for i, o := range offsets {
			binary.LittleEndian.PutUint64(b[8*i:], o)
		}
		_, err := w.Write(b)
		return err
	}); err != nil {
		return meta, err
	}
	col := 0
	for _, name := range sortedNames(src.Dims) {
		dim := src.Dims[name]
		vm := VectorMeta{Dim: dim, File: fmt.Sprintf("vec-%d.f32", col)}
		has := make([]uint64, (n+63)/64)
		all := true
		zero := make([]float32, dim)
		if err := put(vm.File, func(w io.Writer) error {
			for i := 0; i < n; i++ {
				v := src.Vector(name, i)
				if v == nil {
					all = false
					v = zero
				} else {
					has[i>>6] |= 1 << (i & 63)
				}
				if _, err := w.Write(floatBytes(v)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return meta, err
		}
		if !all {
			vm.HasFile = fmt.Sprintf("has-%d.bits", col)
			if err := put(vm.HasFile, func(w io.Writer) error { _, err := w.Write(u64Bytes(has)); return err }); err != nil {
				return meta, err
			}
		}
		meta.Vectors[name] = vm
		col++
	}
	for i, name := range src.SparseNames {
		if meta.Sparse == nil {
			meta.Sparse = map[string]SparseMeta{}
		}
		sm := SparseMeta{IdxFile: fmt.Sprintf("sparse-%d.idx", i), DataFile: fmt.Sprintf("sparse-%d.dat", i)}
		offs := make([]uint64, 0, n+1)
		empty, anyEmpty := make([]uint64, (n+63)/64), false
		if err := put(sm.DataFile, func(w io.Writer) error {
			var off uint64
			var b [8]byte
			for j := 0; j < n; j++ {
				offs = append(offs, off)
				idx, val, ok := src.Sparse(name, j)
				if ok && len(idx) == 0 {
					empty[j>>6] |= 1 << (j & 63)
					anyEmpty = true
				}
				for k := range idx {
					binary.LittleEndian.PutUint32(b[:4], idx[k])
					binary.LittleEndian.PutUint32(b[4:], math.Float32bits(val[k]))
					if _, err := w.Write(b[:]); err != nil {
						return err
					}
				}
				off += uint64(8 * len(idx))
			}
			offs = append(offs, off)
			return nil
		}); err != nil {
			return meta, err
		}
		if err := put(sm.IdxFile, func(w io.Writer) error {
			b := make([]byte, 8*len(offs))
			for k, o := range offs {
				binary.LittleEndian.PutUint64(b[8*k:], o)
			}
			_, err := w.Write(b)
			return err
		}); err != nil {
			return meta, err
		}
		if anyEmpty {
			sm.EmptyFile = fmt.Sprintf("sparse-%d.empty", i)
			if err := put(sm.EmptyFile, func(w io.Writer) error { _, err := w.Write(u64Bytes(empty)); return err }); err != nil {
				return meta, err
			}
		}
		meta.Sparse[name] = sm
	}
	raw, err := jsonfile.Marshal(meta)
	if err != nil {
		return meta, err
	}
	if _, err := writeFile(filepath.Join(dir, metaFile), func(w io.Writer) error { _, err := w.Write(raw); return err }); err != nil {
		return meta, err
	}
	return meta, nil
}

// writeFile creates path, streams fill into it through a buffer while computing its CRC32C, and fsyncs it.
func writeFile(path string, fill func(w io.Writer) error) (FileMeta, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return FileMeta{}, fmt.Errorf("create %s: %w", path, err)
	}
	cw := &crcWriter{w: f, buf: make([]byte, 0, 1<<20)}
	err = fill(cw)
	if err == nil {
		err = cw.flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileMeta{}, fmt.Errorf("write %s: %w", path, err)
	}
	return FileMeta{Size: cw.n, CRC32: cw.crc}, nil
}

type crcWriter struct {
	w   io.Writer
	buf []byte
	crc uint32
	n   int64
}

func (c *crcWriter) Write(p []byte) (int, error) {
	c.crc = crc32.Update(c.crc, castagnoli, p)
	c.n += int64(len(p))
	if len(c.buf)+len(p) > cap(c.buf) {
		if err := c.flush(); err != nil {
			return 0, err
		}
		if len(p) > cap(c.buf) {
			_, err := c.w.Write(p)
			return len(p), err
		}
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *crcWriter) flush() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.w.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// ReadMeta reads and checks a segment's meta.json.
func ReadMeta(dir string) (Meta, error) {
	var meta Meta
	path := filepath.Join(dir, metaFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		return meta, fmt.Errorf("read segment meta: %w", err)
	}
	if err := jsonfile.Unmarshal(raw, &meta, path); err != nil {
		return meta, &CorruptionError{File: path, Reason: err.Error()}
	}
	if meta.Format != FormatVersion {
		return meta, &CorruptionError{File: path, Reason: fmt.Sprintf("unsupported segment format %d (this build reads %d)", meta.Format, FormatVersion)}
	}
	if meta.Count < 0 || meta.Count > 1<<32-1 {
		return meta, &CorruptionError{File: path, Reason: fmt.Sprintf("count %d out of range", meta.Count)}
	}
	for _, vm := range meta.Vectors {
		if vm.Dim < 1 || vm.Dim > 65536 {
			return meta, &CorruptionError{File: path, Reason: fmt.Sprintf("vector dim %d out of range", vm.Dim)}
		}
	}
	return meta, nil
}

// Open opens the segment at dir: ids and versions are read, vectors and payloads mapped. With
// verify, every file's CRC32C is checked first (read through the page cache, not mapped, so it
// does not count towards the process's resident memory).
func Open(dir string, verify bool) (*Segment, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	if verify {
		if err := verifyFiles(dir, meta); err != nil {
			return nil, err
		}
	}
	s := &Segment{Dir: dir, Meta: meta, vectors: map[string][]float32{}, has: map[string][]uint64{},
		sparseIx: map[string][]byte{}, sparseDt: map[string][]byte{}, sparseEmpty: map[string][]uint64{}}
	ok := false
	defer func() {
		if !ok {
			s.Close()
		}
	}()
	n := meta.Count
	// ids and versions are decoded into Go memory; read them (instead of mapping) so no mapped
	// pages stay resident after decoding.
	ids, err := s.readFile(idsFile, int64(n)*idSize)
	if err != nil {
		return nil, err
	}
	s.IDs = make([]pointid.ID, n)
	for i := range s.IDs {
		b := ids[i*idSize : (i+1)*idSize]
		switch b[0] {
		case 0:
			s.IDs[i] = pointid.Num(binary.LittleEndian.Uint64(b[1:9]))
		case 1:
			var u [16]byte
			copy(u[:], b[1:])
			s.IDs[i] = pointid.UUID(u)
		default:
			return nil, &CorruptionError{File: filepath.Join(dir, idsFile), Offset: int64(i * idSize), Reason: "bad id tag"}
		}
	}
	vers, err := s.readFile(versionsFile, int64(n)*8)
	if err != nil {
		return nil, err
	}
	s.Versions = make([]uint64, n)
	for i := range s.Versions {
		s.Versions[i] = binary.LittleEndian.Uint64(vers[8*i:])
	}
	if s.payIdx, err = s.mapFile(payloadIdx, int64(n+1)*8); err != nil {
		return nil, err
	}
	end := binary.LittleEndian.Uint64(s.payIdx[8*n:])
	if s.payDat, err = s.mapFile(payloadDat, int64(end)); err != nil {
		return nil, err
	}
	prev := uint64(0)
	for i := 0; i <= n; i++ {
		o := binary.LittleEndian.Uint64(s.payIdx[8*i:])
		if o < prev || o > end {
			return nil, &CorruptionError{File: filepath.Join(dir, payloadIdx), Offset: int64(8 * i), Reason: "payload offsets out of order"}
		}
		prev = o
	}
	for name, vm := range meta.Vectors {
		b, err := s.mapFile(vm.File, int64(n)*int64(vm.Dim)*4)
		if err != nil {
			return nil, err
		}
		s.vectors[name] = bytesAsFloats(b)
		if vm.HasFile != "" {
			hb, err := s.mapFile(vm.HasFile, int64((n+63)/64)*8)
			if err != nil {
				return nil, err
			}
			s.has[name] = bytesAsU64(hb)
		}
	}
	for name, sm := range meta.Sparse {
		ix, err := s.mapFile(sm.IdxFile, int64(n+1)*8)
		if err != nil {
			return nil, err
		}
		end := binary.LittleEndian.Uint64(ix[8*n:])
		dt, err := s.mapFile(sm.DataFile, int64(end))
		if err != nil {
			return nil, err
		}
		prev := uint64(0)
		for i := 0; i <= n; i++ {
			o := binary.LittleEndian.Uint64(ix[8*i:])
			if o < prev || o > end || o%8 != 0 {
				return nil, &CorruptionError{File: filepath.Join(dir, sm.IdxFile), Offset: int64(8 * i), Reason: "sparse offsets out of order"}
			}
			prev = o
		}
		s.sparseIx[name], s.sparseDt[name] = ix, dt
		if sm.EmptyFile != "" {
			eb, err := s.mapFile(sm.EmptyFile, int64((n+63)/64)*8)
			if err != nil {
				return nil, err
			}
			s.sparseEmpty[name] = bytesAsU64(eb)
		}
	}
	ok = true
	return s, nil
}

// readFile reads a whole file after checking that its size is exactly want.
func (s *Segment) readFile(name string, want int64) ([]byte, error) {
	path := filepath.Join(s.Dir, name)
	if fm, ok := s.Meta.Files[name]; !ok || fm.Size != want {
		return nil, &CorruptionError{File: path, Reason: fmt.Sprintf("meta.json does not describe a file of %d bytes", want)}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read segment file: %w", err)
	}
	if int64(len(b)) != want {
		return nil, &CorruptionError{File: path, Offset: int64(len(b)), Reason: fmt.Sprintf("file is %d bytes, expected %d", len(b), want)}
	}
	return b, nil
}

// mapFile maps a file read-only after checking that its size is exactly want.
func (s *Segment) mapFile(name string, want int64) ([]byte, error) {
	path := filepath.Join(s.Dir, name)
	if fm, ok := s.Meta.Files[name]; !ok || fm.Size != want {
		return nil, &CorruptionError{File: path, Reason: fmt.Sprintf("meta.json does not describe a file of %d bytes", want)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("stat segment file: %w", err)
	}
	if st.Size() != want {
		return nil, &CorruptionError{File: path, Offset: st.Size(), Reason: fmt.Sprintf("file is %d bytes, expected %d", st.Size(), want)}
	}
	if want == 0 {
		return []byte{}, nil
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(want), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", path, err)
	}
	s.maps = append(s.maps, b)
	return b, nil
}

// Close unmaps the segment's files.
func (s *Segment) Close() error {
	var first error
	for _, b := range s.maps {
		if err := unix.Munmap(b); err != nil && first == nil {
			first = err
		}
	}
	s.maps = nil
	return first
}

// Verify reads every file of the segment at dir and checks sizes and CRC32C against meta.json.
func Verify(dir string) error {
	s, err := Open(dir, true)
	if err != nil {
		return err
	}
	return s.Close()
}

func verifyFiles(dir string, meta Meta) error {
	for name, fm := range meta.Files {
		path := filepath.Join(dir, name)
		crc, size, err := fileCRC(path)
		if err != nil {
			return err
		}
		if size != fm.Size {
			return &CorruptionError{File: path, Offset: size, Reason: fmt.Sprintf("file is %d bytes, meta.json says %d", size, fm.Size)}
		}
		if crc != fm.CRC32 {
			return &CorruptionError{File: path, Reason: "checksum mismatch"}
		}
	}
	return nil
}

// FileCRC returns the CRC32C and size of a file.
func fileCRC(path string) (uint32, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	buf := make([]byte, 4<<20)
	var crc uint32
	var n int64
	for {
		m, err := f.Read(buf)
		crc = crc32.Update(crc, castagnoli, buf[:m])
		n += int64(m)
		if err == io.EOF {
			return crc, n, nil
		}
		if err != nil {
			return 0, 0, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// IsCorruption reports whether err is a *CorruptionError.
func IsCorruption(err error) bool {
	var ce *CorruptionError
	return errors.As(err, &ce)
}

func floatBytes(v []float32) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 4*len(v))
}

func u64Bytes(v []uint64) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 8*len(v))
}

func bytesAsFloats(b []byte) []float32 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), len(b)/4)
}

func bytesAsU64(b []byte) []uint64 {
	if len(b) == 0 {
		return nil
	}
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8)
}

func sortedNames(m map[string]int) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
