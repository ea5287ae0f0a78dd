package hnsw

import "math"

// A candidate is packed into one uint64: the distance, mapped to a uint32
// whose unsigned order is the float order, in the high half and the slot in
// the low half. Comparing two keys compares distances and breaks ties by
// slot, with one integer comparison.

func key(d float32, slot uint32) uint64 { return uint64(orderBits(d))<<32 | uint64(slot) }

func keySlot(k uint64) uint32 { return uint32(k) }

func keyDist(k uint64) float32 { return fromOrderBits(uint32(k >> 32)) }

// orderBits maps a float to a uint32 with the same order (negative floats
// flip all bits, non-negative ones flip the sign bit).
func orderBits(f float32) uint32 {
	b := math.Float32bits(f)
	return b ^ (uint32(int32(b)>>31) | 0x80000000)
}

func fromOrderBits(u uint32) float32 {
	if u&0x80000000 != 0 {
		return math.Float32frombits(u ^ 0x80000000)
	}
	return math.Float32frombits(^u)
}

// minHeap pops the smallest key first (the candidates still to expand).
type minHeap []uint64

func (h *minHeap) push(k uint64) {
	a := append(*h, k)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p] <= k {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = k
	*h = a
}

func (h *minHeap) pop() uint64 {
	a := *h
	top := a[0]
	n := len(a) - 1
	last := a[n]
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && a[r] < a[l] {
			l = r
		}
		if last <= a[l] {
			break
		}
		a[i] = a[l]
		i = l
	}
	if n > 0 {
		a[i] = last
	}
	*h = a
	return top
}

// maxHeap keeps the largest key on top (the worst of the results).
type maxHeap []uint64

func (h *maxHeap) push(k uint64) {
	a := append(*h, k)
	i := len(a) - 1
	for i > 0 {
		p := (i - 1) / 2
		if a[p] >= k {
			break
		}
		a[i] = a[p]
		i = p
	}
	a[i] = k
	*h = a
}

func (h *maxHeap) pop() uint64 {
	a := *h
	top := a[0]
	n := len(a) - 1
	last := a[n]
	a = a[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		if r := l + 1; r < n && a[r] > a[l] {
			l = r
		}
		if last >= a[l] {
			break
		}
		a[i] = a[l]
		i = l
	}
	if n > 0 {
		a[i] = last
	}
	*h = a
	return top
}
