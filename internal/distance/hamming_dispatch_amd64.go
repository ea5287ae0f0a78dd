//go:build !purego

package distance

import "golang.org/x/sys/cpu"

// popcnt512 reports whether the Hamming kernels run with AVX-512
// VPOPCNTDQ on top of the AVX-512 level of the float kernels (opmask tails,
// BZHI). As for level, dispatch is a switch, not a function variable, so
// slices do not escape.
var popcnt512 = level == levelAVX512 && cpu.X86.HasAVX512VPOPCNTDQ

var popcntBits = bitsImplementation{
	name:          "avx512vpopcntdq",
	hamming:       hammingAVX512,
	hammingBatch:  hammingBatchAVX512,
	hammingGather: hammingGatherAVX512,
}

// bitsSupported lists every Hamming implementation this CPU can run, best
// first.
func bitsSupported() []bitsImplementation {
	if popcnt512 {
		return []bitsImplementation{popcntBits, genericBits}
	}
	return []bitsImplementation{genericBits}
}

func hammingImplName() string {
	if popcnt512 {
		return popcntBits.name
	}
	return genericBits.name
}

func hamming(a, b []uint64) int {
	if popcnt512 {
		return hammingAVX512(a, b)
	}
	return hammingGeneric(a, b)
}

func hammingBatch(q, codes []uint64, out []int32) {
	if popcnt512 {
		hammingBatchAVX512(q, codes, out)
		return
	}
	hammingBatchGeneric(q, codes, out)
}

func hammingGather(q []uint64, codes []uint64, words int, ids []uint32, out []int32) {
	if popcnt512 {
		hammingGatherAVX512(q, codes, words, ids, out)
		return
	}
	hammingGatherGeneric(q, codes, words, ids, out)
}
