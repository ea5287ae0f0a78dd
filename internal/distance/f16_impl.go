package distance

//go:generate go run -C _asm . -set f16 -out ../f16_amd64.s -stubs ../f16_amd64_stubs.go -pkg distance

// f16Implementation is one complete set of float16 kernels (f16.go). Tests
// iterate over f16Supported().
type f16Implementation struct {
	name          string
	f16ToF32      func(dst []float32, src []uint16)
	f32ToF16      func(dst []uint16, src []float32)
	dotF16        func(q []float32, x []uint16) float32
	l2SqF16       func(q []float32, x []uint16) float32
	dotF16Gather  func(q []float32, base []uint16, ids []uint32, out []float32)
	l2SqF16Gather func(q []float32, base []uint16, ids []uint32, out []float32)
}

var genericF16 = f16Implementation{
	name:          "generic",
	f16ToF32:      f16ToF32Generic,
	f32ToF16:      f32ToF16Generic,
	dotF16:        dotF16Generic,
	l2SqF16:       l2SqF16Generic,
	dotF16Gather:  dotF16GatherGeneric,
	l2SqF16Gather: l2SqF16GatherGeneric,
}
