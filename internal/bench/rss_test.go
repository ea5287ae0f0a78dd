package bench

import (
	"runtime"
	"testing"
)

func TestRSS(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("RSS reads /proc")
	}
	before := RSS()
	if before <= 0 {
		t.Fatalf("RSS() = %d", before)
	}
	const size = 64 << 20
	b := make([]byte, size)
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	after := RSS()
	if after-before < size/2 {
		t.Errorf("RSS grew by %d bytes after touching %d", after-before, size)
	}
	runtime.KeepAlive(b)
}
