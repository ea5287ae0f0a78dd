package knngraph

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const debianPython = "/usr/bin/python3"

// TestAgainstNumpyScipy builds a 5,000-row graph and has testdata/check_npz.py check it with
// scipy.sparse.load_npz against a brute force computed independently in numpy (float64).
func TestAgainstNumpyScipy(t *testing.T) {
	t.Parallel()
	if out, err := exec.Command(debianPython, "-c", "import numpy, scipy.sparse").CombinedOutput(); err != nil {
		t.Skipf("SKIP: %s cannot import numpy and scipy (%v: %s); install the Debian packages python3-numpy python3-scipy",
			debianPython, err, strings.TrimSpace(string(out)))
	}
	dir := t.TempDir()
	const n = 5000
	text := writeMatrix(t, dir, "text.npy", n, 64, clustered(n, 64, 21))
	image := writeMatrix(t, dir, "image.npy", n, 24, randMatrix(n, 24, 22))
	cases := []struct {
		name  string
		cfg   Config
		flags []string
	}{
		{"cosine-weighted", Config{Inputs: []Input{{text, 0.7}, {image, 0.3}}, K: 40, Metric: Cosine, ExcludeSelf: true},
			[]string{"--exclude-self", text + ":0.7", image + ":0.3"}},
		{"l2", Config{Inputs: []Input{{image, 1}}, K: 10, Metric: L2}, []string{image}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.cfg.Out = filepath.Join(dir, c.name+".npz")
			if _, err := Run(c.cfg, Env{}); err != nil {
				t.Fatal(err)
			}
			args := append([]string{filepath.Join("testdata", "check_npz.py"), "--npz", c.cfg.Out,
				"--k", fmt.Sprint(c.cfg.K), "--metric", string(c.cfg.Metric)}, c.flags...)
			out, err := exec.Command(debianPython, args...).CombinedOutput()
			if err != nil {
				t.Fatalf("check_npz.py: %v\n%s", err, out)
			}
			t.Logf("check_npz.py: %s", strings.TrimSpace(string(out)))
		})
	}
}

// buildNeedle compiles the needle binary into dir.
func buildNeedle(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "needle")
	cmd := exec.Command("go", "build", "-o", bin, "../../cmd/needle")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestKillAndResume runs the real binary, kills it with SIGKILL after it has written a
// checkpoint, resumes it, and checks the output is byte-identical to an uninterrupted run.
func TestKillAndResume(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildNeedle(t, dir)
	const n, d = 16000, 128
	x := writeMatrix(t, dir, "x.npy", n, d, clustered(n, d, 5))
	args := func(out string, extra ...string) []string {
		return append([]string{"knn-graph", "--input", x, "--k", "50", "--exclude-self", "--out", out}, extra...)
	}
	ref := filepath.Join(dir, "ref.npz")
	if out, err := exec.Command(bin, args(ref, "--checkpoint-interval", "0", "--threads", "2")...).CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}

	// The interrupted run uses one thread (slower, so the kill lands mid-run; the output must not
	// depend on the thread count anyway), the resumed one two.
	out := filepath.Join(dir, "g.npz")
	var stderr bytes.Buffer
	cmd := exec.Command(bin, args(out, "--checkpoint-interval", "1ms", "--threads", "1")...)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	deadline := time.After(60 * time.Second)
	for killed := false; !killed; {
		select {
		case err := <-done:
			t.Fatalf("run finished (%v) before a checkpoint could be interrupted; make the job larger\n%s", err, stderr.String())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatal("no checkpoint after 60s")
		case <-time.After(2 * time.Millisecond):
			if _, err := os.Stat(out + ".ckpt"); err == nil {
				time.Sleep(20 * time.Millisecond) // let it run on past the checkpoint
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatalf("kill: %v (the run finished first?)", err)
				}
				killed = true
			}
		}
	}
	err := <-done
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("run was not killed by SIGKILL: %v", err)
	}
	if _, err := os.Stat(out); err == nil {
		t.Fatal("output exists although the run was killed")
	}

	res, err := exec.Command(bin, args(out, "--resume", "--threads", "2")...).CombinedOutput()
	if err != nil {
		t.Fatalf("resume: %v\n%s", err, res)
	}
	if !strings.Contains(string(res), "resuming from checkpoint") || strings.Contains(string(res), "rows [0, 0)") {
		t.Errorf("resume did not continue from a checkpoint:\n%s", res)
	}
	t.Logf("resume: %s", firstLine(string(res), "resuming"))
	a, _ := os.ReadFile(ref)
	b, _ := os.ReadFile(out)
	if !bytes.Equal(a, b) {
		t.Fatalf("resumed output (%d bytes) differs from the uninterrupted run (%d bytes)", len(b), len(a))
	}
}

func firstLine(s, substr string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			return l
		}
	}
	return ""
}
