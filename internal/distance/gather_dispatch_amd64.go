//go:build !purego

package distance

import "golang.org/x/sys/cpu"

// Levels of the uint8 code kernels, best last.
const (
	codeGeneric = iota
	codeAVX2
	codeVNNI
)

// codeLevel is the implementation of the uint8 code kernels: AVX-512 VNNI
// (VPDPBUSD, VPDPWSSD) with AVX-512 BW (byte/word masks and widening) on
// top of the AVX-512 level of the float kernels; else AVX2 (VPMADDWD,
// VPMADDUBSW) where the float kernels have at least the AVX2 level; else
// generic. As for level, dispatch is a switch, not a function variable, so
// slices do not escape.
var codeLevel = detectCode()

func detectCode() int {
	switch {
	case level == levelAVX512 && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512BW:
		return codeVNNI
	case level >= levelAVX2:
		return codeAVX2
	}
	return codeGeneric
}

var vnniGather = gatherImplementation{
	name:           "avx512vnni",
	l2SqGather:     l2SqGatherAVX512,
	dotGather:      dotGatherAVX512,
	l2SqU8:         l2SqU8VNNI,
	dotU8:          dotU8VNNI,
	dotU8I16:       dotU8I16VNNI,
	l2SqU8Gather:   l2SqU8GatherVNNI,
	dotU8Gather:    dotU8GatherVNNI,
	dotU8I16Gather: dotU8I16GatherVNNI,
}

var avx2Gather = gatherImplementation{
	name:           "avx2",
	l2SqGather:     l2SqGatherAVX2,
	dotGather:      dotGatherAVX2,
	l2SqU8:         l2SqU8AVX2,
	dotU8:          dotU8AVX2,
	dotU8I16:       dotU8I16AVX2,
	l2SqU8Gather:   l2SqU8GatherAVX2,
	dotU8Gather:    dotU8GatherAVX2,
	dotU8I16Gather: dotU8I16GatherAVX2,
}

// gatherSupported lists every gather implementation this CPU can run,
// best first, whatever was chosen at start-up: the tests call each of
// them. Without VNNI, AVX-512 CPUs use the AVX-512 float gathers and the
// AVX2 code kernels.
func gatherSupported() []gatherImplementation {
	impls := []gatherImplementation{genericGather}
	if level >= levelAVX2 {
		impls = append([]gatherImplementation{avx2Gather}, impls...)
	}
	if level >= levelAVX512 && codeLevel != codeVNNI {
		g := avx2Gather
		g.name, g.l2SqGather, g.dotGather = "avx512", l2SqGatherAVX512, dotGatherAVX512
		impls = append([]gatherImplementation{g}, impls...)
	}
	if codeLevel == codeVNNI {
		impls = append([]gatherImplementation{vnniGather}, impls...)
	}
	return impls
}

func codeImplName() string {
	return [...]string{"generic", "avx2", "avx512vnni"}[codeLevel]
}

func l2SqGather(q, base []float32, ids []uint32, out []float32) {
	switch level {
	case levelAVX512:
		l2SqGatherAVX512(q, base, ids, out)
	case levelAVX2:
		l2SqGatherAVX2(q, base, ids, out)
	default:
		l2SqGatherGeneric(q, base, ids, out)
	}
}

func dotGather(q, base []float32, ids []uint32, out []float32) {
	switch level {
	case levelAVX512:
		dotGatherAVX512(q, base, ids, out)
	case levelAVX2:
		dotGatherAVX2(q, base, ids, out)
	default:
		dotGatherGeneric(q, base, ids, out)
	}
}

func l2SqU8(q []int16, c []uint8) int32 {
	switch codeLevel {
	case codeVNNI:
		return l2SqU8VNNI(q, c)
	case codeAVX2:
		return l2SqU8AVX2(q, c)
	}
	return l2SqU8Generic(q, c)
}

func dotU8(q []int8, c []uint8) int32 {
	switch codeLevel {
	case codeVNNI:
		return dotU8VNNI(q, c)
	case codeAVX2:
		return dotU8AVX2(q, c)
	}
	return dotU8Generic(q, c)
}

func dotU8I16(q []int16, c []uint8) int32 {
	switch codeLevel {
	case codeVNNI:
		return dotU8I16VNNI(q, c)
	case codeAVX2:
		return dotU8I16AVX2(q, c)
	}
	return dotU8Generic(q, c)
}

func dotU8I16Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	switch codeLevel {
	case codeVNNI:
		dotU8I16GatherVNNI(q, codes, stride, ids, out)
	case codeAVX2:
		dotU8I16GatherAVX2(q, codes, stride, ids, out)
	default:
		dotU8GatherGeneric(q, codes, stride, ids, out)
	}
}

func l2SqU8Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	switch codeLevel {
	case codeVNNI:
		l2SqU8GatherVNNI(q, codes, stride, ids, out)
	case codeAVX2:
		l2SqU8GatherAVX2(q, codes, stride, ids, out)
	default:
		l2SqU8GatherGeneric(q, codes, stride, ids, out)
	}
}

func dotU8Gather(q []int8, codes []uint8, stride int, ids []uint32, out []int32) {
	switch codeLevel {
	case codeVNNI:
		dotU8GatherVNNI(q, codes, stride, ids, out)
	case codeAVX2:
		dotU8GatherAVX2(q, codes, stride, ids, out)
	default:
		dotU8GatherGeneric(q, codes, stride, ids, out)
	}
}

func prefetch(words []uint32) { prefetchWords(words) }
