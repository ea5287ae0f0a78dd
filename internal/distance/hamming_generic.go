package distance

import "math/bits"

// Pure-Go Hamming kernels: the implementation without AVX-512 VPOPCNTDQ
// (math/bits.OnesCount64 compiles to POPCNT on amd64) and the reference
// the tests compare the assembly against.

func hammingGeneric(a, b []uint64) int {
	b = b[:len(a)]
	var s0, s1, s2, s3 int
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s0 += bits.OnesCount64(x[0] ^ y[0])
		s1 += bits.OnesCount64(x[1] ^ y[1])
		s2 += bits.OnesCount64(x[2] ^ y[2])
		s3 += bits.OnesCount64(x[3] ^ y[3])
	}
	for ; i < len(a); i++ {
		s0 += bits.OnesCount64(a[i] ^ b[i])
	}
	return (s0 + s1) + (s2 + s3)
}

func hammingBatchGeneric(q, codes []uint64, out []int32) {
	w := len(q)
	for i := range out {
		out[i] = int32(hammingGeneric(q, codes[i*w:(i+1)*w]))
	}
}

func hammingGatherGeneric(q []uint64, codes []uint64, words int, ids []uint32, out []int32) {
	w := len(q)
	for i, id := range ids {
		o := int(id) * words
		out[i] = int32(hammingGeneric(q, codes[o:o+w]))
	}
}
