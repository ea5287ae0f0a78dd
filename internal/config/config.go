// Package config holds Needle's one configuration struct: documented defaults, an optional YAML
// file, NEEDLE_* environment variables and command-line flags, applied in that order so that a flag
// beats the environment, which beats the file, which beats the default. Validate is called once at
// start-up.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the server's configuration. Every field has a yaml key, an env variable and a flag.
type Config struct {
	// Listen is the TCP address of the REST API (flag --listen, NEEDLE_LISTEN).
	Listen string `yaml:"listen"`
	// DataDir holds every collection (flag --data-dir, NEEDLE_DATA_DIR).
	DataDir string `yaml:"data_dir"`
	// MaxBodyBytes limits a request body (flag --max-body-bytes, NEEDLE_MAX_BODY_BYTES).
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// MaxSnapshotBytes limits an uploaded snapshot (flag --max-snapshot-bytes, NEEDLE_MAX_SNAPSHOT_BYTES).
	MaxSnapshotBytes int64 `yaml:"max_snapshot_bytes"`
	// ShutdownTimeout bounds how long in-flight requests may run after SIGTERM.
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	// SealBytes: seal a collection's mutable segment once its vectors take this many bytes
	// (flag --seal-bytes, NEEDLE_SEAL_BYTES). It bounds heap use and the WAL replayed at restart.
	SealBytes int64 `yaml:"seal_bytes"`
	// SealAfter: seal a mutable segment with any data after this long (flag --seal-after).
	SealAfter time.Duration `yaml:"seal_after"`
	// VerifySegments: check every segment file's checksum when a collection opens
	// (flag --verify-segments, NEEDLE_VERIFY_SEGMENTS). Off trades damage detection for start time.
	VerifySegments bool `yaml:"verify_segments"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `yaml:"log_level"`
	// LogFormat is text or json.
	LogFormat string `yaml:"log_format"`
}

// Default returns the built-in defaults.
func Default() Config {
	return Config{
		Listen:           "127.0.0.1:6333",
		DataDir:          "./needle-data",
		MaxBodyBytes:     32 << 20,
		MaxSnapshotBytes: 1 << 40,
		ShutdownTimeout:  30 * time.Second,
		SealBytes:        64 << 20,
		SealAfter:        30 * time.Second,
		VerifySegments:   true,
		LogLevel:         "info",
		LogFormat:        "text",
	}
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	if c.DataDir == "" {
		return errors.New("data-dir must not be empty")
	}
	if c.MaxBodyBytes < 1024 {
		return fmt.Errorf("max-body-bytes must be at least 1024, got %d", c.MaxBodyBytes)
	}
	if c.MaxSnapshotBytes < c.MaxBodyBytes {
		return fmt.Errorf("max-snapshot-bytes must be at least max-body-bytes (%d), got %d", c.MaxBodyBytes, c.MaxSnapshotBytes)
	}
	if c.ShutdownTimeout <= 0 {
		return fmt.Errorf("shutdown-timeout must be positive, got %s", c.ShutdownTimeout)
	}
	if c.SealBytes < 1 || c.SealAfter <= 0 {
		return fmt.Errorf("seal-bytes and seal-after must be positive, got %d and %s", c.SealBytes, c.SealAfter)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log-level must be debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log-format must be text or json, got %q", c.LogFormat)
	}
	return nil
}

// Load builds the configuration of `needle serve` from args (without the subcommand), the
// environment (getenv) and the YAML file named by --config or NEEDLE_CONFIG.
func Load(args []string, getenv func(string) string) (Config, error) {
	cfg := Default()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	var file string
	fs.StringVar(&file, "config", "", "optional YAML configuration file (NEEDLE_CONFIG)")
	listen := fs.String("listen", cfg.Listen, "address of the REST API (NEEDLE_LISTEN)")
	dataDir := fs.String("data-dir", cfg.DataDir, "data directory (NEEDLE_DATA_DIR)")
	maxBody := fs.Int64("max-body-bytes", cfg.MaxBodyBytes, "request body limit in bytes (NEEDLE_MAX_BODY_BYTES)")
	maxSnap := fs.Int64("max-snapshot-bytes", cfg.MaxSnapshotBytes, "uploaded snapshot limit in bytes (NEEDLE_MAX_SNAPSHOT_BYTES)")
	shutdown := fs.Duration("shutdown-timeout", cfg.ShutdownTimeout, "grace period for in-flight requests on shutdown (NEEDLE_SHUTDOWN_TIMEOUT)")
	sealBytes := fs.Int64("seal-bytes", cfg.SealBytes, "seal the mutable segment at this many bytes of vectors (NEEDLE_SEAL_BYTES)")
	sealAfter := fs.Duration("seal-after", cfg.SealAfter, "seal a non-empty mutable segment after this long (NEEDLE_SEAL_AFTER)")
	verify := fs.Bool("verify-segments", cfg.VerifySegments, "check segment checksums when collections open (NEEDLE_VERIFY_SEGMENTS)")
	level := fs.String("log-level", cfg.LogLevel, "debug, info, warn or error (NEEDLE_LOG_LEVEL)")
	format := fs.String("log-format", cfg.LogFormat, "text or json (NEEDLE_LOG_FORMAT)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if file == "" {
		file = getenv("NEEDLE_CONFIG")
	}
	if file != "" {
		raw, err := os.ReadFile(file)
		if err != nil {
			return cfg, fmt.Errorf("read config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(raw)))
		dec.KnownFields(true)
		if err := dec.Decode(&cfg); err != nil && !errors.Is(err, io.EOF) {
			return cfg, fmt.Errorf("parse config file %s: %w", file, err)
		}
	}
	envs := []struct {
		name string
		set  func(string) error
	}{
		{"NEEDLE_LISTEN", func(v string) error { cfg.Listen = v; return nil }},
		{"NEEDLE_DATA_DIR", func(v string) error { cfg.DataDir = v; return nil }},
		{"NEEDLE_MAX_BODY_BYTES", func(v string) (err error) { cfg.MaxBodyBytes, err = strconv.ParseInt(v, 10, 64); return }},
		{"NEEDLE_MAX_SNAPSHOT_BYTES", func(v string) (err error) { cfg.MaxSnapshotBytes, err = strconv.ParseInt(v, 10, 64); return }},
		{"NEEDLE_SHUTDOWN_TIMEOUT", func(v string) (err error) { cfg.ShutdownTimeout, err = time.ParseDuration(v); return }},
		{"NEEDLE_SEAL_BYTES", func(v string) (err error) { cfg.SealBytes, err = strconv.ParseInt(v, 10, 64); return }},
		{"NEEDLE_SEAL_AFTER", func(v string) (err error) { cfg.SealAfter, err = time.ParseDuration(v); return }},
		{"NEEDLE_VERIFY_SEGMENTS", func(v string) (err error) { cfg.VerifySegments, err = strconv.ParseBool(v); return }},
		{"NEEDLE_LOG_LEVEL", func(v string) error { cfg.LogLevel = v; return nil }},
		{"NEEDLE_LOG_FORMAT", func(v string) error { cfg.LogFormat = v; return nil }},
	}
	for _, e := range envs {
		if v := getenv(e.name); v != "" {
			if err := e.set(v); err != nil {
				return cfg, fmt.Errorf("%s=%q: %w", e.name, v, err)
			}
		}
	}
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			cfg.Listen = *listen
		case "data-dir":
			cfg.DataDir = *dataDir
		case "max-body-bytes":
			cfg.MaxBodyBytes = *maxBody
		case "max-snapshot-bytes":
			cfg.MaxSnapshotBytes = *maxSnap
		case "shutdown-timeout":
			cfg.ShutdownTimeout = *shutdown
		case "seal-bytes":
			cfg.SealBytes = *sealBytes
		case "seal-after":
			cfg.SealAfter = *sealAfter
		case "verify-segments":
			cfg.VerifySegments = *verify
		case "log-level":
			cfg.LogLevel = *level
		case "log-format":
			cfg.LogFormat = *format
		}
	})
	return cfg, cfg.Validate()
}
