package distance

// implementation is one complete set of kernels. The exported functions
// dispatch to the set chosen at start-up; tests iterate over every set the
// CPU supports (see supported in the dispatch_*.go files).
type implementation struct {
	name       string
	dot        func(a, b []float32) float32
	l2Sq       func(a, b []float32) float32
	l1         func(a, b []float32) float32
	dotBatch   func(q, base, out []float32)
	l2SqBatch  func(q, base, out []float32)
	l1Batch    func(q, base, out []float32)
	dotBatch4  func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)
	l2SqBatch4 func(q0, q1, q2, q3, base, out0, out1, out2, out3 []float32)
}

var genericImpl = implementation{
	name:       "generic",
	dot:        dotGeneric,
	l2Sq:       l2SqGeneric,
	l1:         l1Generic,
	dotBatch:   dotBatchGeneric,
	l2SqBatch:  l2SqBatchGeneric,
	l1Batch:    l1BatchGeneric,
	dotBatch4:  dotBatch4Generic,
	l2SqBatch4: l2SqBatch4Generic,
}
