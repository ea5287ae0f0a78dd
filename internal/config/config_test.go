package config

import (
	"os"
	"path/filepath"
	"testing"
)

func TestPrecedenceFlagEnvFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "needle.yaml")
	os.WriteFile(file, []byte("listen: 127.0.0.1:7000\ndata_dir: /from/file\nlog_level: warn\n"), 0o644)
	env := map[string]string{"NEEDLE_DATA_DIR": "/from/env", "NEEDLE_LOG_LEVEL": "debug"}
	cfg, err := Load([]string{"--config", file, "--log-level", "error"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:7000" || cfg.DataDir != "/from/env" || cfg.LogLevel != "error" {
		t.Fatalf("precedence wrong: %+v", cfg)
	}
}

func TestDefaultsAndValidation(t *testing.T) {
	cfg, err := Load(nil, func(string) string { return "" })
	if err != nil || cfg.Listen != "127.0.0.1:6333" || cfg.DataDir != "./needle-data" || cfg.MaxBodyBytes != 32<<20 {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	if _, err := Load([]string{"--listen", "nonsense"}, func(string) string { return "" }); err == nil {
		t.Fatal("bad listen address accepted")
	}
	file := filepath.Join(t.TempDir(), "bad.yaml")
	os.WriteFile(file, []byte("listn: x\n"), 0o644)
	if _, err := Load([]string{"--config", file}, func(string) string { return "" }); err == nil {
		t.Fatal("unknown YAML key accepted")
	}
	if _, err := Load(nil, func(k string) string {
		if k == "NEEDLE_MAX_BODY_BYTES" {
			return "lots"
		}
		return ""
	}); err == nil {
		t.Fatal("bad env value accepted")
	}
}
