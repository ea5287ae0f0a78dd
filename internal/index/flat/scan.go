package flat

import (
	"sync"

	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/topk"
)

// The single-query scan for InnerProduct and L2: the bound kernels of package distance score a
// block of base vectors (four per loop iteration, so the loads of the next vectors overlap the
// reductions of the last) and hand back only those that beat the current K-th distance, so the
// Go loop below sees a few candidates per block instead of every score.

// boundBlockBytes is the size of the run of base vectors one bound-kernel call scans. The bound
// is fixed for a call, so smaller blocks tighten it sooner; larger ones amortise the call. It
// hardly matters: interleaved Search runs (7 rounds, loaded 2-core Xeon VM) gave median 10.2 /
// 10.4 / 10.5 GB/s on clustered-1M-128 and 9.4 / 9.3 / 9.6 on fashion-mnist for 32 KiB / 256 KiB
// / 2 MiB.
const boundBlockBytes = 256 << 10

// boundMaxBlock caps the vectors of a block (and so the scratch buffers) for small dimensions.
const boundMaxBlock = 4096

// boundFirstBlock is the number of vectors of the first block, which every vector passes (the
// heap is not full yet); kept small so the bound tightens early.
const boundFirstBlock = 64

type boundScratch struct {
	idx  []uint32
	dist []float32
}

var boundPool = sync.Pool{New: func() any { return new(boundScratch) }}

// scanBound is Search's dense scan for InnerProduct and L2, pushing into h (empty, capacity p.K).
func scanBound(v Vectors, m Metric, q []float32, p Params, h *topk.Heap) []topk.Item {
	n, d := v.Slots(), v.Dim
	blk := max(boundFirstBlock, min(boundMaxBlock, boundBlockBytes/(4*max(d, 1))))
	sc := boundPool.Get().(*boundScratch)
	defer boundPool.Put(sc)
	if len(sc.idx) < blk {
		sc.idx, sc.dist = make([]uint32, blk), make([]float32, blk)
	}
	for b0 := 0; b0 < n; {
		cnt := min(blk, n-b0)
		if b0 == 0 {
			cnt = min(cnt, boundFirstBlock)
		}
		bound := p.MaxDist
		if h.Full() {
			bound = min(bound, h.Bound())
		}
		base := v.Data[b0*d : (b0+cnt)*d]
		idx, dist := sc.idx[:cnt], sc.dist[:cnt]
		var c int
		if m == L2 {
			c = distance.L2SqBatchBelow(q, base, bound, idx, dist)
		} else {
			c = distance.DotBatchAbove(q, base, -bound, idx, dist)
		}
		for i, j := range idx[:c] {
			dd := rank(m, dist[i])
			if dd > p.MaxDist || h.Full() && dd >= h.Bound() {
				continue
			}
			s := uint32(b0) + j
			if p.Candidates != nil && !p.Candidates.Get(s) || p.Accept != nil && !p.Accept(s) {
				continue
			}
			h.Push(dd, s)
		}
		b0 += cnt
	}
	return h.Sorted()
}
