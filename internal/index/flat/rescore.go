package flat

import (
	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/topk"
)

// rescoreChunk is how many candidates one gather-kernel call of Rescore
// scores (its scratch stays on the stack).
const rescoreChunk = 64

// Rescore ranks candidates found with approximate distances by their exact
// distance to q (the rank of metric m, as Search gives it) and returns the
// k best, best first, ties by slot as in package topk. It works in place,
// allocating nothing: it overwrites the distances of cand, sorts cand and
// returns a prefix of it. Every candidate must be a slot of v, and len(q)
// must be v.Dim.
func Rescore(v Vectors, m Metric, q []float32, cand []topk.Item, k int) []topk.Item {
	var ids [rescoreChunk]uint32
	var dist [rescoreChunk]float32
	for o := 0; o < len(cand); o += rescoreChunk {
		c := cand[o:min(o+rescoreChunk, len(cand))]
		for i := range c {
			ids[i] = c[i].Slot
		}
		exact(v, m, q, ids[:len(c)], dist[:len(c)])
		for i := range c {
			c[i].Dist = rank(m, dist[i])
		}
	}
	topk.SortItems(cand)
	n := max(0, min(k, len(cand)))
	return cand[:n:n]
}

// exact writes the kernel value of metric m between q and each slot of ids
// into out, with the gather kernels for InnerProduct and L2 (which return
// the pair kernels' bits).
func exact(v Vectors, m Metric, q []float32, ids []uint32, out []float32) {
	switch m {
	case InnerProduct:
		distance.DotGather(q, v.Data, ids, out)
	case L2:
		distance.L2SqGather(q, v.Data, ids, out)
	default:
		pair, _ := kernels(m)
		for i, s := range ids {
			out[i] = pair(q, v.Row(s))
		}
	}
}
