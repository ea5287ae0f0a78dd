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

// RSSAnon returns the anonymous part of this process's resident set (heap,
// stacks; not mapped files) in bytes, from the RssAnon line of
// /proc/self/status; -1 where it is unavailable.
func RSSAnon() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("RssAnon:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			return -1
		}
		kb, err := strconv.ParseInt(string(f[0]), 10, 64)
		if err != nil {
			return -1
		}
		return kb << 10
	}
	return -1
}
