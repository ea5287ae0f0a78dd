// Command needle is the Needle vector search server and its tools.
//
//	needle serve [--listen ADDR] [--data-dir DIR] [--config FILE] ...
//	needle version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/needlevdb/needle/internal/config"
	"github.com/needlevdb/needle/internal/distance"
	"github.com/needlevdb/needle/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

const usage = `needle: a Qdrant-compatible vector search engine in one binary.

Usage:
  needle serve [flags]     start the server (needle serve -h lists the flags)
  needle check DATA_DIR    verify every file of a data directory (read-only)
  needle snapshot create|restore ...   offline snapshots (needle snapshot lists flags)
  needle bench ann ...     exact-search benchmark on .npy/.fvecs datasets (needle bench lists flags)
  needle knn-graph ...     all-pairs top-K neighbour graph to scipy .npz or TSV (needle knn-graph -h)
  needle version           print the version

`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "check":
		return checkCmd(args[1:], stdout, stderr)
	case "snapshot":
		return snapshotCmd(args[1:], stdout, stderr)
	case "bench":
		return benchCmd(args[1:], stdout, stderr)
	case "knn-graph":
		return knnGraphCmd(args[1:], stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "needle %s (Qdrant API %s, kernels %s)\n", version, server.QdrantVersion, distance.Impl())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "needle: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func serve(args []string, stderr io.Writer) int {
	cfg, err := config.Load(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "needle serve: %v\n", err)
		return 2
	}
	logger := newLogger(cfg, stderr)
	if err := runServer(cfg, logger); err != nil {
		logger.Error("server stopped with an error", "err", err)
		return 1
	}
	return 0
}

func runServer(cfg config.Config, logger *slog.Logger) error {
	srv, err := server.New(cfg, version, logger)
	if err != nil {
		return err
	}
	if err := srv.Listen(); err != nil {
		srv.Close()
		return err
	}
	logger.Info("needle is serving", "addr", "http://"+srv.Addr(), "data_dir", cfg.DataDir, "version", version, "kernels", distance.Impl())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing in-flight requests and flushing collections")
	if err := srv.Shutdown(context.Background()); err != nil {
		return err
	}
	logger.Info("shutdown complete")
	return nil
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
