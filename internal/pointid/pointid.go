// Package pointid defines the identifier of a point: an unsigned 64-bit integer or a UUID,
// exactly as Qdrant accepts them on the wire.
package pointid

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// ID identifies a point. The zero value is the integer id 0. IDs are comparable and can be map keys.
type ID struct {
	num    uint64
	uuid   [16]byte
	isUUID bool
}

// Num returns an integer ID.
func Num(n uint64) ID { return ID{num: n} }

// UUID returns a UUID ID from its 16 bytes.
func UUID(b [16]byte) ID { return ID{uuid: b, isUUID: true} }

// IsUUID reports whether the ID is a UUID (otherwise it is an integer).
func (id ID) IsUUID() bool { return id.isUUID }

// Uint64 returns the integer value; it is 0 for UUID IDs.
func (id ID) Uint64() uint64 { return id.num }

// Bytes returns the UUID bytes; all zero for integer IDs.
func (id ID) Bytes() [16]byte { return id.uuid }

// String formats the ID as Qdrant does: decimal for integers, hyphenated lower-case hex for UUIDs.
func (id ID) String() string {
	if !id.isUUID {
		return strconv.FormatUint(id.num, 10)
	}
	var buf [36]byte
	encodeUUID(buf[:], id.uuid)
	return string(buf[:])
}

// Less orders IDs as Qdrant's scroll does: all integer IDs before all UUIDs, each in natural order.
func (id ID) Less(o ID) bool {
	if id.isUUID != o.isUUID {
		return !id.isUUID
	}
	if !id.isUUID {
		return id.num < o.num
	}
	return bytes.Compare(id.uuid[:], o.uuid[:]) < 0
}

// ErrInvalid is returned (wrapped) for any value that is neither an unsigned integer nor a UUID.
var ErrInvalid = errors.New("point id must be an unsigned integer or a UUID string")

// Parse parses a UUID string (hyphenated, plain hex, braced or urn:uuid:) or a decimal integer string.
func Parse(s string) (ID, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return Num(n), nil
	}
	u, err := parseUUID(s)
	if err != nil {
		return ID{}, fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	return UUID(u), nil
}

// ParseUUID parses only the UUID forms; decimal strings are rejected. It is what JSON string ids use.
func ParseUUID(s string) (ID, error) {
	u, err := parseUUID(s)
	if err != nil {
		return ID{}, fmt.Errorf("%w: %q", ErrInvalid, s)
	}
	return UUID(u), nil
}

func parseUUID(s string) ([16]byte, error) {
	var out [16]byte
	switch {
	case len(s) == 45 && s[:9] == "urn:uuid:":
		s = s[9:]
	case len(s) == 38 && s[0] == '{' && s[37] == '}':
		s = s[1:37]
	}
	var hexs []byte
	switch len(s) {
	case 36:
		if s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
			return out, ErrInvalid
		}
		hexs = make([]byte, 0, 32)
		hexs = append(hexs, s[0:8]...)
		hexs = append(hexs, s[9:13]...)
		hexs = append(hexs, s[14:18]...)
		hexs = append(hexs, s[19:23]...)
		hexs = append(hexs, s[24:36]...)
	case 32:
		hexs = []byte(s)
	default:
		return out, ErrInvalid
	}
	if _, err := hex.Decode(out[:], hexs); err != nil {
		return out, ErrInvalid
	}
	return out, nil
}

func encodeUUID(dst []byte, u [16]byte) {
	hex.Encode(dst[0:8], u[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], u[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], u[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], u[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:], u[10:])
}

// MarshalJSON writes integers as JSON numbers and UUIDs as strings.
func (id ID) MarshalJSON() ([]byte, error) {
	return id.AppendJSON(nil), nil
}

// AppendJSON appends the id's JSON form (what MarshalJSON returns) to b.
func (id ID) AppendJSON(b []byte) []byte {
	if !id.isUUID {
		return strconv.AppendUint(b, id.num, 10)
	}
	b = append(b, '"')
	b = append(b, make([]byte, 36)...)
	encodeUUID(b[len(b)-36:], id.uuid)
	return append(b, '"')
}

// UnmarshalJSON accepts a non-negative integer number or a UUID string.
func (id *ID) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return ErrInvalid
	}
	if data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return ErrInvalid
		}
		v, err := ParseUUID(s)
		if err != nil {
			return err
		}
		*id = v
		return nil
	}
	n, err := strconv.ParseUint(string(data), 10, 64)
	if err != nil {
		return fmt.Errorf("%w, got %s", ErrInvalid, truncate(data))
	}
	*id = Num(n)
	return nil
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "..."
	}
	return string(b)
}
