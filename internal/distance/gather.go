package distance

// Gather and quantized kernels: the inner loop of a graph search, which
// scores one query against a handful of vectors picked by id from a large
// slot-major array (the unvisited neighbours of a node), and wants the
// rows fetched in parallel rather than one cache miss after another.
//
// The uint8 code kernels work on vectors quantized to one byte per
// dimension (see internal/index/hnsw): codes are unsigned, queries are
// int16 (for L2) or int8 (for dot products), and sums are int32 with
// wrap-around arithmetic, so every implementation returns the same bits.

// L2SqGather computes out[i] = L2Sq(q, row(ids[i])) where row(s) is
// base[s*len(q) : (s+1)*len(q)]. It panics if an id is out of range or
// len(out) < len(ids).
func L2SqGather(q, base []float32, ids []uint32, out []float32) {
	checkGather(len(q), len(q), len(base), ids, len(out))
	l2SqGather(q, base, ids, out[:len(ids)])
}

// DotGather is L2SqGather for Dot.
func DotGather(q, base []float32, ids []uint32, out []float32) {
	checkGather(len(q), len(q), len(base), ids, len(out))
	dotGather(q, base, ids, out[:len(ids)])
}

// L2SqU8 returns the sum over i < len(q) of (q[i] - c[i])², computed in
// int32: the squared Euclidean distance between a query quantized to int16
// and a uint8 code, in code units. The result is exact when every q[i] is
// in [-255, 510] and len(q) <= 8192 (no 16-bit difference or 32-bit sum
// overflows); outside that it wraps identically in every implementation.
// It panics if len(c) < len(q).
func L2SqU8(q []int16, c []uint8) int32 {
	if len(c) < len(q) {
		panic("BUG: distance: code shorter than query")
	}
	return l2SqU8(q, c)
}

// DotU8 returns the sum over i < len(q) of q[i]*c[i] in int32: the dot
// product of an int8 query and a uint8 code. It is exact for len(q) below
// 65536. It panics if len(c) < len(q).
func DotU8(q []int8, c []uint8) int32 {
	if len(c) < len(q) {
		panic("BUG: distance: code shorter than query")
	}
	return dotU8(q, c)
}

// DotU8I16 returns the sum over i < len(q) of q[i]*c[i] in int32: the dot
// product of an int16 query and a uint8 code (a finer query than DotU8's
// int8). It is exact when the sum of |q[i]| is below 8,400,000 (the int32
// sum cannot overflow); outside that it wraps identically in every
// implementation. It panics if len(c) < len(q).
func DotU8I16(q []int16, c []uint8) int32 {
	if len(c) < len(q) {
		panic("BUG: distance: code shorter than query")
	}
	return dotU8I16(q, c)
}

// L2SqU8Gather computes out[i] = L2SqU8(q, codes[ids[i]*stride:]) for each
// id: codes holds one row of stride >= len(q) bytes per slot. It panics if
// stride < len(q), an id's row is out of range, or len(out) < len(ids).
func L2SqU8Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	checkGather(len(q), stride, len(codes), ids, len(out))
	l2SqU8Gather(q, codes, stride, ids, out[:len(ids)])
}

// DotU8Gather is L2SqU8Gather for DotU8.
func DotU8Gather(q []int8, codes []uint8, stride int, ids []uint32, out []int32) {
	checkGather(len(q), stride, len(codes), ids, len(out))
	dotU8Gather(q, codes, stride, ids, out[:len(ids)])
}

// Prefetch asks the CPU to bring the cache lines of words into L1 without
// waiting for them (a no-op without assembly). A graph search calls it on
// the neighbour list it will read next.
func Prefetch(words []uint32) { prefetch(words) }

// DotU8I16Gather is L2SqU8Gather for DotU8I16.
func DotU8I16Gather(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	checkGather(len(q), stride, len(codes), ids, len(out))
	dotU8I16Gather(q, codes, stride, ids, out[:len(ids)])
}

// checkGather panics unless every row ids[i] (of stride elements, the
// first n read) lies within an array of size elements.
func checkGather(n, stride, size int, ids []uint32, nout int) {
	if stride < n {
		panic("BUG: distance: gather stride shorter than the query")
	}
	if nout < len(ids) {
		panic("BUG: distance: gather output shorter than ids")
	}
	if n == 0 {
		return
	}
	var hi uint32
	for _, id := range ids {
		hi = max(hi, id)
	}
	if len(ids) > 0 && int(hi)*stride+n > size {
		panic("BUG: distance: gather id out of range")
	}
}

func l2SqGatherGeneric(q, base []float32, ids []uint32, out []float32) {
	d := len(q)
	for i, id := range ids {
		o := int(id) * d
		out[i] = l2SqGeneric(q, base[o:o+d])
	}
}

func dotGatherGeneric(q, base []float32, ids []uint32, out []float32) {
	d := len(q)
	for i, id := range ids {
		o := int(id) * d
		out[i] = dotGeneric(q, base[o:o+d])
	}
}

func l2SqU8Generic(q []int16, c []uint8) int32 {
	c = c[:len(q)]
	var s0, s1 int32
	i := 0
	for ; i+2 <= len(q); i += 2 {
		d0 := int32(q[i] - int16(c[i]))
		d1 := int32(q[i+1] - int16(c[i+1]))
		s0 += d0 * d0
		s1 += d1 * d1
	}
	for ; i < len(q); i++ {
		d := int32(q[i] - int16(c[i]))
		s0 += d * d
	}
	return s0 + s1
}

// dotU8Generic is the generic kernel of DotU8 (int8 queries) and DotU8I16
// (int16 queries).
func dotU8Generic[Q int8 | int16](q []Q, c []uint8) int32 {
	c = c[:len(q)]
	var s0, s1 int32
	i := 0
	for ; i+2 <= len(q); i += 2 {
		s0 += int32(q[i]) * int32(c[i])
		s1 += int32(q[i+1]) * int32(c[i+1])
	}
	for ; i < len(q); i++ {
		s0 += int32(q[i]) * int32(c[i])
	}
	return s0 + s1
}

func l2SqU8GatherGeneric(q []int16, codes []uint8, stride int, ids []uint32, out []int32) {
	for i, id := range ids {
		out[i] = l2SqU8Generic(q, codes[int(id)*stride:])
	}
}

// dotU8GatherGeneric is the generic kernel of DotU8Gather and
// DotU8I16Gather.
func dotU8GatherGeneric[Q int8 | int16](q []Q, codes []uint8, stride int, ids []uint32, out []int32) {
	for i, id := range ids {
		out[i] = dotU8Generic(q, codes[int(id)*stride:])
	}
}
