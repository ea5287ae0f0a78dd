package pq

// The scan loops unrolled for M = 8, 16 and 32 (written out by a short
// script; edit the generic loops in scan.go first, then these the same
// way). Term j of a code's sum goes to partial sum j%4, each summed left
// to right, and the total is bias + ((s0 + s1) + (s2 + s3)): the order of
// the generic loops, so every form returns the same bits.

func sums8(t *[8][KsubMax]float32, codes []byte, bias float32, out []float32) {
	codes = codes[:len(out)*8]
	for i := range out {
		c := (*[8]byte)(codes[i*8:])
		s0 := t[0][c[0]] + t[4][c[4]]
		s1 := t[1][c[1]] + t[5][c[5]]
		s2 := t[2][c[2]] + t[6][c[6]]
		s3 := t[3][c[3]] + t[7][c[7]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}

func below8(t *[8][KsubMax]float32, codes []byte, bias, bound float32, idx []uint32, dist []float32) int {
	n := len(idx)
	codes = codes[:n*8]
	dist = dist[:n]
	k := 0
	for i := 0; i < n; i++ {
		c := (*[8]byte)(codes[i*8:])
		s0 := t[0][c[0]] + t[4][c[4]]
		s1 := t[1][c[1]] + t[5][c[5]]
		s2 := t[2][c[2]] + t[6][c[6]]
		s3 := t[3][c[3]] + t[7][c[7]]
		s := bias + ((s0 + s1) + (s2 + s3))
		if s <= bound {
			idx[k], dist[k] = uint32(i), s
			k++
		}
	}
	return k
}

func gather8(t *[8][KsubMax]float32, codes []byte, ids []uint32, bias float32, out []float32) {
	out = out[:len(ids)]
	for i, id := range ids {
		c := (*[8]byte)(codes[int(id)*8:])
		s0 := t[0][c[0]] + t[4][c[4]]
		s1 := t[1][c[1]] + t[5][c[5]]
		s2 := t[2][c[2]] + t[6][c[6]]
		s3 := t[3][c[3]] + t[7][c[7]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}

func sums16(t *[16][KsubMax]float32, codes []byte, bias float32, out []float32) {
	codes = codes[:len(out)*16]
	for i := range out {
		c := (*[16]byte)(codes[i*16:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}

func below16(t *[16][KsubMax]float32, codes []byte, bias, bound float32, idx []uint32, dist []float32) int {
	n := len(idx)
	codes = codes[:n*16]
	dist = dist[:n]
	k := 0
	for i := 0; i < n; i++ {
		c := (*[16]byte)(codes[i*16:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]]
		s := bias + ((s0 + s1) + (s2 + s3))
		if s <= bound {
			idx[k], dist[k] = uint32(i), s
			k++
		}
	}
	return k
}

func gather16(t *[16][KsubMax]float32, codes []byte, ids []uint32, bias float32, out []float32) {
	out = out[:len(ids)]
	for i, id := range ids {
		c := (*[16]byte)(codes[int(id)*16:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}

func sums32(t *[32][KsubMax]float32, codes []byte, bias float32, out []float32) {
	codes = codes[:len(out)*32]
	for i := range out {
		c := (*[32]byte)(codes[i*32:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]] + t[16][c[16]] + t[20][c[20]] + t[24][c[24]] + t[28][c[28]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]] + t[17][c[17]] + t[21][c[21]] + t[25][c[25]] + t[29][c[29]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]] + t[18][c[18]] + t[22][c[22]] + t[26][c[26]] + t[30][c[30]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]] + t[19][c[19]] + t[23][c[23]] + t[27][c[27]] + t[31][c[31]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}

func below32(t *[32][KsubMax]float32, codes []byte, bias, bound float32, idx []uint32, dist []float32) int {
	n := len(idx)
	codes = codes[:n*32]
	dist = dist[:n]
	k := 0
	for i := 0; i < n; i++ {
		c := (*[32]byte)(codes[i*32:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]] + t[16][c[16]] + t[20][c[20]] + t[24][c[24]] + t[28][c[28]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]] + t[17][c[17]] + t[21][c[21]] + t[25][c[25]] + t[29][c[29]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]] + t[18][c[18]] + t[22][c[22]] + t[26][c[26]] + t[30][c[30]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]] + t[19][c[19]] + t[23][c[23]] + t[27][c[27]] + t[31][c[31]]
		s := bias + ((s0 + s1) + (s2 + s3))
		if s <= bound {
			idx[k], dist[k] = uint32(i), s
			k++
		}
	}
	return k
}

func gather32(t *[32][KsubMax]float32, codes []byte, ids []uint32, bias float32, out []float32) {
	out = out[:len(ids)]
	for i, id := range ids {
		c := (*[32]byte)(codes[int(id)*32:])
		s0 := t[0][c[0]] + t[4][c[4]] + t[8][c[8]] + t[12][c[12]] + t[16][c[16]] + t[20][c[20]] + t[24][c[24]] + t[28][c[28]]
		s1 := t[1][c[1]] + t[5][c[5]] + t[9][c[9]] + t[13][c[13]] + t[17][c[17]] + t[21][c[21]] + t[25][c[25]] + t[29][c[29]]
		s2 := t[2][c[2]] + t[6][c[6]] + t[10][c[10]] + t[14][c[14]] + t[18][c[18]] + t[22][c[22]] + t[26][c[26]] + t[30][c[30]]
		s3 := t[3][c[3]] + t[7][c[7]] + t[11][c[11]] + t[15][c[15]] + t[19][c[19]] + t[23][c[23]] + t[27][c[27]] + t[31][c[31]]
		s := bias + ((s0 + s1) + (s2 + s3))
		out[i] = s
	}
}
