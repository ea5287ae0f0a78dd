package distance

// Pure-Go kernels. They are the implementation on architectures without
// assembly and under the purego build tag, and the reference that tests
// compare the assembly against. Four independent accumulators let the
// compiler overlap the adds (and match the summation shape of the SIMD
// kernels more closely than one running sum would).

const mismatch = "BUG: distance: vectors of different lengths"

func dotGeneric(a, b []float32) float32  { return sums{}.addDot(a, b).total() }
func l2SqGeneric(a, b []float32) float32 { return sums{}.addL2Sq(a, b).total() }
func l1Generic(a, b []float32) float32   { return sums{}.addL1(a, b).total() }

// sums are the four running sums of the kernels: lane i%4 of the unrolled
// loop adds to its own sum, the tail to s0. A struct of four floats stays
// in registers, and passing it on lets the float16 kernels (f16_generic.go)
// run the same loops block by block with the same summation shape.
type sums struct{ s0, s1, s2, s3 float32 }

func (s sums) total() float32 { return (s.s0 + s.s1) + (s.s2 + s.s3) }

// addDot adds a[i]*b[i] for every i < len(a). It panics if len(b) != len(a).
func (s sums) addDot(a, b []float32) sums {
	if len(a) != len(b) {
		panic(mismatch)
	}
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s.s0 += x[0] * y[0]
		s.s1 += x[1] * y[1]
		s.s2 += x[2] * y[2]
		s.s3 += x[3] * y[3]
	}
	for ; i < len(a); i++ {
		s.s0 += a[i] * b[i]
	}
	return s
}

// addL2Sq adds (a[i]-b[i])² for every i < len(a). It panics if len(b) != len(a).
func (s sums) addL2Sq(a, b []float32) sums {
	if len(a) != len(b) {
		panic(mismatch)
	}
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		d0, d1, d2, d3 := x[0]-y[0], x[1]-y[1], x[2]-y[2], x[3]-y[3]
		s.s0 += d0 * d0
		s.s1 += d1 * d1
		s.s2 += d2 * d2
		s.s3 += d3 * d3
	}
	for ; i < len(a); i++ {
		d := a[i] - b[i]
		s.s0 += d * d
	}
	return s
}

func abs32(x float32) float32 {
	if x < 0 {
		return -x
	}
	return x
}

// addL1 adds |a[i]-b[i]| for every i < len(a). It panics if len(b) != len(a).
func (s sums) addL1(a, b []float32) sums {
	if len(a) != len(b) {
		panic(mismatch)
	}
	i := 0
	for ; i+4 <= len(a); i += 4 {
		x, y := a[i:i+4:i+4], b[i:i+4:i+4]
		s.s0 += abs32(x[0] - y[0])
		s.s1 += abs32(x[1] - y[1])
		s.s2 += abs32(x[2] - y[2])
		s.s3 += abs32(x[3] - y[3])
	}
	for ; i < len(a); i++ {
		s.s0 += abs32(a[i] - b[i])
	}
	return s
}

func dotBatchGeneric(q, base, out []float32) {
	d := len(q)
	for i := range out {
		out[i] = dotGeneric(q, base[i*d:(i+1)*d])
	}
}

func l2SqBatchGeneric(q, base, out []float32) {
	d := len(q)
	for i := range out {
		out[i] = l2SqGeneric(q, base[i*d:(i+1)*d])
	}
}

func l1BatchGeneric(q, base, out []float32) {
	d := len(q)
	for i := range out {
		out[i] = l1Generic(q, base[i*d:(i+1)*d])
	}
}

func dotBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	d := len(q0)
	for i := range out0 {
		v := base[i*d : (i+1)*d]
		out0[i] = dotGeneric(q0, v)
		out1[i] = dotGeneric(q1, v)
		out2[i] = dotGeneric(q2, v)
		out3[i] = dotGeneric(q3, v)
	}
}

func l2SqBatch4Generic(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32) {
	d := len(q0)
	for i := range out0 {
		v := base[i*d : (i+1)*d]
		out0[i] = l2SqGeneric(q0, v)
		out1[i] = l2SqGeneric(q1, v)
		out2[i] = l2SqGeneric(q2, v)
		out3[i] = l2SqGeneric(q3, v)
	}
}
