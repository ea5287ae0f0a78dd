package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/needlevdb/needle/internal/collection"
)

// checkCmd is `needle check DATA_DIR`: verify every file, report, exit 1 if anything is damaged.
func checkCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: needle check DATA_DIR")
		return 2
	}
	findings, err := collection.Check(args[0])
	if err != nil {
		fmt.Fprintf(stderr, "needle check: %v\n", err)
		return 1
	}
	bad := 0
	for _, f := range findings {
		if f.Err != nil {
			bad++
			fmt.Fprintf(stdout, "FAIL %s: %s: %v\n", f.Collection, f.What, f.Err)
		} else {
			fmt.Fprintf(stdout, "ok   %s: %s\n", f.Collection, f.What)
		}
	}
	fmt.Fprintf(stdout, "%d checks, %d problems\n", len(findings), bad)
	if bad > 0 {
		return 1
	}
	return 0
}

const snapshotUsage = `usage:
  needle snapshot create  --data-dir DIR --collection NAME --out FILE
  needle snapshot restore --data-dir DIR --collection NAME --in FILE
The server must not be running on DIR (the data directory is locked while it is).
`

// snapshotCmd is `needle snapshot create|restore` for offline use.
func snapshotCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" && args[0] != "restore" {
		fmt.Fprint(stderr, snapshotUsage)
		return 2
	}
	fs := flag.NewFlagSet("snapshot "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data-dir", "./needle-data", "data directory")
	name := fs.String("collection", "", "collection name")
	out := fs.String("out", "", "archive to write (create)")
	in := fs.String("in", "", "archive to read (restore)")
	if err := fs.Parse(args[1:]); err != nil {
		return 2
	}
	if *name == "" || args[0] == "create" && *out == "" || args[0] == "restore" && *in == "" {
		fmt.Fprint(stderr, snapshotUsage)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := collection.OpenManager(*dataDir, collection.DefaultOptions(), logger)
	if err != nil {
		fmt.Fprintf(stderr, "needle snapshot: %v\n", err)
		return 1
	}
	defer m.Close()
	if args[0] == "create" {
		err = createSnapshotFile(m, *name, *out)
	} else {
		var f *os.File
		if f, err = os.Open(*in); err == nil {
			err = m.Restore(*name, f, nil)
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "needle snapshot %s: %v\n", args[0], err)
		return 1
	}
	fmt.Fprintf(stdout, "snapshot %s of %s: done\n", args[0], *name)
	return 0
}

func createSnapshotFile(m *collection.Manager, name, out string) error {
	c, err := m.Get(name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := c.WriteSnapshot(f); err != nil {
		f.Close()
		os.Remove(out)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
