package knngraph

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestResumeInProcess interrupts runs right after a checkpoint and resumes them: the output is
// byte-identical to an uninterrupted run, for npz and for streamed TSV (whose partial file is
// truncated back to the checkpoint), and the resumed run starts at the checkpoint's row.
func TestResumeInProcess(t *testing.T) {
	dir := t.TempDir()
	const n = 700
	a := writeMatrix(t, dir, "a.npy", n, 16, randMatrix(n, 16, 11))
	b := writeMatrix(t, dir, "b.npy", n, 8, randMatrix(n, 8, 12))
	ids := filepath.Join(dir, "ids.txt")
	var sb strings.Builder
	for i := range n {
		sb.WriteString("item-")
		sb.WriteString(string(rune('a' + i%26)))
		sb.WriteString(strings.Repeat("x", i%3))
		sb.WriteString("\n")
	}
	os.WriteFile(ids, []byte(sb.String()), 0o644)
	for _, format := range []string{"npz", "tsv"} {
		t.Run(format, func(t *testing.T) {
			cfg := Config{Inputs: []Input{{a, 0.6}, {b, 0.4}}, K: 9, Metric: Cosine, ExcludeSelf: true, Format: format,
				Threads: 2, Block: 32, CheckpointInterval: time.Nanosecond}
			if format == "tsv" {
				cfg.IDs = ids
			}
			ref := cfg
			ref.Out = filepath.Join(dir, "ref."+format)
			if _, err := Run(ref, Env{}); err != nil {
				t.Fatal(err)
			}
			want, _ := os.ReadFile(ref.Out)

			cfg.Out = filepath.Join(dir, "g."+format)
			stopped := cfg
			stopped.stopAfter = 200
			if _, err := Run(stopped, Env{}); !errors.Is(err, errStopped) {
				t.Fatalf("interrupted run: %v", err)
			}
			if format == "tsv" { // rows computed after the checkpoint but before the "kill"
				f, _ := os.OpenFile(cfg.Out+".tmp", os.O_APPEND|os.O_WRONLY, 0)
				f.WriteString("garbage\tafter\tcheckpoint\n")
				f.Close()
			}
			if _, err := Run(cfg, Env{}); err == nil || !strings.Contains(err.Error(), "pass --resume") {
				t.Fatalf("run over an existing checkpoint without --resume: %v", err)
			}
			cfg.Resume = true
			var log bytes.Buffer
			res, err := Run(cfg, Env{Log: &log})
			if err != nil {
				t.Fatal(err)
			}
			if res.ResumedAt != 224 { // the first block boundary (32 rows) at or after 200
				t.Errorf("resumed at row %d, want 224; log:\n%s", res.ResumedAt, log.String())
			}
			if !strings.Contains(log.String(), "rows [0, 224) of 700 are final") {
				t.Errorf("log lacks the resume line:\n%s", log.String())
			}
			got, _ := os.ReadFile(cfg.Out)
			if !bytes.Equal(got, want) {
				t.Fatalf("resumed output (%d bytes) differs from the uninterrupted one (%d bytes)", len(got), len(want))
			}
			if _, err := os.Stat(cfg.Checkpoint); !os.IsNotExist(err) {
				t.Errorf("checkpoint not removed: %v", err)
			}
		})
	}
}

func TestCheckpointRefusals(t *testing.T) {
	dir := t.TempDir()
	const n = 300
	a := writeMatrix(t, dir, "a.npy", n, 12, randMatrix(n, 12, 1))
	cfg := Config{Inputs: []Input{{a, 1}}, K: 5, Metric: Cosine, Out: filepath.Join(dir, "g.npz"), Block: 32,
		CheckpointInterval: time.Nanosecond, stopAfter: 100}
	if _, err := Run(cfg, Env{}); !errors.Is(err, errStopped) {
		t.Fatal(err)
	}
	cfg.stopAfter, cfg.Resume = 0, true
	ckpt, _ := os.ReadFile(cfg.Out + ".ckpt")

	// A different job: k, metric, or the data changed.
	for name, mod := range map[string]func(*Config){
		"k":      func(c *Config) { c.K = 6 },
		"metric": func(c *Config) { c.Metric = IP },
		"weight": func(c *Config) { c.Inputs[0].Weight = 2 },
		"data": func(c *Config) {
			x := randMatrix(n, 12, 1)
			x[5] += 1
			c.Inputs[0].Path = writeMatrix(t, dir, "a2.npy", n, 12, x)
		},
	} {
		c := cfg
		c.Inputs = append([]Input(nil), cfg.Inputs...)
		mod(&c)
		if _, err := Run(c, Env{}); err == nil || !strings.Contains(err.Error(), "different job") {
			t.Errorf("%s changed: %v, want a different-job refusal", name, err)
		}
	}

	// Corruption: a flipped byte and a torn tail are reported, never silently restarted.
	for name, b := range map[string][]byte{
		"flipped": func() []byte { c := bytes.Clone(ckpt); c[len(c)/2] ^= 1; return c }(),
		"torn":    ckpt[:len(ckpt)-100],
		"magic":   append([]byte("XXXXXXXX"), ckpt[8:]...),
	} {
		os.WriteFile(cfg.Out+".ckpt", b, 0o644)
		_, err := Run(cfg, Env{})
		var ce *CorruptCheckpointError
		if !errors.As(err, &ce) {
			t.Errorf("%s checkpoint: %v, want *CorruptCheckpointError", name, err)
		}
	}
	os.WriteFile(cfg.Out+".ckpt", ckpt, 0o644)
	if _, err := Run(cfg, Env{}); err != nil {
		t.Fatalf("intact checkpoint: %v", err)
	}
}
