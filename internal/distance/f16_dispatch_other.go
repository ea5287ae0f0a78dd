//go:build !amd64 || purego

package distance

func f16Supported() []f16Implementation { return []f16Implementation{genericF16} }

func f16ImplName() string { return genericF16.name }

func f16ToF32(dst []float32, src []uint16)    { f16ToF32Generic(dst, src) }
func f32ToF16(dst []uint16, src []float32)    { f32ToF16Generic(dst, src) }
func dotF16(q []float32, x []uint16) float32  { return dotF16Generic(q, x) }
func l2SqF16(q []float32, x []uint16) float32 { return l2SqF16Generic(q, x) }

func dotF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	dotF16GatherGeneric(q, base, ids, out)
}

func l2SqF16Gather(q []float32, base []uint16, ids []uint32, out []float32) {
	l2SqF16GatherGeneric(q, base, ids, out)
}
