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

	wantCode := "generic"
	switch {
	case want == "avx512" && cpu.X86.HasAVX512VNNI && cpu.X86.HasAVX512BW:
		wantCode = "avx512vnni"
	case want != "generic":
		wantCode = "avx2"
	}
	if got := CodeImpl(); got != wantCode {
		t.Errorf("CodeImpl() = %q, want %q for this CPU", got, wantCode)
	}
	if best := gatherSupported()[0].name; best != wantCode && !(wantCode == "avx2" && best == "avx512") {
		t.Errorf("best gather implementation %q, CodeImpl() %q", best, wantCode)
	}
	t.Logf("CodeImpl() = %s; testing %d gather implementations", CodeImpl(), len(gatherSupported()))

	wantBits := "generic"
	if want == "avx512" && cpu.X86.HasAVX512VPOPCNTDQ {
		wantBits = "avx512vpopcntdq"
	}
	if got := HammingImpl(); got != wantBits {
		t.Errorf("HammingImpl() = %q, want %q for this CPU", got, wantBits)
	}

	wantF16 := "generic"
	if want == "avx512" && cpu.X86.HasAVX512BW {
		wantF16 = "avx512"
	}
	if got := F16Impl(); got != wantF16 {
		t.Errorf("F16Impl() = %q, want %q for this CPU", got, wantF16)
	}
}
