package collection

import (
	"context"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// BenchmarkSubmitGroupCommit measures acknowledged (wait=true, fsynced) single-point upserts of
// dim 128 from 1 and 64 concurrent writers, without HTTP: what group commit buys at the storage
// layer. Reports points/s.
func BenchmarkSubmitGroupCommit(b *testing.B) {
	for _, writers := range []int{1, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			m, err := OpenManager(b.TempDir(), testOptions(), quiet)
			if err != nil {
				b.Fatal(err)
			}
			defer m.Close()
			m.Create("c", &Config{Vectors: map[string]VectorParams{"": {Size: 128, Distance: Cosine}}, Unnamed: true})
			c, _ := m.Get("c")
			rng := rand.New(rand.NewSource(1))
			vecs := make([][]float32, 1024)
			for i := range vecs {
				vecs[i] = randVec(rng, 128)
			}
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						op := &Op{Kind: OpUpsert, Points: []Point{{ID: pointid.Num(uint64(i)), Vectors: map[string][]float32{"": vecs[i%1024]}}}}
						if _, err := c.Submit(context.Background(), op, true); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "points/s")
		})
	}
}
