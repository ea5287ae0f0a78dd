package usage

import (
	"path/filepath"
	"sync"
	"testing"
	"time"
)

func TestCountsPersistInBatches(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.json")
	tr := Open(path, time.Hour, nil) // no periodic flush during the test
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 1000; i++ {
				c := tr.Caller("key-a")
				c.Requests.Add(1)
				c.Reads.Add(1)
			}
		}()
	}
	wg.Wait()
	tr.Close() // final flush
	tr2 := Open(path, time.Hour, nil)
	defer tr2.Close()
	s := tr2.Snapshot()
	if len(s) != 1 || s[0].Requests != 8000 || s[0].Reads != 8000 {
		t.Fatalf("reloaded %+v", s)
	}
}
