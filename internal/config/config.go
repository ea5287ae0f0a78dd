// Package config holds Needle's one configuration struct: documented defaults, an optional YAML
// file, NEEDLE_* environment variables and command-line flags, applied in that order so that a flag
// beats the environment, which beats the file, which beats the default. Every setting is declared
// once, in bind, as a flag; its environment variable is NEEDLE_ plus the flag name in upper case
// with '-' as '_' (--data-dir: NEEDLE_DATA_DIR). Validate is called once at start-up.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/needlevdb/needle/internal/embed"
)

// Config is the server's configuration.
type Config struct {
	Listen           string        `yaml:"listen"`
	DataDir          string        `yaml:"data_dir"`
	MaxBodyBytes     int64         `yaml:"max_body_bytes"`
	MaxSnapshotBytes int64         `yaml:"max_snapshot_bytes"`
	ShutdownTimeout  time.Duration `yaml:"shutdown_timeout"`
	SealBytes        int64         `yaml:"seal_bytes"`
	SealAfter        time.Duration `yaml:"seal_after"`
	VerifySegments   bool          `yaml:"verify_segments"`
	APIKeys          List          `yaml:"api_keys"`
	ReadOnlyAPIKeys  List          `yaml:"read_only_api_keys"`
	AllowInsecure    bool          `yaml:"allow_insecure"`
	SearchWorkers    int           `yaml:"search_workers"`
	SearchQueue      int           `yaml:"search_queue"`
	MaxInFlight      int           `yaml:"max_in_flight"`
	MaxInFlightKey   int           `yaml:"max_in_flight_per_key"`
	RequestTimeout   time.Duration `yaml:"request_timeout"`
	CacheBytes       int64         `yaml:"cache_bytes"`
	AccessLogSample  float64       `yaml:"access_log_sample"`
	UsageFlush       time.Duration `yaml:"usage_flush"`
	LogLevel         string        `yaml:"log_level"`
	LogFormat        string        `yaml:"log_format"`
	// Embedding configures the models that embed Documents ({"text", "model"}); YAML only (the
	// key embedding_providers), see internal/embed.Provider.
	Embedding []embed.Provider `yaml:"embedding_providers"`
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
		SearchWorkers:    runtime.GOMAXPROCS(0),
		SearchQueue:      256,
		MaxInFlight:      1024,
		RequestTimeout:   30 * time.Second,
		CacheBytes:       64 << 20,
		AccessLogSample:  0.01,
		UsageFlush:       10 * time.Second,
		LogLevel:         "info",
		LogFormat:        "text",
	}
}

// bind declares every setting as a flag bound to cfg's fields (current values are the defaults).
func bind(fs *flag.FlagSet, cfg *Config, file *string) {
	fs.StringVar(file, "config", *file, "optional YAML configuration file")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address of the REST API")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data directory")
	fs.Int64Var(&cfg.MaxBodyBytes, "max-body-bytes", cfg.MaxBodyBytes, "request body limit in bytes")
	fs.Int64Var(&cfg.MaxSnapshotBytes, "max-snapshot-bytes", cfg.MaxSnapshotBytes, "uploaded snapshot limit in bytes")
	fs.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", cfg.ShutdownTimeout, "grace period for in-flight requests on shutdown")
	fs.Int64Var(&cfg.SealBytes, "seal-bytes", cfg.SealBytes, "seal a collection's mutable segment at this many bytes of vectors")
	fs.DurationVar(&cfg.SealAfter, "seal-after", cfg.SealAfter, "seal a non-empty mutable segment after this long")
	fs.BoolVar(&cfg.VerifySegments, "verify-segments", cfg.VerifySegments, "check segment checksums when collections open")
	fs.Var(&cfg.APIKeys, "api-key", "full-access API keys, comma-separated (never logged)")
	fs.Var(&cfg.ReadOnlyAPIKeys, "read-only-api-key", "read-only API keys, comma-separated")
	fs.BoolVar(&cfg.AllowInsecure, "allow-insecure", cfg.AllowInsecure, "allow a non-loopback --listen without API keys")
	fs.IntVar(&cfg.SearchWorkers, "search-workers", cfg.SearchWorkers, "concurrent CPU-bound searches (default: the cores)")
	fs.IntVar(&cfg.SearchQueue, "search-queue", cfg.SearchQueue, "searches that may wait for a worker; beyond: 503")
	fs.IntVar(&cfg.MaxInFlight, "max-in-flight", cfg.MaxInFlight, "requests handled at once; beyond: 503")
	fs.IntVar(&cfg.MaxInFlightKey, "max-in-flight-per-key", cfg.MaxInFlightKey, "requests at once per API key, 0 = unlimited; beyond: 429")
	fs.DurationVar(&cfg.RequestTimeout, "request-timeout", cfg.RequestTimeout, "default deadline of a search (the `timeout` parameter overrides)")
	fs.Int64Var(&cfg.CacheBytes, "cache-bytes", cfg.CacheBytes, "result cache size in bytes, 0 = off")
	fs.Float64Var(&cfg.AccessLogSample, "access-log-sample", cfg.AccessLogSample, "fraction of requests in the access log (errors always)")
	fs.DurationVar(&cfg.UsageFlush, "usage-flush", cfg.UsageFlush, "how often per-key usage counters are saved")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	fs.StringVar(&cfg.LogFormat, "log-format", cfg.LogFormat, "text or json")
}

// EnvName returns the environment variable of a flag.
func EnvName(flagName string) string {
	return "NEEDLE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// Load builds the configuration of `needle serve` from args (without the subcommand), the
// environment (getenv) and the YAML file named by --config or NEEDLE_CONFIG.
func Load(args []string, getenv func(string) string, usage io.Writer) (Config, error) {
	// Pass 1: validate the flags and find --config.
	scratch, file := Default(), ""
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(usage)
	bind(fs, &scratch, &file)
	if err := fs.Parse(args); err != nil {
		return scratch, err
	}
	if fs.NArg() > 0 {
		return scratch, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if file == "" {
		file = getenv("NEEDLE_CONFIG")
	}
	// Pass 2: defaults, then the file, then the environment, then the flags.
	cfg := Default()
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
	fs = flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	bind(fs, &cfg, &file)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(EnvName(f.Name)); v != "" && f.Name != "config" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return cfg, envErr
	}
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate reports the first invalid setting.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil {
		return fmt.Errorf("listen %q: %w", c.Listen, err)
	}
	if len(c.APIKeys) == 0 && len(c.ReadOnlyAPIKeys) == 0 && !c.AllowInsecure && !isLoopback(host) {
		return fmt.Errorf("refusing to listen on %s without an API key: set --api-key (NEEDLE_API_KEY), or --allow-insecure", c.Listen)
	}
	if len(c.APIKeys) == 0 && len(c.ReadOnlyAPIKeys) > 0 {
		return errors.New("read-only API keys need at least one full-access --api-key, or nothing could write")
	}
	checks := []struct {
		ok  bool
		msg string
	}{
		{c.DataDir != "", "data-dir must not be empty"},
		{c.MaxBodyBytes >= 1024, fmt.Sprintf("max-body-bytes must be at least 1024, got %d", c.MaxBodyBytes)},
		{c.MaxSnapshotBytes >= c.MaxBodyBytes, fmt.Sprintf("max-snapshot-bytes must be at least max-body-bytes (%d), got %d", c.MaxBodyBytes, c.MaxSnapshotBytes)},
		{c.ShutdownTimeout > 0, fmt.Sprintf("shutdown-timeout must be positive, got %s", c.ShutdownTimeout)},
		{c.SealBytes > 0 && c.SealAfter > 0, fmt.Sprintf("seal-bytes and seal-after must be positive, got %d and %s", c.SealBytes, c.SealAfter)},
		{c.SearchWorkers > 0 && c.SearchQueue >= 0, fmt.Sprintf("search-workers must be positive and search-queue not negative, got %d and %d", c.SearchWorkers, c.SearchQueue)},
		{c.MaxInFlight > 0 && c.MaxInFlightKey >= 0, fmt.Sprintf("max-in-flight must be positive and max-in-flight-per-key not negative, got %d and %d", c.MaxInFlight, c.MaxInFlightKey)},
		{c.RequestTimeout > 0, fmt.Sprintf("request-timeout must be positive, got %s", c.RequestTimeout)},
		{c.CacheBytes >= 0, fmt.Sprintf("cache-bytes must not be negative, got %d", c.CacheBytes)},
		{c.AccessLogSample >= 0 && c.AccessLogSample <= 1, fmt.Sprintf("access-log-sample must be between 0 and 1, got %v", c.AccessLogSample)},
		{c.UsageFlush > 0, fmt.Sprintf("usage-flush must be positive, got %s", c.UsageFlush)},
		{c.LogLevel == "debug" || c.LogLevel == "info" || c.LogLevel == "warn" || c.LogLevel == "error", fmt.Sprintf("log-level must be debug, info, warn or error, got %q", c.LogLevel)},
		{c.LogFormat == "text" || c.LogFormat == "json", fmt.Sprintf("log-format must be text or json, got %q", c.LogFormat)},
	}
	for _, ch := range checks {
		if !ch.ok {
			return errors.New(ch.msg)
		}
	}
	if err := embed.ValidateProviders(c.Embedding); err != nil {
		return fmt.Errorf("embedding_providers: %w", err)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// List is a comma-separated list flag; setting it replaces the list.
type List []string

// String implements flag.Value without revealing secrets: it reports only how many values are set.
func (l *List) String() string {
	if l == nil || len(*l) == 0 {
		return ""
	}
	return fmt.Sprintf("(%d set)", len(*l))
}

// Set implements flag.Value.
func (l *List) Set(v string) error {
	*l = nil
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}
