//go:build !purego

package distance

import (
	"slices"

	"golang.org/x/sys/cpu"
)

// Instruction-set levels, best last.
const (
	levelGeneric = iota
	levelAVX2
	levelAVX512
)

// level is the implementation chosen once at start-up. The dispatch below
// is a switch on it rather than a function variable: calls through a
// function value make the compiler assume the slice arguments escape,
// which would heap-allocate the callers' query buffers.
var level = detect()

func detect() int {
	x := &cpu.X86
	avx2 := x.HasAVX2 && x.HasFMA
	switch {
	case avx2 && x.HasAVX512F && x.HasAVX512VL && x.HasBMI2:
		return levelAVX512
	case avx2:
		return levelAVX2
	}
	return levelGeneric
}

var avx512Impl = implementation{
	name:       "avx512",
	dot:        dotAVX512,
	l2Sq:       l2SqAVX512,
	l1:         l1AVX512,
	dotBatch:   dotBatchAVX512,
	l2SqBatch:  l2SqBatchAVX512,
	l1Batch:    l1BatchAVX512,
	dotBatch4:  dotBatch4AVX512,
	l2SqBatch4: l2SqBatch4AVX512,
}

var avx2Impl = implementation{
	name:       "avx2",
	dot:        dotAVX2,
	l2Sq:       l2SqAVX2,
	l1:         l1AVX2,
	dotBatch:   dotBatchAVX2,
	l2SqBatch:  l2SqBatchAVX2,
	l1Batch:    l1BatchAVX2,
	dotBatch4:  dotBatch4AVX2,
	l2SqBatch4: l2SqBatch4AVX2,
}

// supported lists every implementation this CPU can run, best first.
func supported() []implementation { return upToLevel(genericImpl, avx2Impl, avx512Impl) }

// upToLevel returns byLevel[:level+1], the sets this CPU can run, best
// first: byLevel[l] is the set of level l.
func upToLevel[T any](byLevel ...T) []T {
	impls := slices.Clone(byLevel[:level+1])
	slices.Reverse(impls)
	return impls
}

func implName() string {
	return [...]string{"generic", "avx2", "avx512"}[level]
}

func dot(a, b []float32) float32 {
	switch level {
	case levelAVX512:
		return dotAVX512(a, b)
	case levelAVX2:
		return dotAVX2(a, b)
	}
	return dotGeneric(a, b)
}

func l2Sq(a, b []float32) float32 {
	switch level {
	case levelAVX512:
		return l2SqAVX512(a, b)
	case levelAVX2:
		return l2SqAVX2(a, b)
	}
	return l2SqGeneric(a, b)
}

func l1(a, b []float32) float32 {
	switch level {
	case levelAVX512:
		return l1AVX512(a, b)
	case levelAVX2:
		return l1AVX2(a, b)
	}
	return l1Generic(a, b)
}

func dotBatch(q, base, out []float32) {
	switch level {
	case levelAVX512:
		dotBatchAVX512(q, base, out)
	case levelAVX2:
		dotBatchAVX2(q, base, out)
	default:
		dotBatchGeneric(q, base, out)
	}
}

func l2SqBatch(q, base, out []float32) {
	switch level {
	case levelAVX512:
		l2SqBatchAVX512(q, base, out)
	case levelAVX2:
		l2SqBatchAVX2(q, base, out)
	default:
		l2SqBatchGeneric(q, base, out)
	}
}

func l1Batch(q, base, out []float32) {
	switch level {
	case levelAVX512:
		l1BatchAVX512(q, base, out)
	case levelAVX2:
		l1BatchAVX2(q, base, out)
	default:
		l1BatchGeneric(q, base, out)
	}
}

func dotBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	switch level {
	case levelAVX512:
		dotBatch4AVX512(q0, q1, q2, q3, base, out0, out1, out2, out3)
	case levelAVX2:
		dotBatch4AVX2(q0, q1, q2, q3, base, out0, out1, out2, out3)
	default:
		dotBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3)
	}
}

func l2SqBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	switch level {
	case levelAVX512:
		l2SqBatch4AVX512(q0, q1, q2, q3, base, out0, out1, out2, out3)
	case levelAVX2:
		l2SqBatch4AVX2(q0, q1, q2, q3, base, out0, out1, out2, out3)
	default:
		l2SqBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3)
	}
}
