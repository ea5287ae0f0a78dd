package wal

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// CheckResult describes a log directory as found, without modifying it.
type CheckResult struct {
	Files     int
	Records   int
	FirstSeq  uint64 // 0 when the log holds no record
	LastSeq   uint64
	TornBytes int64 // bytes after the last valid record of the active file (cut off by Open)
}

// Check reads every record of the log in dir and reports what Open would find: a torn tail of the
// active file is reported, not repaired; any other damage is returned as a *CorruptionError.
func Check(dir string) (CheckResult, error) {
	var res CheckResult
	entries, err := os.ReadDir(dir)
	if err != nil {
		return res, fmt.Errorf("read wal dir: %w", err)
	}
	var firsts []uint64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(e.Name(), ".log"), 10, 64)
		if err != nil {
			return res, &CorruptionError{File: filepath.Join(dir, e.Name()), Reason: "unexpected file name in wal directory"}
		}
		firsts = append(firsts, n)
	}
	sort.Slice(firsts, func(i, j int) bool { return firsts[i] < firsts[j] })
	res.Files = len(firsts)
	for i, first := range firsts {
		path := filepath.Join(dir, fileName(first))
		f, err := os.Open(path)
		if err != nil {
			return res, fmt.Errorf("open wal file: %w", err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return res, err
		}
		if st.Size() < int64(len(magic)) && i == len(firsts)-1 {
			f.Close()
			res.TornBytes = st.Size()
			continue
		}
		end, _, err := scan(f, path, st.Size(), 0, func(seq uint64, _ []byte) error {
			if res.Records > 0 && seq != res.LastSeq+1 {
				return &CorruptionError{File: path, Reason: fmt.Sprintf("sequence %d after %d", seq, res.LastSeq)}
			}
			if res.Records == 0 {
				res.FirstSeq = seq
			}
			res.Records++
			res.LastSeq = seq
			return nil
		})
		f.Close()
		if err != nil {
			return res, err
		}
		if end < st.Size() {
			if i != len(firsts)-1 {
				return res, &CorruptionError{File: path, Offset: end, Reason: "incomplete record in a closed wal file"}
			}
			res.TornBytes = st.Size() - end
		}
	}
	return res, nil
}
