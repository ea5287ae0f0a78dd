package pq

// Sums sets out[i] = bias + Σ_j t[j][code_i[j]] for the len(out) codes
// stored back to back (M = len(t) bytes each) at the start of codes. It
// panics if codes holds fewer than len(out) codes.
func Sums(t Table, codes []byte, bias float32, out []float32) {
	switch len(t) {
	case 8:
		sums8((*[8][KsubMax]float32)(t), codes, bias, out)
	case 16:
		sums16((*[16][KsubMax]float32)(t), codes, bias, out)
	case 32:
		sums32((*[32][KsubMax]float32)(t), codes, bias, out)
	default:
		m := len(t)
		codes = codes[:len(out)*m]
		for i := range out {
			out[i] = sumGeneric(t, codes[i*m:(i+1)*m], bias)
		}
	}
}

// ScanBelow computes the sums of Sums for the len(idx) codes at the start
// of codes and, for each i (in increasing order) whose sum is at most
// bound, writes i to idx[k] and the sum to dist[k], where k counts such
// codes; it returns k (the form of distance.L2SqBatchBelow). A NaN sum
// never passes. Entries past k are scratch. It panics if codes holds fewer
// than len(idx) codes or len(dist) < len(idx).
func ScanBelow(t Table, codes []byte, bias, bound float32, idx []uint32, dist []float32) int {
	switch len(t) {
	case 8:
		return below8((*[8][KsubMax]float32)(t), codes, bias, bound, idx, dist)
	case 16:
		return below16((*[16][KsubMax]float32)(t), codes, bias, bound, idx, dist)
	case 32:
		return below32((*[32][KsubMax]float32)(t), codes, bias, bound, idx, dist)
	}
	m, n, k := len(t), len(idx), 0
	codes, dist = codes[:n*m], dist[:n]
	for i := range n {
		if s := sumGeneric(t, codes[i*m:(i+1)*m], bias); s <= bound {
			idx[k], dist[k] = uint32(i), s
			k++
		}
	}
	return k
}

// Gather sets out[i] to the sum of code ids[i] (at codes[ids[i]*M:]) for
// each i < len(ids). It panics if an id is out of range or out is short.
func Gather(t Table, codes []byte, ids []uint32, bias float32, out []float32) {
	switch len(t) {
	case 8:
		gather8((*[8][KsubMax]float32)(t), codes, ids, bias, out)
	case 16:
		gather16((*[16][KsubMax]float32)(t), codes, ids, bias, out)
	case 32:
		gather32((*[32][KsubMax]float32)(t), codes, ids, bias, out)
	default:
		m := len(t)
		out = out[:len(ids)]
		for i, id := range ids {
			o := int(id) * m
			out[i] = sumGeneric(t, codes[o:o+m], bias)
		}
	}
}

// sumGeneric is the reference sum: term j into partial sum j%4, each left
// to right, then bias + ((s0 + s1) + (s2 + s3)).
func sumGeneric(t Table, code []byte, bias float32) float32 {
	var p [4]float32
	for j, c := range code[:len(t)] {
		if j < 4 {
			p[j] = t[j][c]
		} else {
			p[j%4] += t[j][c]
		}
	}
	return bias + ((p[0] + p[1]) + (p[2] + p[3]))
}
