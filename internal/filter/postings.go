package filter

import "sort"

// postings is the set of slots holding one indexed value. Slots are dense offsets (0..n-1 for a
// collection segment of n points), which is what keeps the bitmap form small. Small sets are a sorted slice; sets that
// grow past denseAt become a bitmap (so removing one slot from a value held by a million points is
// O(1), not a million-element copy) and go back to a slice below sparseAt.
type postings struct {
	list []uint32 // sorted, when bits == nil
	bits Bitmap
	n    int
}

const (
	denseAt  = 4096
	sparseAt = 1024
)

// add inserts slot; it reports whether the slot was new.
func (p *postings) add(slot uint32) bool {
	if p.bits != nil {
		p.bits = p.bits.grow(slot)
		if p.bits.Get(slot) {
			return false
		}
		p.bits.Set(slot)
		p.n++
		return true
	}
	i := len(p.list)
	if i > 0 && p.list[i-1] >= slot {
		i = sort.Search(len(p.list), func(j int) bool { return p.list[j] >= slot })
		if i < len(p.list) && p.list[i] == slot {
			return false
		}
	}
	p.list = append(p.list, 0)
	copy(p.list[i+1:], p.list[i:])
	p.list[i] = slot
	p.n++
	if p.n > denseAt && int(p.list[len(p.list)-1]) <= p.n*64 { // the bitmap is at most twice the list's size
		p.bits = NewBitmap(int(p.list[len(p.list)-1]) + 1)
		for _, s := range p.list {
			p.bits.Set(s)
		}
		p.list = nil
	}
	return true
}

// remove deletes slot; it reports whether the slot was present.
func (p *postings) remove(slot uint32) bool {
	if p.bits != nil {
		if !p.bits.Get(slot) {
			return false
		}
		p.bits.Clear(slot)
		p.n--
		if p.n < sparseAt {
			list := make([]uint32, 0, p.n)
			for s, ok := p.bits.Next(0); ok; s, ok = p.bits.Next(s + 1) {
				list = append(list, s)
			}
			p.list, p.bits = list, nil
		}
		return true
	}
	i := sort.Search(len(p.list), func(j int) bool { return p.list[j] >= slot })
	if i == len(p.list) || p.list[i] != slot {
		return false
	}
	p.list = append(p.list[:i], p.list[i+1:]...)
	p.n--
	return true
}

// orInto sets every slot of p that fits in dst.
func (p *postings) orInto(dst Bitmap) {
	if p == nil {
		return
	}
	if p.bits != nil {
		dst.Or(p.bits)
		return
	}
	limit := uint32(0)
	if l := dst.Len(); l > 0 {
		limit = uint32(min(l, 1<<32-1) - 1)
	} else {
		return
	}
	for _, s := range p.list {
		if s > limit {
			break
		}
		dst.Set(s)
	}
}
