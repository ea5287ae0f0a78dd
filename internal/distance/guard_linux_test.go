package distance

import (
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardedBytes returns n bytes that end exactly where an inaccessible page
// begins, so a kernel that reads one byte too far faults. (The masked tail
// loads rely on fault suppression for masked-off lanes.)
func guardedBytes(t *testing.T, n int) []byte {
	t.Helper()
	page := syscall.Getpagesize()
	data := (n + page - 1) / page * page
	mem, err := syscall.Mmap(-1, 0, data+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = syscall.Munmap(mem) })
	if err := syscall.Mprotect(mem[data:], syscall.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	return mem[data-n : data : data]
}

// guardedOf returns n values drawn by next that end exactly where an
// inaccessible page begins, so a kernel that loads even one element past
// the end faults.
func guardedOf[T any](t *testing.T, r *rand.Rand, n int, next func(*rand.Rand) T) []T {
	t.Helper()
	v := bytesAs[T](guardedBytes(t, n*int(unsafe.Sizeof(*new(T)))))
	for i := range v {
		v[i] = next(r)
	}
	return v
}

// guarded is guardedOf for random floats in [-1, 1).
func guarded(t *testing.T, r *rand.Rand, n int) []float32 {
	t.Helper()
	return guardedOf(t, r, n, randUnit)
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
