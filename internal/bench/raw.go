package bench

import (
	"encoding/binary"
	"errors"
	"io"
	"math/bits"
	"unsafe"
)

// hostLittle reports whether this machine stores integers little-endian,
// the byte order of every dataset format this package reads. On such hosts
// 4-byte data is read and written in place without per-element work.
var hostLittle = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// chunkBytes is the buffer size for reads that convert element by element.
const chunkBytes = 1 << 20

var errOutOfRange = errors.New("value out of range")

// byteView returns the memory of s as a byte slice.
func byteView[T float32 | int32 | int64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}

// readRaw fills dst with little-endian 4-byte values from r, reading
// straight into dst's memory.
func readRaw[T float32 | int32](r io.Reader, dst []T) error {
	b := byteView(dst)
	if _, err := io.ReadFull(r, b); err != nil {
		return err
	}
	toNative4(b)
	return nil
}

// toNative4 turns little-endian 4-byte values in b into this machine's
// byte order, in place.
func toNative4(b []byte) {
	if hostLittle {
		return
	}
	for i := 0; i+4 <= len(b); i += 4 {
		v := bits.ReverseBytes32(binary.NativeEndian.Uint32(b[i:]))
		binary.NativeEndian.PutUint32(b[i:], v)
	}
}

// readConverted fills dst from r, where each element is stored in item
// bytes and conv decodes one; conv returning false aborts with
// errOutOfRange.
func readConverted[T any](r io.Reader, item int, dst []T, conv func([]byte) (T, bool)) error {
	buf := make([]byte, chunkBytes/item*item)
	for len(dst) > 0 {
		n := min(len(dst), len(buf)/item)
		b := buf[:n*item]
		if _, err := io.ReadFull(r, b); err != nil {
			return err
		}
		for i := range n {
			v, ok := conv(b[i*item : i*item+item])
			if !ok {
				return errOutOfRange
			}
			dst[i] = v
		}
		dst = dst[n:]
	}
	return nil
}

// writeRaw writes data to w as little-endian values.
func writeRaw[T float32 | int32 | int64](w io.Writer, data []T) error {
	if hostLittle {
		_, err := w.Write(byteView(data))
		return err
	}
	b := byteView(data)
	size := len(b) / max(len(data), 1)
	buf := make([]byte, 0, chunkBytes)
	for i := 0; i < len(b); i += size {
		for j := size - 1; j >= 0; j-- {
			buf = append(buf, b[i+j])
		}
		if len(buf) == cap(buf) {
			if _, err := w.Write(buf); err != nil {
				return err
			}
			buf = buf[:0]
		}
	}
	_, err := w.Write(buf)
	return err
}
