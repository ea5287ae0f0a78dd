//go:build !purego

package distance

import (
	"testing"

	"golang.org/x/sys/cpu"
)

func TestDispatchPicksBest(t *testing.T) {
	want := "generic"
	switch {
	case cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasBMI2 && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		want = "avx512"
	case cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		want = "avx2"
	}
	if got := Impl(); got != want {
		t.Errorf("Impl() = %q, want %q for this CPU", got, want)
	}
	t.Logf("Impl() = %s; testing %d implementations", Impl(), len(supported()))
}
