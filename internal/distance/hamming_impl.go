package distance

//go:generate go run -C _asm . -set bits -out ../hamming_amd64.s -stubs ../hamming_amd64_stubs.go -pkg distance

// bitsImplementation is one complete set of Hamming kernels, chosen apart
// from the float set (VPOPCNTQ needs AVX-512 VPOPCNTDQ, which not every
// AVX-512 CPU has). Tests iterate over bitsSupported().
type bitsImplementation struct {
	name          string
	hamming       func(a, b []uint64) int
	hammingBatch  func(q, codes []uint64, out []int32)
	hammingGather func(q []uint64, codes []uint64, words int, ids []uint32, out []int32)
}

var genericBits = bitsImplementation{
	name:          "generic",
	hamming:       hammingGeneric,
	hammingBatch:  hammingBatchGeneric,
	hammingGather: hammingGatherGeneric,
}
