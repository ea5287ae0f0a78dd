package filter

import (
	"encoding/binary"
	"math/bits"

	"github.com/needlevdb/needle/internal/pointid"
)

// sliceHash is the hash Qdrant's slice condition uses: SipHash-2-4 with a zero key over the id's
// canonical bytes (8 little-endian bytes for an integer id, the 16 RFC 4122 bytes for a UUID).
func sliceHash(id pointid.ID) uint64 {
	if id.IsUUID() {
		b := id.Bytes()
		return sipHash24(0, 0, b[:])
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], id.Uint64())
	return sipHash24(0, 0, b[:])
}

// sipHash24 is SipHash-2-4 (Aumasson and Bernstein) with key (k0, k1).
func sipHash24(k0, k1 uint64, msg []byte) uint64 {
	v0 := k0 ^ 0x736f6d6570736575
	v1 := k1 ^ 0x646f72616e646f6d
	v2 := k0 ^ 0x6c7967656e657261
	v3 := k1 ^ 0x7465646279746573
	round := func() {
		v0 += v1
		v1 = bits.RotateLeft64(v1, 13)
		v1 ^= v0
		v0 = bits.RotateLeft64(v0, 32)
		v2 += v3
		v3 = bits.RotateLeft64(v3, 16)
		v3 ^= v2
		v0 += v3
		v3 = bits.RotateLeft64(v3, 21)
		v3 ^= v0
		v2 += v1
		v1 = bits.RotateLeft64(v1, 17)
		v1 ^= v2
		v2 = bits.RotateLeft64(v2, 32)
	}
	n := len(msg)
	for len(msg) >= 8 {
		m := binary.LittleEndian.Uint64(msg)
		v3 ^= m
		round()
		round()
		v0 ^= m
		msg = msg[8:]
	}
	last := uint64(n) << 56
	for i, c := range msg {
		last |= uint64(c) << (8 * uint(i))
	}
	v3 ^= last
	round()
	round()
	v0 ^= last
	v2 ^= 0xff
	round()
	round()
	round()
	round()
	return v0 ^ v1 ^ v2 ^ v3
}
