package filter

import "math/bits"

// Bitmap is a fixed-size set of slots, one bit per slot, 64 slots per word. Candidates returns one
// sized for the collection's slot count. Get is safe for any slot (out-of-range slots are absent);
// Set and Clear panic for slots outside [0, Len()).
type Bitmap []uint64

// NewBitmap returns an empty bitmap able to hold slots 0..n-1.
func NewBitmap(n int) Bitmap {
	if n < 0 {
		n = 0
	}
	return make(Bitmap, (n+63)/64)
}

// Len returns the number of slots the bitmap can hold (a multiple of 64).
func (b Bitmap) Len() int { return len(b) * 64 }

// Get reports whether slot i is set.
func (b Bitmap) Get(i uint32) bool {
	w := int(i / 64)
	return w < len(b) && b[w]&(1<<(i%64)) != 0
}

// Set adds slot i.
func (b Bitmap) Set(i uint32) { b[i/64] |= 1 << (i % 64) }

// Clear removes slot i.
func (b Bitmap) Clear(i uint32) { b[i/64] &^= 1 << (i % 64) }

// Count returns the number of slots set.
func (b Bitmap) Count() int {
	n := 0
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return n
}

// And keeps only the slots also set in o (slots beyond o's length are cleared).
func (b Bitmap) And(o Bitmap) {
	for i := range b {
		if i < len(o) {
			b[i] &= o[i]
		} else {
			b[i] = 0
		}
	}
}

// Or adds the slots set in o (slots beyond b's length are ignored).
func (b Bitmap) Or(o Bitmap) {
	n := min(len(b), len(o))
	for i := 0; i < n; i++ {
		b[i] |= o[i]
	}
}

// Next returns the first set slot >= from, or ok=false if there is none. Iterate with
//
//	for s, ok := b.Next(0); ok; s, ok = b.Next(s + 1) { ... }
func (b Bitmap) Next(from uint32) (slot uint32, ok bool) {
	w := int(from / 64)
	if w >= len(b) {
		return 0, false
	}
	word := b[w] >> (from % 64) << (from % 64)
	for {
		if word != 0 {
			return uint32(w*64 + bits.TrailingZeros64(word)), true
		}
		w++
		if w >= len(b) {
			return 0, false
		}
		word = b[w]
	}
}

// grow returns b extended (if needed) to hold slot i.
func (b Bitmap) grow(i uint32) Bitmap {
	need := int(i/64) + 1
	if need <= len(b) {
		return b
	}
	if need <= cap(b) {
		return b[:need]
	}
	nb := make(Bitmap, need, need+need/4)
	copy(nb, b)
	return nb
}
