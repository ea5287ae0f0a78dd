package bench

import (
	"math"
	"testing"
)

func TestRecall(t *testing.T) {
	gt := &IntMatrix{Rows: 3, Cols: 4, Data: []int32{
		1, 2, 3, 4,
		5, 6, 7, 8,
		9, 10, 11, 12,
	}}
	results := [][]int32{
		{3, 1, 99, 2}, // k=3: {3,1,99} vs {1,2,3}: 2 hits
		{8, 7, 6, 5},  // k=3: {8,7,6} vs {5,6,7}: 2 hits
		{9, 9, 9},     // duplicates count once: 1 hit
	}
	if got, want := Recall(results, gt, 3), 5.0/9; math.Abs(got-want) > 1e-12 {
		t.Errorf("Recall@3 = %v, want %v", got, want)
	}
	// k=4: 3 + 4 + 1 hits over 12.
	if got, want := Recall(results, gt, 4), 8.0/12; math.Abs(got-want) > 1e-12 {
		t.Errorf("Recall@4 = %v, want %v", got, want)
	}
	// k=1 on a query subset, other id types.
	if got := Recall([][]uint64{{1}, {6}}, gt, 1); got != 0.5 {
		t.Errorf("Recall@1 = %v, want 0.5", got)
	}
	if got := Recall([][]int{{1, 2, 3, 4}, {5, 6, 7, 8}, {12, 11, 10, 9}}, gt, 4); got != 1 {
		t.Errorf("perfect Recall@4 = %v", got)
	}
	if got := Recall([][]int64{{}, {}}, gt, 2); got != 0 {
		t.Errorf("empty rows: %v", got)
	}
	if got := Recall([][]int32{}, gt, 2); got != 0 {
		t.Errorf("no rows: %v", got)
	}
}

func TestRecallPanics(t *testing.T) {
	gt := &IntMatrix{Rows: 1, Cols: 2, Data: []int32{1, 2}}
	for name, f := range map[string]func(){
		"rows": func() { Recall([][]int32{{1}, {2}}, gt, 1) },
		"k":    func() { Recall([][]int32{{1}}, gt, 3) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
