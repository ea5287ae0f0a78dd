package corruption

import (
	"errors"
	"testing"
)

func TestError(t *testing.T) {
	kind := errors.New("fmt: corrupt data")
	err := At(kind, 42, "bad %s", "magic")
	var e *Error
	if !errors.Is(err, kind) || !errors.As(err, &e) || e.Offset != 42 {
		t.Fatalf("err %v does not wrap its kind or carry its offset", err)
	}
	if got, want := err.Error(), "fmt: corrupt data at offset 42: bad magic"; got != want {
		t.Errorf("message %q, want %q", got, want)
	}
}
