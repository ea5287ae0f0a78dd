package knngraph

import "fmt"

// memPlan is the memory a job needs, computed from the input headers before anything is loaded.
type memPlan struct {
	inputs  int64 // the float32 matrices
	graph   int64 // N·K neighbour lists (the heaps) plus per-row count and bound
	working int64 // per-worker private heaps and score buffers, I/O buffers, ids
	runtime int64 // Go runtime, binary, stacks: a fixed allowance
}

// runtimeAllowance covers the Go runtime, the binary's text and goroutine stacks (measured RSS of
// a tiny job is ~12 MiB).
const runtimeAllowance = 24 << 20

func (p memPlan) total() int64 { return p.inputs + p.graph + p.working + p.runtime }

func (p memPlan) String() string {
	return fmt.Sprintf("%s (inputs %s + neighbour lists %s + working set %s + runtime %s)",
		FormatBytes(p.total()), FormatBytes(p.inputs), FormatBytes(p.graph), FormatBytes(p.working), FormatBytes(p.runtime))
}

// planMemory estimates the peak of an exact job over n rows with the given dimensions.
func planMemory(n int, dims []int, k, block, threads int, idsBytes int64) memPlan {
	const item = 8 // one uint64 key per kept neighbour
	var p memPlan
	for _, d := range dims {
		p.inputs += int64(n) * int64(d) * 4
	}
	p.graph = int64(n) * (int64(k)*item + 8)
	// Per worker: private heaps; score buffers (two of block x 32 lanes, or eight of block for
	// the four-query kernel) and the panel kernel's index and mask arrays.
	perWorker := int64(block)*(int64(k)*item+8) + int64(block)*(2*32*4+8)
	var panels int64 // the current block packed as panels, all modalities
	for _, d := range dims {
		panels += int64(block) * int64(d) * 4
	}
	p.working = int64(threads)*perWorker + panels + 4<<20 // + read, checkpoint and output buffers
	if idsBytes > 0 {
		p.working += idsBytes + int64(n)*16 // the text plus one string header per id
	}
	p.runtime = runtimeAllowance
	return p
}
