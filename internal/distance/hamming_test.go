package distance

import (
	"math/rand/v2"
	"testing"
)

// refHamming counts differing bits one at a time (independent of
// math/bits, which the generic kernel uses).
func refHamming(a, b []uint64) int {
	n := 0
	for i := range a {
		for x := a[i] ^ b[i]; x != 0; x &= x - 1 {
			n++
		}
	}
	return n
}

// poisonedWords returns n random words whose backing array goes on with
// all-ones words (poison ^0) or zeros (poison 0): a kernel reading past
// the end of two such slices with different poisons counts extra bits.
func poisonedWords(r *rand.Rand, n int, poison uint64) []uint64 {
	return poisonedOf(r, n, (*rand.Rand).Uint64, poison)
}

func TestHamming(t *testing.T) {
	r := rand.New(rand.NewPCG(51, 52))
	for _, im := range bitsSupported() {
		for _, n := range lengths {
			for rep := 0; rep < 3; rep++ {
				a, b := poisonedWords(r, n, ^uint64(0)), poisonedWords(r, n, 0)
				if got, want := im.hamming(a, b), refHamming(a, b); got != want {
					t.Fatalf("%s/hamming n=%d: got %d, want %d", im.name, n, got, want)
				}
			}
			// Extremes: every bit differs, none does.
			ones, zeros := make([]uint64, n), make([]uint64, n)
			for i := range ones {
				ones[i] = ^uint64(0)
			}
			if got := im.hamming(ones, zeros); got != 64*n {
				t.Fatalf("%s/hamming n=%d ones vs zeros: got %d, want %d", im.name, n, got, 64*n)
			}
			if got := im.hamming(ones, ones); got != 0 {
				t.Fatalf("%s/hamming n=%d ones vs ones: got %d, want 0", im.name, n, got)
			}
		}
	}
}

func TestHammingBatch(t *testing.T) {
	r := rand.New(rand.NewPCG(53, 54))
	for _, im := range bitsSupported() {
		for _, d := range lengths {
			for _, cnt := range counts {
				q, codes := poisonedWords(r, d, ^uint64(0)), poisonedWords(r, d*cnt, 0)
				out := make([]int32, cnt+1)
				out[cnt] = 42 // must survive
				im.hammingBatch(q, codes, out[:cnt])
				for i := 0; i < cnt; i++ {
					if want := refHamming(q, codes[i*d:(i+1)*d]); int(out[i]) != want {
						t.Fatalf("%s/hammingBatch d=%d cnt=%d: out[%d]=%d, want %d", im.name, d, cnt, i, out[i], want)
					}
				}
				if out[cnt] != 42 {
					t.Fatalf("%s/hammingBatch d=%d cnt=%d: wrote past out", im.name, d, cnt)
				}
			}
		}
	}
}

func TestHammingGather(t *testing.T) {
	r := rand.New(rand.NewPCG(55, 56))
	for _, im := range bitsSupported() {
		for _, d := range lengths {
			const rows = 37
			words := d + r.IntN(3) // rows may be longer than the query
			q, codes := poisonedWords(r, d, ^uint64(0)), poisonedWords(r, words*rows, 0)
			for _, n := range []int{0, 1, 2, 3, 5, 9, 16, 33} {
				ids := gatherIDs(r, n, rows)
				out := make([]int32, n+1)
				out[n] = 42
				im.hammingGather(q, codes, words, ids, out[:n])
				for i, id := range ids {
					o := int(id) * words
					if want := refHamming(q, codes[o:o+d]); int(out[i]) != want {
						t.Fatalf("%s/hammingGather d=%d words=%d n=%d i=%d: got %d, want %d", im.name, d, words, n, i, out[i], want)
					}
				}
				if out[n] != 42 {
					t.Fatalf("%s/hammingGather d=%d n=%d: wrote past len(ids)", im.name, d, n)
				}
			}
		}
	}
}

// TestHammingExported checks that the exported functions use the best
// supported implementation and agree with the reference.
func TestHammingExported(t *testing.T) {
	if got, want := HammingImpl(), bitsSupported()[0].name; got != want {
		t.Fatalf("HammingImpl() = %q, best supported is %q", got, want)
	}
	r := rand.New(rand.NewPCG(57, 58))
	const d, cnt = 12, 5
	q, codes := poisonedWords(r, d, 0), poisonedWords(r, d*cnt, 0)
	if got, want := Hamming(q, codes[d:2*d]), refHamming(q, codes[d:2*d]); got != want {
		t.Errorf("Hamming: got %d, want %d", got, want)
	}
	out := make([]int32, cnt)
	HammingBatch(q, codes, out)
	for i := range out {
		if want := refHamming(q, codes[i*d:(i+1)*d]); int(out[i]) != want {
			t.Errorf("HammingBatch: out[%d] = %d, want %d", i, out[i], want)
		}
	}
	HammingGather(q, codes, d, []uint32{4, 0}, out)
	if want := refHamming(q, codes[4*d:]); int(out[0]) != want {
		t.Errorf("HammingGather: got %d, want %d", out[0], want)
	}
	HammingGather(nil, nil, 0, []uint32{7}, out) // empty codes: distance 0
	if out[0] != 0 {
		t.Errorf("HammingGather of empty codes: got %d, want 0", out[0])
	}
}

func TestHammingPanics(t *testing.T) {
	q, codes, out := make([]uint64, 4), make([]uint64, 7), make([]int32, 2)
	mustPanic(t, "Hamming lengths", func() { Hamming(q, codes) })
	mustPanic(t, "HammingBatch short codes", func() { HammingBatch(q, codes, out) })
	mustPanic(t, "HammingGather id out of range", func() { HammingGather(q, codes, 4, []uint32{1}, out) })
	mustPanic(t, "HammingGather words < len(q)", func() { HammingGather(q, codes, 3, []uint32{0}, out) })
	mustPanic(t, "HammingGather short out", func() { HammingGather(q, codes, 4, []uint32{0, 0, 0}, out) })
}

// FuzzHamming compares every implementation with the reference on codes
// decoded from the input.
func FuzzHamming(f *testing.F) {
	f.Add([]byte{1, 2, 3}, uint8(1))
	f.Add(make([]byte, 8*40), uint8(3))
	r := rand.New(rand.NewPCG(59, 60))
	for _, n := range []int{16, 136, 1040} {
		f.Add(randBytes(r, n), uint8(n))
	}
	f.Fuzz(func(t *testing.T, data []byte, dsel uint8) {
		v := make([]uint64, len(data)/8)
		for i := range v {
			for j := 0; j < 8; j++ {
				v[i] |= uint64(data[8*i+j]) << (8 * j)
			}
		}
		n := len(v) / 2
		a, b := v[:n], v[n:2*n]
		for _, im := range bitsSupported() {
			if got, want := im.hamming(a, b), refHamming(a, b); got != want {
				t.Fatalf("%s/hamming n=%d: got %d, want %d", im.name, n, got, want)
			}
		}
		if n == 0 {
			return
		}
		d := 1 + int(dsel)%n
		cnt := n / d
		out := make([]int32, cnt)
		ids := make([]uint32, cnt)
		for i := range ids {
			ids[i] = uint32(cnt - 1 - i)
		}
		for _, im := range bitsSupported() {
			im.hammingBatch(a[:d], b, out)
			for i := range out {
				if want := refHamming(a[:d], b[i*d:(i+1)*d]); int(out[i]) != want {
					t.Fatalf("%s/hammingBatch d=%d [%d]: got %d, want %d", im.name, d, i, out[i], want)
				}
			}
			im.hammingGather(a[:d], b, d, ids, out)
			for i, id := range ids {
				if want := refHamming(a[:d], b[int(id)*d:]); int(out[i]) != want {
					t.Fatalf("%s/hammingGather d=%d [%d]: got %d, want %d", im.name, d, i, out[i], want)
				}
			}
		}
	})
}

// TestHammingNoAllocs checks that the Hamming kernels neither allocate nor
// make their arguments escape.
func TestHammingNoAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		var q, codes [64]uint64
		var out [8]int32
		ids := [2]uint32{1, 3}
		sinkI32 = int32(Hamming(q[:8], codes[:8]))
		HammingBatch(q[:8], codes[:], out[:])
		HammingGather(q[:8], codes[:], 8, ids[:], out[:])
	})
	if allocs != 0 {
		t.Errorf("Hamming kernels allocate %v times per run, want 0", allocs)
	}
}
