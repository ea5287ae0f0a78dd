package embed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Issue 8's goal: with an upstream of 20 ms fixed latency serving batches of up to 64 (here with
// 4 requests at a time: capacity 4 × 64 / 20 ms = 12,800 texts/s), text-query throughput at
// concurrency 256 is at least half the capacity, and Needle adds at most 2 ms to the p50.
//
//	go test -run '^$' -bench BenchmarkTextQueries -benchtime 20000x ./internal/embed
//
// Every query is a distinct text (no cache hits). The upstream is the fake of fake_test.go (no
// model can run here); "direct" is the peer: one text per request straight to the same fake
// with a plain pooled http.Client, i.e. the upstream's own latency as a client sees it.
const (
	benchLatency  = 20 * time.Millisecond
	benchMaxBatch = 64
	benchConc     = 4
)

func BenchmarkTextQueries(b *testing.B) {
	for _, dims := range []int{384, 768} {
		for _, enc := range []string{"base64", "float"} { // base64 is the default
			b.Run(fmt.Sprintf("dims=%d/%s/direct/c=1", dims, enc), func(b *testing.B) { benchDirect(b, dims, enc) })
			b.Run(fmt.Sprintf("dims=%d/%s/direct-batches/c=%d", dims, enc, benchConc), func(b *testing.B) { benchDirectBatches(b, dims, enc) })
			for _, c := range []int{1, 256} {
				b.Run(fmt.Sprintf("dims=%d/%s/needle/c=%d", dims, enc, c), func(b *testing.B) { benchNeedle(b, dims, enc, c) })
			}
		}
	}
}

func benchFake(b *testing.B, dims int) *fakeUpstream {
	f := newFake(b, dims)
	f.latency = benchLatency
	f.maxBatch = benchMaxBatch
	f.slots = make(chan struct{}, benchConc)
	return f
}

func benchNeedle(b *testing.B, dims int, enc string, conc int) {
	f := benchFake(b, dims)
	p := Provider{
		Name: "bench", Dimensions: dims, Encoding: enc,
		MaxBatch: benchMaxBatch, MaxConcurrency: benchConc, Timeout: 10 * time.Second,
		Upstreams: []Upstream{{BaseURL: f.srv.URL}},
	}
	e, _ := newTestEmbedder(b, nil, p)
	ctx := context.Background()
	var seq atomic.Int64
	query := func() (time.Duration, error) {
		text := "what is the capital of country number " + strconv.FormatInt(seq.Add(1), 10)
		start := time.Now()
		v, err := e.EmbedOne(ctx, "bench", text)
		d := time.Since(start)
		if err == nil && v[0] != marker(text) {
			err = fmt.Errorf("wrong vector for %q", text)
		}
		return d, err
	}
	lat := runClosedLoop(b, conc, query)
	calls, texts := f.calls.Load(), f.texts.Load()
	reportLatency(b, lat)
	if calls > 0 {
		b.ReportMetric(float64(texts)/float64(calls), "texts/batch")
	}
	// Needle's own measure of one upstream request (send to parsed), warm-up included: what the
	// upstream costs at this batch size on this machine, before any queueing.
	var m dto.Metric
	if err := e.providers["bench"].ups[0].latency.(prometheus.Metric).Write(&m); err == nil && m.Histogram.GetSampleCount() > 0 {
		b.ReportMetric(1000*m.Histogram.GetSampleSum()/float64(m.Histogram.GetSampleCount()), "upstream-call-ms")
	}
}

func benchDirect(b *testing.B, dims int, enc string) {
	f := benchFake(b, dims)
	client := &http.Client{Transport: newTransport(1, 10*time.Second)}
	var seq atomic.Int64
	query := func() (time.Duration, error) {
		req := embeddingsRequest{Model: "bench", Input: []string{"direct query " + strconv.FormatInt(seq.Add(1), 10)}}
		if enc == "base64" {
			req.EncodingFormat = enc
		}
		body := fmt.Appendf(nil, `{"model":%q,"input":[%q],"encoding_format":%q}`, req.Model, req.Input[0], req.EncodingFormat)
		start := time.Now()
		resp, err := client.Post(f.srv.URL+"/v1/embeddings", "application/json", bytes.NewReader(body))
		if err != nil {
			return 0, err
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(start), err
	}
	reportLatency(b, runClosedLoop(b, 1, query))
}

// benchDirectBatches is the ceiling on this machine: benchConc clients sending full batches of
// benchMaxBatch texts straight to the fake and parsing the answers with the same parser, no
// Needle in between. Each op is one text.
func benchDirectBatches(b *testing.B, dims int, enc string) {
	f := benchFake(b, dims)
	client := &http.Client{Transport: newTransport(benchConc, 10*time.Second)}
	var seq atomic.Int64
	batch := func() error {
		req := embeddingsRequest{Model: "bench", Input: make([]string, benchMaxBatch)}
		for i := range req.Input {
			req.Input[i] = "direct query " + strconv.FormatInt(seq.Add(1), 10)
		}
		if enc == "base64" {
			req.EncodingFormat = enc
		}
		body, _ := json.Marshal(&req)
		resp, err := client.Post(f.srv.URL+"/v1/embeddings", "application/json", bytes.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		_, err = parseResponse(raw, benchMaxBatch, dims, nil)
		return err
	}
	nb := int64((b.N + benchMaxBatch - 1) / benchMaxBatch)
	var next atomic.Int64
	var failed atomic.Pointer[error]
	for range benchConc { // warm-up
		batch()
	}
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for range benchConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= nb {
				if err := batch(); err != nil {
					failed.Store(&err)
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	tput := float64(nb*benchMaxBatch) / elapsed.Seconds()
	b.ReportMetric(tput, "texts/s")
	b.ReportMetric(100*tput/(float64(benchConc*benchMaxBatch)/benchLatency.Seconds()), "%capacity")
	b.ReportMetric(0, "ns/op")
}

// runClosedLoop runs b.N queries from conc goroutines, each sending its next query when the
// previous one returns, after a warm-up round; it reports throughput and returns the latencies.
func runClosedLoop(b *testing.B, conc int, query func() (time.Duration, error)) []time.Duration {
	var firstErr error
	var errOnce sync.Once
	run := func(n int, lat []time.Duration) {
		var next atomic.Int64
		var wg sync.WaitGroup
		for range conc {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= n {
						return
					}
					d, err := query()
					if err != nil {
						errOnce.Do(func() { firstErr = err })
						return
					}
					if lat != nil {
						lat[i] = d
					}
				}
			}()
		}
		wg.Wait()
	}
	run(2*conc, nil) // warm-up: connections open, batches in their steady rhythm
	lat := make([]time.Duration, b.N)
	b.ResetTimer()
	start := time.Now()
	run(b.N, lat)
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	tput := float64(b.N) / elapsed.Seconds()
	b.ReportMetric(tput, "texts/s")
	capacity := float64(benchConc*benchMaxBatch) / benchLatency.Seconds()
	b.ReportMetric(100*tput/capacity, "%capacity")
	return lat
}

func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(0.5)-float64(benchLatency)/1e6, "added-p50-ms")
	b.ReportMetric(0, "ns/op") // per-op time is meaningless here; see texts/s
}
