package corruption

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

func TestError(t *testing.T) {
	kind := errors.New("fmt: corrupt data")
	err := At(kind, 42, "bad %s", "magic")
	var e *Error
	if !errors.Is(err, kind) || !errors.As(err, &e) || e.Offset != 42 {
		t.Fatalf("err %v does not wrap its kind or carry its offset", err)
	}
	if got, want := err.Error(), "fmt: corrupt data at offset 42: bad magic"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}

func TestCheckHeader(t *testing.T) {
	kind := errors.New("fmt: corrupt data")
	magic := [8]byte{'T', 'E', 'S', 'T', 0, 0, 0, 1}
	good := make([]byte, 32)
	copy(good, magic[:])
	good[9] = 7
	binary.LittleEndian.PutUint32(good[28:], crc32.Checksum(good[:28], Castagnoli))
	if err := CheckHeader(kind, good, magic, 32, 28); err != nil {
		t.Fatalf("a valid header: %v", err)
	}
	flipped := bytes.Clone(good)
	flipped[9] ^= 1
	badMagic := bytes.Clone(good)
	badMagic[0] = 'X'
	for _, c := range []struct {
		name string
		data []byte
		off  int64
	}{{"short", good[:31], 0}, {"magic", badMagic, 0}, {"checksum", flipped, 28}} {
		var e *Error
		err := CheckHeader(kind, c.data, magic, 32, 28)
		if !errors.Is(err, kind) || !errors.As(err, &e) || e.Offset != c.off {
			t.Errorf("%s: err %v, want kind %v at offset %d", c.name, err, kind, c.off)
		}
	}
}
