//go:build purego

package distance

import "testing"

func TestPuregoIsGeneric(t *testing.T) {
	if got := Impl(); got != "generic" {
		t.Errorf("Impl() = %q under the purego tag, want generic", got)
	}
	if impls := supported(); len(impls) != 1 || impls[0].name != "generic" {
		t.Errorf("supported() under purego has %d implementations, want only generic", len(impls))
	}
	if got := CodeImpl(); got != "generic" {
		t.Errorf("CodeImpl() = %q under the purego tag, want generic", got)
	}
	if impls := gatherSupported(); len(impls) != 1 || impls[0].name != "generic" {
		t.Errorf("gatherSupported() under purego has %d implementations, want only generic", len(impls))
	}
	if got := HammingImpl(); got != "generic" {
		t.Errorf("HammingImpl() = %q under the purego tag, want generic", got)
	}
	if impls := bitsSupported(); len(impls) != 1 || impls[0].name != "generic" {
		t.Errorf("bitsSupported() under purego has %d implementations, want only generic", len(impls))
	}
	if got := F16Impl(); got != "generic" {
		t.Errorf("F16Impl() = %q under the purego tag, want generic", got)
	}
	if impls := f16Supported(); len(impls) != 1 || impls[0].name != "generic" {
		t.Errorf("f16Supported() under purego has %d implementations, want only generic", len(impls))
	}
}
