package bench

import (
	"slices"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	// 1..100 ms, shuffled.
	var s []time.Duration
	for i := 100; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	orig := slices.Clone(s)
	got := Percentiles(s, 0, 50, 99, 100, 25)
	want := []time.Duration{
		1 * time.Millisecond,
		50500 * time.Microsecond, // rank 49.5 between 50 and 51 ms
		99010 * time.Microsecond, // rank 98.01
		100 * time.Millisecond,
		25750 * time.Microsecond, // rank 24.75
	}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	if !slices.Equal(s, orig) {
		t.Error("samples were modified")
	}
	if got := Percentiles([]time.Duration{7}, 50, 99.9); !slices.Equal(got, []time.Duration{7, 7}) {
		t.Errorf("one sample: %v", got)
	}
	if got := Percentiles(nil, 50, 99); !slices.Equal(got, []time.Duration{0, 0}) {
		t.Errorf("no samples: %v", got)
	}
	if got := Percentiles(s); len(got) != 0 {
		t.Errorf("no ps: %v", got)
	}
}

func TestPercentilesPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for p=101")
		}
	}()
	Percentiles([]time.Duration{1}, 101)
}
