package distance

// Binary-code kernels: the Hamming distance between codes of one bit per
// dimension packed into 64-bit words (see internal/index/quant/binary),
// the number of bits in which they differ. Results are exact integers, the
// same in every implementation.

// Hamming returns the number of bits that differ between a and b. It
// panics if len(a) != len(b).
func Hamming(a, b []uint64) int {
	if len(a) != len(b) {
		panic("BUG: distance: Hamming of codes of different lengths")
	}
	return hamming(a, b)
}

// HammingBatch computes out[i] = Hamming(q, codes[i*len(q):(i+1)*len(q)])
// for each of the len(out) codes of len(q) words stored back to back at the
// start of codes; words past the last of them are ignored. It panics if
// codes is too short.
func HammingBatch(q, codes []uint64, out []int32) {
	if len(q) != 0 && len(out) > len(codes)/len(q) {
		panic("BUG: distance: codes hold fewer than len(out) codes of len(q) words")
	}
	hammingBatch(q, codes, out)
}

// HammingGather computes out[i] = Hamming(q, row(ids[i])) where row(s) is
// the first len(q) words of codes[s*words:(s+1)*words], the code of slot
// s (normally words == len(q)). It panics if words < len(q), an id's row
// is out of range, or len(out) < len(ids).
func HammingGather(q []uint64, codes []uint64, words int, ids []uint32, out []int32) {
	checkGather(len(q), words, len(codes), ids, len(out))
	hammingGather(q, codes, words, ids, out[:len(ids)])
}

// HammingImpl returns the implementation of the Hamming kernels chosen at
// start-up: "avx512vpopcntdq" or "generic".
func HammingImpl() string { return hammingImplName() }
