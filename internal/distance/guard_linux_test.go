package distance

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guarded returns n random floats that end exactly where an inaccessible
// page begins, so a kernel that loads even one lane past the end faults.
// (The masked tail loads rely on fault suppression for masked-off lanes.)
func guarded(t *testing.T, r *rand.Rand, n int) []float32 {
	t.Helper()
	page := syscall.Getpagesize()
	data := (n*4 + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	all := unsafe.Slice((*float32)(unsafe.Pointer(&mem[0])), data/4)
	v := all[data/4-n:]
	for i := range v {
		v[i] = 2*r.Float32() - 1
	}
	return v
}

func TestNoReadPastEnd(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for _, im := range supported() {
		for _, n := range lengths {
			a, b := guarded(t, r, n), guarded(t, r, n)
			for _, k := range kernels {
				want, scale := k.ref(a, b)
				if got := k.get(im)(a, b); !near(got, want, scale) {
					t.Errorf("%s/%s n=%d: got %v, want %v", im.name, k.name, n, got, want)
				}
			}
			const cnt = 3
			base := guarded(t, r, n*cnt)
			out := make([]float32, cnt)
			for _, k := range batchKernels {
				k.batch(im)(a, base, out)
			}
			var outs [4][]float32
			for j := range outs {
				outs[j] = make([]float32, cnt)
			}
			im.dotBatch4(a, b, a, b, base, outs[0], outs[1], outs[2], outs[3])
			im.l2SqBatch4(a, b, a, b, base, outs[0], outs[1], outs[2], outs[3])
		}
	}
}
