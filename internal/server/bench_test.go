package server

import (
	"bytes"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

// upsertBodies builds n request bodies of batch points each, dim-d vectors, distinct ids.
func upsertBodies(n, batch, dim int) [][]byte {
	// ids are distinct across bodies, so a body sent again overwrites its own points.
	rng := rand.New(rand.NewSource(1))
	out := make([][]byte, n)
	for b := range out {
		var buf bytes.Buffer
		buf.WriteString(`{"points":[`)
		for i := 0; i < batch; i++ {
			if i > 0 {
				buf.WriteByte(',')
			}
			fmt.Fprintf(&buf, `{"id":%d,"vector":[`, b*batch+i)
			for j := 0; j < dim; j++ {
				if j > 0 {
					buf.WriteByte(',')
				}
				buf.WriteString(strconv.FormatFloat(rng.NormFloat64(), 'f', 6, 32))
			}
			fmt.Fprintf(&buf, `],"payload":{"n":%d}}`, i)
		}
		buf.WriteString(`]}`)
		out[b] = buf.Bytes()
	}
	return out
}

// BenchmarkUpsertHTTP measures wait=true upserts of dim-128 points over real HTTP and reports
// points/s: 256-point batches from 1 and 4 clients (bulk loading), and 1-point batches from 1 and
// 64 clients (many small writers: group commit shares one fsync among concurrent writes).
func BenchmarkUpsertHTTP(b *testing.B) {
	for _, tc := range []struct{ batch, clients int }{{256, 1}, {256, 4}, {1, 1}, {1, 64}} {
		batch, clients := tc.batch, tc.clients
		b.Run(fmt.Sprintf("batch=%d/clients=%d", batch, clients), func(b *testing.B) {
			h := newHarness(b, b.TempDir())
			defer h.close()
			code, _ := h.do("PUT", "/collections/bench", `{"vectors":{"size":128,"distance":"Cosine"}}`)
			if code != 200 {
				b.Fatal("create failed")
			}
			bodies := upsertBodies(max(64, 4096/batch), batch, 128)
			url := h.ts.URL + "/collections/bench/points?wait=true"
			var next atomic.Int64
			b.ResetTimer()
			var wg sync.WaitGroup
			for c := 0; c < clients; c++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						req, _ := http.NewRequest("PUT", url, bytes.NewReader(bodies[i%int64(len(bodies))]))
						resp, err := http.DefaultClient.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != 200 {
							b.Errorf("status %d", resp.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
