package distance

// Pure-Go scan kernels: the implementation without assembly and the
// reference for the tests.

func l2SqBoundGeneric(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	d, c := len(q), 0
	for i := range idx {
		if s := l2SqGeneric(q, base[i*d:(i+1)*d]); s <= bound {
			idx[c], dist[c] = uint32(i), s
			c++
		}
	}
	return c
}

func dotBoundGeneric(q, base []float32, bound float32, idx []uint32, dist []float32) int {
	d, c := len(q), 0
	for i := range idx {
		if s := dotGeneric(q, base[i*d:(i+1)*d]); s >= bound {
			idx[c], dist[c] = uint32(i), s
			c++
		}
	}
	return c
}

func panelGeneric(panel, base, add []float32, scale float32, bound []float32, idx, mask []uint32, dist []float32) int {
	const w = genericPanelWidth
	d, c := len(panel)/w, 0
	for j := range idx {
		x := base[j*d : (j+1)*d]
		var s [w]float32
		for i, xi := range x {
			p := panel[i*w : (i+1)*w : (i+1)*w]
			for l := range s {
				s[l] += p[l] * xi
			}
		}
		var a float32
		if add != nil {
			a = add[j]
		}
		var m uint32
		for l := range s {
			s[l] = a + scale*s[l]
			if s[l] <= bound[l] {
				m |= 1 << l
			}
		}
		idx[c], mask[c] = uint32(j), m
		copy(dist[c*w:(c+1)*w], s[:])
		if m != 0 {
			c++
		}
	}
	return c
}
