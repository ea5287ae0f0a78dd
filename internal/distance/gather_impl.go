package distance

//go:generate go run -C _asm . -set gather -out ../gather_amd64.s -stubs ../gather_amd64_stubs.go -pkg distance

// gatherImplementation is one complete set of gather and code kernels,
// chosen apart from the float set (the best code kernels need AVX-512
// VNNI, which some AVX-512 CPUs lack; they then use the AVX2 ones). Tests
// iterate over gatherSupported().
type gatherImplementation struct {
	name           string
	l2SqGather     func(q, base []float32, ids []uint32, out []float32)
	dotGather      func(q, base []float32, ids []uint32, out []float32)
	l2SqU8         func(q []int16, c []uint8) int32
	dotU8          func(q []int8, c []uint8) int32
	dotU8I16       func(q []int16, c []uint8) int32
	l2SqU8Gather   func(q []int16, codes []uint8, stride int, ids []uint32, out []int32)
	dotU8Gather    func(q []int8, codes []uint8, stride int, ids []uint32, out []int32)
	dotU8I16Gather func(q []int16, codes []uint8, stride int, ids []uint32, out []int32)
}

var genericGather = gatherImplementation{
	name:           "generic",
	l2SqGather:     l2SqGatherGeneric,
	dotGather:      dotGatherGeneric,
	l2SqU8:         l2SqU8Generic,
	dotU8:          dotU8Generic[int8],
	dotU8I16:       dotU8Generic[int16],
	l2SqU8Gather:   l2SqU8GatherGeneric,
	dotU8Gather:    dotU8GatherGeneric[int8],
	dotU8I16Gather: dotU8GatherGeneric[int16],
}

// CodeImpl returns the implementation of the uint8 code kernels chosen at
// start-up: "avx512vnni", "avx2" or "generic".
func CodeImpl() string { return codeImplName() }
