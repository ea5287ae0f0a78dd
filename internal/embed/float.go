package embed

import (
	"math"
	"strconv"
	"unsafe"
)

// parseFloat32Slow is the fallback: strconv on a whole token, reporting non-finite values.
func parseFloat32Slow(tok []byte) (f float32, ok bool) {
	v, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(tok), len(tok)), 32)
	if err != nil && !math.IsInf(v, 0) { // a syntax error; out of range is ±Inf
		return 0, false
	}
	return float32(v), true
}
