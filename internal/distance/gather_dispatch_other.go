//go:build !amd64 || purego

package distance

func gatherSupported() []gatherImplementation { return []gatherImplementation{genericGather} }

func codeImplName() string { return "generic" }

func l2SqGather(q, base []float32, ids []uint32, out []float32) { l2SqGatherGeneric(q, base, ids, out) }
func dotGather(q, base []float32, ids []uint32, out []float32)  { dotGatherGeneric(q, base, ids, out) }
func l2SqU8(q []int16, c []uint8) int32                         { return l2SqU8Generic(q, c) }
func dotU8(q []int8, c []uint8) int32                           { return dotU8Generic(q, c) }

func dotU8I16(q []int16, c []uint8) int32 { return dotU8Generic(q, c) }

func dotU8I16Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	dotU8GatherGeneric(q, codes, stride, ids, out)
}

func l2SqU8Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	l2SqU8GatherGeneric(q, codes, stride, ids, out)
}

func dotU8Gather(q []int8, codes []uint8, stride int, ids []uint32, out []int32) {
	dotU8GatherGeneric(q, codes, stride, ids, out)
}

func prefetch(words []uint32) {}
