package crashtest

import (
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

const (
	writers   = 4
	batchSize = 16
	dim       = 8
)

// batchState is what the test knows about one upsert batch of one writer.
type batchState struct {
	upsertAcked bool // the upsert returned 200 (wait=true)
	deleteSent  bool // a delete was sent (maybe not acknowledged)
	deleteAcked bool
}

func pointID(w, batch, j int) uint64 { return uint64(w)<<32 | uint64(batch*batchSize+j) }

func vectorOf(id uint64) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32((id*2654435761+uint64(i)*40503)%1000) / 1000
	}
	return v
}

// TestCrashRecovery starts the server, drives concurrent wait=true upserts and deletes, kills it
// with SIGKILL at a random moment, restarts it and checks every acknowledged write: acknowledged
// upserts are present with their payload, acknowledged deletes are gone, and every batch — even
// one in flight at the kill — is either wholly present or wholly absent.
func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the real binary")
	}
	rounds := 20
	if v := os.Getenv("CRASH_ROUNDS"); v != "" {
		rounds, _ = strconv.Atoi(v)
	}
	dir := t.TempDir()
	// A tiny seal threshold so checkpoints, merges and WAL truncation happen during the test.
	args := []string{"--seal-bytes", "4096", "--seal-after", "50ms", "--log-level", "warn"}
	s := start(t, dir, args...)
	s.mustCall("PUT", "/collections/crash", map[string]any{"vectors": map[string]any{"size": dim, "distance": "Euclid"}}, nil)
	s.mustCall("PUT", "/collections/crash/index?wait=true", map[string]any{"field_name": "w", "field_schema": "integer"}, nil)
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	state := make([][]batchState, writers)
	next := make([]int, writers)
	for round := 0; round < rounds; round++ {
		var wg sync.WaitGroup
		stop := make(chan struct{})
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				wr := rand.New(rand.NewSource(int64(round*100 + w)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					if wr.Intn(4) == 0 && next[w] > 2 {
						b := wr.Intn(next[w] - 1)
						if !state[w][b].upsertAcked || state[w][b].deleteSent {
							continue
						}
						state[w][b].deleteSent = true
						var body map[string]any
						if wr.Intn(2) == 0 {
							ids := make([]uint64, batchSize)
							for j := range ids {
								ids[j] = pointID(w, b, j)
							}
							body = map[string]any{"points": ids}
						} else {
							body = map[string]any{"filter": map[string]any{"must": []any{
								map[string]any{"key": "w", "match": map[string]any{"value": w}},
								map[string]any{"key": "batch", "match": map[string]any{"value": b}}}}}
						}
						if code, _ := s.call("POST", "/collections/crash/points/delete?wait=true", body, nil); code == 200 {
							state[w][b].deleteAcked = true
						} else if code != 0 {
							t.Errorf("delete answered %d", code)
						}
						continue
					}
					b := next[w]
					next[w]++
					state[w] = append(state[w], batchState{})
					pts := make([]map[string]any, batchSize)
					for j := range pts {
						id := pointID(w, b, j)
						pts[j] = map[string]any{"id": id, "vector": vectorOf(id), "payload": map[string]any{"w": w, "batch": b, "j": j}}
					}
					code, err := s.call("PUT", "/collections/crash/points?wait=true", map[string]any{"points": pts}, nil)
					if code == 200 {
						state[w][b].upsertAcked = true
					} else if code != 0 {
						t.Errorf("upsert answered %d: %v", code, err)
					}
				}
			}(w)
		}
		time.Sleep(time.Duration(50+rng.Intn(400)) * time.Millisecond)
		s.kill()
		close(stop)
		wg.Wait()
		s = start(t, dir, args...)
		verify(t, s, state, round)
	}
	s.stop()
}

func verify(t *testing.T, s *server, state [][]batchState, round int) {
	t.Helper()
	acked, deleted := 0, 0
	for w := range state {
		ids := []uint64{}
		for b := range state[w] {
			for j := 0; j < batchSize; j++ {
				ids = append(ids, pointID(w, b, j))
			}
		}
		var recs []struct {
			ID      uint64         `json:"id"`
			Payload map[string]any `json:"payload"`
			Vector  []float32      `json:"vector"`
		}
		s.mustCall("POST", "/collections/crash/points", map[string]any{"ids": ids, "with_payload": true, "with_vector": true}, &recs)
		present := map[uint64]bool{}
		for _, r := range recs {
			present[r.ID] = true
			if fmt.Sprint(r.Payload["w"]) != fmt.Sprint(w) || r.Vector[3] != vectorOf(r.ID)[3] {
				t.Fatalf("round %d: point %d has wrong content: %v", round, r.ID, r.Payload)
			}
		}
		for b, st := range state[w] {
			n := 0
			for j := 0; j < batchSize; j++ {
				if present[pointID(w, b, j)] {
					n++
				}
			}
			switch {
			case n != 0 && n != batchSize:
				t.Fatalf("round %d: writer %d batch %d half applied: %d of %d points", round, w, b, n, batchSize)
			case st.deleteAcked && n != 0:
				t.Fatalf("round %d: writer %d batch %d: acknowledged delete lost", round, w, b)
			case st.upsertAcked && !st.deleteSent && n == 0:
				t.Fatalf("round %d: writer %d batch %d: acknowledged upsert lost", round, w, b)
			}
			if st.upsertAcked {
				acked++
			}
			if st.deleteAcked {
				deleted++
			}
			// Align the model with what survived, for the next round's deletes.
			state[w][b].upsertAcked = n == batchSize
			if n == 0 {
				state[w][b].deleteSent = st.deleteSent
			}
		}
	}
	t.Logf("round %d: %d acknowledged batches checked, %d acknowledged deletes", round, acked, deleted)
}
