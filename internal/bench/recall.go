package bench

import (
	"fmt"
	"slices"
)

// ID is any integer type an index may use for result ids.
type ID interface {
	~int | ~int32 | ~int64 | ~uint32 | ~uint64
}

// Recall returns recall@k: over the rows of results, the number of distinct
// ids among the first k ground-truth ids of a row that also occur among the
// first k result ids of that row, divided by len(results)*k. This is the
// definition peers.py uses, so the two are comparable.
//
// Row i of results is compared with row i of gt; results may have fewer
// rows than gt (a query subset) and a row may hold fewer than k ids (those
// missing count as misses). Recall panics if results has more rows than gt
// or if k exceeds gt.Cols, since either means the caller paired the wrong
// files. It returns 0 when results is empty or k <= 0.
func Recall[T ID](results [][]T, gt *IntMatrix, k int) float64 {
	if len(results) > gt.Rows {
		panic(fmt.Sprintf("bench.Recall: %d result rows but the ground truth has only %d", len(results), gt.Rows))
	}
	if k > gt.Cols {
		panic(fmt.Sprintf("bench.Recall: k=%d but the ground truth has only %d ids per row", k, gt.Cols))
	}
	if len(results) == 0 || k <= 0 {
		return 0
	}
	res := make([]int64, 0, k)
	truth := make([]int64, 0, k)
	hits := 0
	for i, row := range results {
		res = res[:0]
		for _, id := range row[:min(k, len(row))] {
			res = append(res, int64(id))
		}
		truth = truth[:0]
		for _, id := range gt.Row(i)[:k] {
			truth = append(truth, int64(id))
		}
		hits += intersectSorted(sortUnique(res), sortUnique(truth))
	}
	return float64(hits) / float64(len(results)*k)
}

func sortUnique(s []int64) []int64 {
	slices.Sort(s)
	return slices.Compact(s)
}

// intersectSorted counts the values two sorted, duplicate-free slices share.
func intersectSorted(a, b []int64) int {
	n := 0
	for len(a) > 0 && len(b) > 0 {
		switch {
		case a[0] < b[0]:
			a = a[1:]
		case a[0] > b[0]:
			b = b[1:]
		default:
			n++
			a, b = a[1:], b[1:]
		}
	}
	return n
}
