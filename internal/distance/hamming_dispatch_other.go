//go:build !amd64 || purego

package distance

func bitsSupported() []bitsImplementation { return []bitsImplementation{genericBits} }

func hammingImplName() string { return genericBits.name }

func hamming(a, b []uint64) int                   { return hammingGeneric(a, b) }
func hammingBatch(q, codes []uint64, out []int32) { hammingBatchGeneric(q, codes, out) }

func hammingGather(q []uint64, codes []uint64, words int, ids []uint32, out []int32) {
	hammingGatherGeneric(q, codes, words, ids, out)
}
