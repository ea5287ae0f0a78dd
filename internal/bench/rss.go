package bench

import (
	"bytes"
	"os"
	"strconv"
)

// RSS returns the current resident set size of this process in bytes: the
// second field of /proc/self/statm (resident pages) times the page size.
// It returns -1 where /proc is unavailable (non-Linux systems).
func RSS() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return -1
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return -1
	}
	pages, err := strconv.ParseInt(string(f[1]), 10, 64)
	if err != nil {
		return -1
	}
	return pages * int64(os.Getpagesize())
}
