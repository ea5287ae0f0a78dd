package knngraph

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/needlevdb/needle/internal/bench"
	"github.com/needlevdb/needle/internal/topk"
)

func TestValidationErrors(t *testing.T) {
	dir := t.TempDir()
	good := writeMatrix(t, dir, "good.npy", 50, 8, randMatrix(50, 8, 1))
	short := writeMatrix(t, dir, "short.npy", 49, 8, randMatrix(49, 8, 2))
	nanData := randMatrix(50, 8, 3)
	nanData[17*8+5] = float32(math.NaN())
	nan := writeMatrix(t, dir, "nan.npy", 50, 8, nanData)
	infData := randMatrix(50, 8, 3)
	infData[3] = float32(math.Inf(-1))
	inf := writeMatrix(t, dir, "inf.npy", 50, 8, infData)
	ints := filepath.Join(dir, "ints.npy")
	f, _ := os.Create(ints)
	bench.WriteNpyInt32(f, 50, 8, make([]int32, 400))
	f.Close()
	threeD := filepath.Join(dir, "3d.npy")
	os.WriteFile(threeD, append(npyHeader("<f4", "(2, 5, 5)"), make([]byte, 200)...), 0o644)
	ids := filepath.Join(dir, "ids.txt")
	os.WriteFile(ids, []byte(strings.Repeat("item\n", 49)), 0o644)
	csv := filepath.Join(dir, "x.csv")
	os.WriteFile(csv, []byte("1,2\n"), 0o644)
	ms, md := 0.5, 1.0

	base := func() Config {
		return Config{Inputs: []Input{{good, 1}}, K: 5, Metric: Cosine, Out: filepath.Join(dir, "out.npz")}
	}
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no input", func(c *Config) { c.Inputs = nil }, "no --input"},
		{"row mismatch", func(c *Config) { c.Inputs = append(c.Inputs, Input{short, 1}) }, "has 49 rows but"},
		{"int dtype", func(c *Config) { c.Inputs = []Input{{ints, 1}} }, "dtype '<i4' is not a float matrix"},
		{"3-D", func(c *Config) { c.Inputs = []Input{{threeD, 1}} }, "is not 2-D"},
		{"NaN", func(c *Config) { c.Inputs = []Input{{good, 1}, {nan, 1}} }, "row 17 column 5 is NaN"},
		{"Inf", func(c *Config) { c.Inputs = []Input{{inf, 1}} }, "row 0 column 3 is -Inf"},
		{"missing file", func(c *Config) { c.Inputs = []Input{{filepath.Join(dir, "nope.npy"), 1}} }, "no such file"},
		{"extension", func(c *Config) { c.Inputs = []Input{{csv, 1}} }, "unsupported extension"},
		{"zero weight", func(c *Config) { c.Inputs[0].Weight = 0 }, "must be a positive finite number"},
		{"negative weight", func(c *Config) { c.Inputs[0].Weight = -0.3 }, "must be a positive finite number"},
		{"NaN weight", func(c *Config) { c.Inputs[0].Weight = math.NaN() }, "must be a positive finite number"},
		{"k zero", func(c *Config) { c.K = 0 }, "must be at least 1"},
		{"k too big", func(c *Config) { c.K = 50; c.ExcludeSelf = true }, "exceeds the 49 candidate neighbours"},
		{"metric", func(c *Config) { c.Metric = "hamming" }, "unknown --metric"},
		{"min-score l2", func(c *Config) { c.Metric = L2; c.MinScore = &ms }, "--min-score applies to"},
		{"max-distance cosine", func(c *Config) { c.MaxDistance = &md }, "--max-distance applies to"},
		{"no out", func(c *Config) { c.Out = "" }, "no --out"},
		{"npz stdout", func(c *Config) { c.Out = "-"; c.Format = "npz" }, "needs --format tsv"},
		{"ids npz", func(c *Config) { c.IDs = ids }, "--ids applies to --format tsv"},
		{"ids count", func(c *Config) { c.IDs = ids; c.Format = "tsv" }, "49 ids for 50 rows"},
		{"format", func(c *Config) { c.Format = "parquet" }, "unknown --format"},
		{"approx name", func(c *Config) { c.Approx = "ivf" }, "unknown --approx"},
		{"out dir", func(c *Config) { c.Out = filepath.Join(dir, "no", "such", "g.npz") }, "is not writable"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := base()
			c.mod(&cfg)
			_, err := Run(cfg, Env{})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
			if _, err := os.Stat(cfg.Out); err == nil {
				t.Errorf("output written despite the error")
			}
		})
	}
}

func TestParseInputAndSize(t *testing.T) {
	for s, want := range map[string]Input{
		"text.npy:0.7": {"text.npy", 0.7}, "img.fvecs": {"img.fvecs", 1}, "a:b.npy": {"a:b.npy", 1}, "d/x.npy:2": {"d/x.npy", 2},
	} {
		if got, err := ParseInput(s); err != nil || got != want {
			t.Errorf("ParseInput(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for s, want := range map[string]int64{"8GiB": 8 << 30, "512MiB": 512 << 20, "2G": 2 << 30, "1.5GB": 1.5e9, "1000": 1000, "64k": 64 << 10} {
		if got, err := ParseSize(s); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "lots", "-1G", "1XB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}

// TestMemoryLimitRefused: a limit below the plan is refused before loading, naming the need; a
// limit above it is accepted and the measured peak stays under the plan.
func TestMemoryLimitRefused(t *testing.T) {
	dir := t.TempDir()
	const n, d, k = 2000, 64, 50
	p := writeMatrix(t, dir, "x.npy", n, d, randMatrix(n, d, 4))
	cfg := Config{Inputs: []Input{{p, 1}}, K: k, Metric: Cosine, Out: filepath.Join(dir, "g.npz"), Threads: 2, MemoryLimit: 1 << 20}
	_, err := Run(cfg, Env{})
	var me *MemoryError
	if !errors.As(err, &me) {
		t.Fatalf("error %v, want *MemoryError", err)
	}
	inputs, graph := int64(n*d*4), int64(n*k*8)
	if me.Need < inputs+graph || me.Need > inputs+graph+64<<20 {
		t.Errorf("need %d, want inputs %d + graph %d + a small working set", me.Need, inputs, graph)
	}
	for _, s := range []string{"--memory-limit 1.0 MiB cannot be met", "needs about", "inputs 500.0 KiB", "neighbour lists"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
	cfg.MemoryLimit = me.Need
	res, err := Run(cfg, Env{})
	if err != nil {
		t.Fatalf("limit equal to the need: %v", err)
	}
	if res.PlannedMemory != me.Need {
		t.Errorf("planned %d, refused run needed %d", res.PlannedMemory, me.Need)
	}
}

func TestKeyOrder(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -3e38, -1, -1e-30, 0, 1e-45, 1e-30, 0.5, 1, 3e38, float32(math.Inf(1))}
	for i := range vals {
		if got := keyDist(key(vals[i], 7)); got != vals[i] || keySlot(key(vals[i], 7)) != 7 {
			t.Errorf("round trip of %v: %v", vals[i], got)
		}
		for j := i + 1; j < len(vals); j++ {
			if key(vals[i], 9) >= key(vals[j], 1) {
				t.Errorf("key(%v) >= key(%v)", vals[i], vals[j])
			}
		}
	}
	if key(0.5, 1) >= key(0.5, 2) {
		t.Error("ties not ordered by slot")
	}
}

func TestHeapsMatchTopK(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, k := range []int{1, 2, 7, 64} {
		h := newHeaps(3, k, 0.5)
		refs := []*topk.Heap{topk.New(k), topk.New(k), topk.New(k)}
		for i := range 5000 {
			r := rng.IntN(3)
			d := float32(rng.IntN(200)-150) / 100 // many ties
			slot := uint32(i % 97)
			if d <= h.bound[r] {
				h.push(r, d, slot)
			}
			if d <= 0.5 {
				refs[r].Push(d, slot)
			}
		}
		for r := range 3 {
			h.finish(r)
			want := refs[r].Sorted()
			got := h.row(r)
			if len(got) != len(want) {
				t.Fatalf("k=%d row %d: %d items, want %d", k, r, len(got), len(want))
			}
			for i := range got {
				if g := (topk.Item{Dist: keyDist(got[i]), Slot: keySlot(got[i])}); g != want[i] {
					t.Fatalf("k=%d row %d item %d: %v, want %v", k, r, i, g, want[i])
				}
			}
		}
	}
}
