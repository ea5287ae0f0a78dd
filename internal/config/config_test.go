package config

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedenceFlagEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "needle.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7000\ndata_dir: /from/file\nlog_level: warn\ncache_bytes: 5\napi_keys: [a, b]\n"), 0o644)
	e := map[string]string{"NEEDLE_DATA_DIR": "/from/env", "NEEDLE_LOG_LEVEL": "debug", "NEEDLE_CACHE_BYTES": "7"}
	cfg, err := Load([]string{"--config", file, "--log-level", "error"}, env(e), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.DataDir != "/from/env" || cfg.LogLevel != "error" || cfg.CacheBytes != 7 || len(cfg.APIKeys) != 2 {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
	e["NEEDLE_CONFIG"] = file
	cfg, _ = Load(nil, env(e), io.Discard)
	if cfg.Listen != "127.0.0.1:7000" {
		t.Fatalf("NEEDLE_CONFIG ignored: %+v", cfg)
	}
}

func TestDefaultsAndValidation(t *testing.T) {
	cfg, err := Load(nil, env(nil), io.Discard)
	if err != nil || cfg.Listen != "127.0.0.1:6333" || cfg.DataDir != "./needle-data" || cfg.MaxBodyBytes != 32<<20 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	bad := [][]string{
		{"--listen", "nonsense"},
		{"--listen", "0.0.0.0:6333"}, // no key, not loopback
		{"--read-only-api-key", "r"},
		{"--access-log-sample", "2"},
		{"--unknown-flag"},
	}
	for _, args := range bad {
		if _, err := Load(args, env(nil), io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
	if _, err := Load([]string{"--listen", "0.0.0.0:6333", "--api-key", "k"}, env(nil), io.Discard); err != nil {
		t.Errorf("public listen with a key: %v", err)
	}
	if _, err := Load([]string{"--listen", "0.0.0.0:6333", "--allow-insecure"}, env(nil), io.Discard); err != nil {
		t.Errorf("public listen with --allow-insecure: %v", err)
	}
	file := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(file, []byte("listn: x\n"), 0o644)
	if _, err := Load([]string{"--config", file}, env(nil), io.Discard); err == nil {
		t.Fatal("unknown YAML key accepted")
	}
	if _, err := Load(nil, env(map[string]string{"NEEDLE_MAX_BODY_BYTES": "lots"}), io.Discard); err == nil {
		t.Fatal("bad env value accepted")
	}
}
