//go:build !amd64 || purego

package distance

// Without assembly every function is the pure-Go kernel.

func supported() []implementation { return []implementation{genericImpl} }

func implName() string { return "generic" }

func dot(a, b []float32) float32  { return dotGeneric(a, b) }
func l2Sq(a, b []float32) float32 { return l2SqGeneric(a, b) }
func l1(a, b []float32) float32   { return l1Generic(a, b) }

func dotBatch(q, base, out []float32)  { dotBatchGeneric(q, base, out) }
func l2SqBatch(q, base, out []float32) { l2SqBatchGeneric(q, base, out) }
func l1Batch(q, base, out []float32)   { l1BatchGeneric(q, base, out) }

func dotBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	dotBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3)
}

func l2SqBatch4(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	l2SqBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3)
}
