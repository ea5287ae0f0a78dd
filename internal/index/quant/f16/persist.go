package f16

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"unsafe"

	"github.com/needlevdb/needle/internal/corruption"
	"github.com/needlevdb/needle/internal/index/flat"
)

// File layout (docs/format/f16.md): header[32] then dim*slots u16, little-endian.
//
//	magic[8] version:u32 dim:u32 slots:u64 metric:u8 reserved[3] crc:u32
//
// crc is the CRC-32C of the header's first 28 bytes and the data.
const (
	version    = 1
	headerSize = 32
	maxDim     = 1 << 16
)

var (
	magic      = [8]byte{'N', 'D', 'L', 'F', '1', '6', 0, 0}
	castagnoli = corruption.Castagnoli
	// ErrCorrupt is wrapped by every error Read returns for bad input.
	ErrCorrupt = errors.New("f16: corrupt codes file")
)

// WriteTo writes the codes in the format Read reads.
func (c *Codes) WriteTo(w io.Writer) (int64, error) {
	var h [headerSize]byte
	copy(h[:], magic[:])
	le := binary.LittleEndian
	le.PutUint32(h[8:], version)
	le.PutUint32(h[12:], uint32(c.dim))
	le.PutUint64(h[16:], uint64(c.Len()))
	h[24] = byte(c.metric)
	data := u16Bytes(c.data)
	crc := crc32.Update(crc32.Checksum(h[:28], castagnoli), castagnoli, data)
	le.PutUint32(h[28:], crc)
	n, err := w.Write(h[:])
	if err != nil {
		return int64(n), err
	}
	m, err := w.Write(data)
	return int64(n + m), err
}

// Read reads codes written by WriteTo, checking the checksum before returning.
func Read(r io.Reader) (*Codes, error) {
	var h [headerSize]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	le := binary.LittleEndian
	switch {
	case [8]byte(h[:8]) != magic:
		return nil, fmt.Errorf("%w: bad magic", ErrCorrupt)
	case le.Uint32(h[8:]) != version:
		return nil, fmt.Errorf("%w: version %d not supported", ErrCorrupt, le.Uint32(h[8:]))
	}
	dim, slots, metric := int(le.Uint32(h[12:])), le.Uint64(h[16:]), flat.Metric(h[24])
	if dim < 1 || dim > maxDim || slots > 1<<32 || (metric != flat.L2 && metric != flat.InnerProduct) {
		return nil, fmt.Errorf("%w: dim %d, slots %d, metric %d", ErrCorrupt, dim, slots, metric)
	}
	// Read in bounded chunks, decoding as it goes: a forged slot count cannot allocate more than
	// the input holds, and the file's bytes are never held twice.
	want := 2 * uint64(dim) * slots
	crc := crc32.Checksum(h[:28], castagnoli)
	data := make([]uint16, 0, min(want/2, 1<<20))
	buf := make([]byte, 1<<20)
	for got := uint64(0); got < want; {
		k := min(uint64(len(buf)), want-got)
		if _, err := io.ReadFull(r, buf[:k]); err != nil {
			return nil, fmt.Errorf("%w: data: %v", ErrCorrupt, err)
		}
		crc = crc32.Update(crc, castagnoli, buf[:k])
		for i := uint64(0); i < k; i += 2 {
			data = append(data, le.Uint16(buf[i:]))
		}
		got += k
	}
	if crc != le.Uint32(h[28:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	if n, _ := r.Read(buf[:1]); n != 0 {
		return nil, fmt.Errorf("%w: bytes after the data", ErrCorrupt)
	}
	c := &Codes{dim: dim, metric: metric, data: data}
	return c, nil
}

func u16Bytes(v []uint16) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), 2*len(v))
}
