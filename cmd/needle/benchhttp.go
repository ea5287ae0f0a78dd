package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/needlevdb/needle/internal/bench"
)

const benchHTTPUsage = `Usage:
  needle bench http --url URL --collection NAME --vectors FILE (--requests N | --duration D)
                    [--concurrency C] [--rate R] [--warmup W] [--k 10] [--hnsw-ef N] [--exact]
                    [--filter JSON] [--write-ratio X] [--api-key K] [--json]

Drives POST /collections/NAME/points/query of a Qdrant-compatible server with the vectors of
FILE (.npy, .fvecs, .bvecs), cycled. Closed loop by default: C workers, each sending its next
request when the previous one is answered. With --rate R, open loop: R requests/s scheduled
whatever the server does, latency counted from the scheduled time, at most C outstanding (a
request that finds C outstanding is counted as error "client-overloaded", not queued).
--write-ratio X makes that fraction of requests single-point upserts (PUT .../points?wait=true)
of new ids. A progress line goes to stderr; the summary to stdout (with --json, a JSON object
on stdout and the human summary on stderr).

For http:// URLs the requests go through a built-in HTTP/1.1 client (one keep-alive connection
per worker, request bytes prepared once), which takes about half the CPU of Go's net/http client
on the machine it shares with the server under test; --std-client uses net/http instead (https
always does).

Flags:
`

func benchHTTPCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench http", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, benchHTTPUsage); fs.PrintDefaults() }
	var cfg bench.HTTPConfig
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:6333", "server base URL")
	fs.StringVar(&cfg.Collection, "collection", "", "collection name")
	fs.StringVar(&cfg.Vectors, "vectors", "", "query vectors (.npy, .fvecs, .bvecs), cycled")
	fs.Int64Var(&cfg.Requests, "requests", 0, "requests to measure (default 1000 without --duration; with it, no limit)")
	fs.IntVar(&cfg.Concurrency, "concurrency", 10, "closed loop: workers; open loop: most outstanding requests")
	fs.DurationVar(&cfg.Duration, "duration", 0, "measure for at most this long, e.g. 20s")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: requests per second (0: closed loop)")
	fs.DurationVar(&cfg.Warmup, "warmup", 0, "apply the same load this long first, not counted")
	fs.IntVar(&cfg.K, "k", 10, "limit (neighbours) of each query")
	fs.IntVar(&cfg.HnswEf, "hnsw-ef", 0, "send params.hnsw_ef (0: not sent)")
	fs.BoolVar(&cfg.Exact, "exact", false, "send params.exact=true")
	filter := fs.String("filter", "", "Qdrant filter object sent with every query, as JSON")
	fs.Float64Var(&cfg.WriteRatio, "write-ratio", 0, "fraction of requests that upsert one new point (0..1)")
	fs.Uint64Var(&cfg.IDStart, "id-start", 0, "first id of upserted points (0: derived from the clock, so runs do not overlap)")
	fs.StringVar(&cfg.APIKey, "api-key", os.Getenv("NEEDLE_API_KEY"), "sent as the api-key header (default $NEEDLE_API_KEY)")
	fs.DurationVar(&cfg.Timeout, "timeout", 30*time.Second, "per-request timeout")
	fs.DurationVar(&cfg.Progress, "progress", 500*time.Millisecond, "progress line interval on stderr (0: none)")
	noPreflight := fs.Bool("no-preflight", false, "skip the GET /collections/NAME check before the load")
	fs.BoolVar(&cfg.StdClient, "std-client", false, "send with Go's net/http client instead of the built-in HTTP/1.1 client (which https URLs always use)")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object on stdout")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "needle bench http: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if cfg.Requests == 0 && cfg.Duration == 0 {
		cfg.Requests = 1000
	}
	if *filter != "" {
		cfg.Filter = json.RawMessage(*filter)
	}
	cfg.SkipPreflight = *noPreflight
	cfg.ProgressTTY = isTerminal(stderr)
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "needle bench http: %v\n", err)
		return 2
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := bench.RunHTTP(ctx, cfg, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "needle bench http: %v\n", err)
		return 1
	}
	if !*asJSON {
		bench.WriteHTTPSummary(stdout, res)
		return 0
	}
	bench.WriteHTTPSummary(stderr, res)
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintf(stderr, "needle bench http: %v\n", err)
		return 1
	}
	return 0
}

// isTerminal reports whether w is a character device (a terminal), where the
// progress line can rewrite itself.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
