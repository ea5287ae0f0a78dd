package flat

import (
	"encoding/binary"
	"github.com/needlevdb/needle/internal/topk"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/needlevdb/needle/internal/distance"
)

func loadNpy(t testing.TB, path string) Vectors {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Skip(err)
	}
	hl := int(binary.LittleEndian.Uint16(b[8:10]))
	raw := b[10+hl:]
	data := make([]float32, len(raw)/4)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&data[0])), len(raw)), raw)
	// parse dims from header: crude
	h := string(b[10 : 10+hl])
	var r, c int
	for i := 0; i < len(h); i++ {
		if h[i] == '(' {
			n := 0
			j := i + 1
			for ; h[j] >= '0' && h[j] <= '9'; j++ {
				n = n*10 + int(h[j]-'0')
			}
			r = n
			j += 2
			n = 0
			for ; h[j] >= '0' && h[j] <= '9'; j++ {
				n = n*10 + int(h[j]-'0')
			}
			c = n
			break
		}
	}
	_ = r
	return Vectors{Dim: c, Data: data}
}

var sinkU uint64

func sumLines(b []uint64) uint64 {
	var s0, s1, s2, s3, s4, s5, s6, s7 uint64
	for len(b) >= 64 {
		s0 += b[0]
		s1 += b[8]
		s2 += b[16]
		s3 += b[24]
		s4 += b[32]
		s5 += b[40]
		s6 += b[48]
		s7 += b[56]
		b = b[64:]
	}
	return s0 + s1 + s2 + s3 + s4 + s5 + s6 + s7
}

func TestScratchSingle(t *testing.T) {
	ds := os.Getenv("DS")
	if ds == "" {
		t.Skip()
	}
	v := loadNpy(t, "/tmp/needle-data/"+ds+".base.npy")
	qv := loadNpy(t, "/tmp/needle-data/"+ds+".queries.npy")
	buf := make([]uint64, 1<<27)
	for i := range buf {
		buf[i] = uint64(i)
	}
	bytes := float64(len(v.Data) * 4)
	out := make([]float32, 256)
	variants := map[string]func(q []float32){
		"search": func(q []float32) { Search(v, L2, q, Params{K: 10, MaxDist: NoLimit}) },
		"kernelonly": func(q []float32) {
			n := v.Slots()
			for b0 := 0; b0 < n; b0 += 256 {
				cnt := min(256, n-b0)
				distance.L2SqBatch(q, v.Data[b0*v.Dim:(b0+cnt)*v.Dim], out[:cnt])
			}
		},
		"stream": func(q []float32) { sinkU += sumLines(buf[:len(v.Data)/2]) },
		"bound":  func(q []float32) { boundSearch(v, q, 10) },
	}
	names := []string{"search", "kernelonly", "bound"}
	if v := os.Getenv("VARIANTS"); v != "" {
		names = strings.Split(v, ",")
	}
	res := map[string][]float64{}
	for rep := 0; rep < 9; rep++ {
		for _, name := range names {
			f := variants[name]
			var ts [2]time.Duration
			for i := 0; i < 3; i++ {
				q := qv.Data[i*v.Dim : (i+1)*v.Dim]
				t0 := time.Now()
				variants["stream"](q)
				t1 := time.Now()
				f(q)
				ts[0] += t1.Sub(t0)
				ts[1] += time.Since(t1)
			}
			res[name] = append(res[name], ts[0].Seconds()/ts[1].Seconds())
			res[name+"-gbs"] = append(res[name+"-gbs"], 3*bytes/ts[1].Seconds()/1e9)
		}
	}
	for _, name := range names {
		r := res[name]
		sort.Float64s(r)
		g := res[name+"-gbs"]
		sort.Float64s(g)
		t.Logf("%-12s frac of stream: median %.3f  min %.3f max %.3f   GB/s median %.2f", name, r[len(r)/2], r[0], r[len(r)-1], g[len(g)/2])
	}
}

func boundSearch(v Vectors, q []float32, k int) []topk.Item {
	const blk = 4096
	n := v.Slots()
	h := topk.New(k)
	idx := make([]uint32, blk)
	dist := make([]float32, blk)
	for b0 := 0; b0 < n; b0 += blk {
		cnt := min(blk, n-b0)
		bound := float32(math.Inf(1))
		if h.Full() {
			bound = h.Bound()
		}
		c := distance.L2SqBatchBelow(q, v.Data[b0*v.Dim:(b0+cnt)*v.Dim], bound, idx[:cnt], dist[:cnt])
		for i := 0; i < c; i++ {
			if h.Full() && dist[i] >= h.Bound() {
				continue
			}
			h.Push(dist[i], uint32(b0)+idx[i])
		}
	}
	return h.Sorted()
}

func TestScratchTile(t *testing.T) {
	ds := os.Getenv("DS")
	if ds == "" {
		t.Skip()
	}
	v := loadNpy(t, "/tmp/needle-data/"+ds+".base.npy")
	qv := loadNpy(t, "/tmp/needle-data/"+ds+".queries.npy")
	nq := 1000
	qs := make([][]float32, nq)
	for i := range qs {
		qs[i] = qv.Data[i*v.Dim : (i+1)*v.Dim]
	}
	sizes := []int{256 << 10, 512 << 10, 1 << 20, 3 << 19}
	res := map[int][]float64{}
	for rep := 0; rep < 5; rep++ {
		for _, sz := range sizes {
			panelTileBytes = sz
			t0 := time.Now()
			SearchBatch(v, L2, qs, 10, nil, 2)
			res[sz] = append(res[sz], float64(nq)/time.Since(t0).Seconds())
		}
	}
	for _, sz := range sizes {
		r := res[sz]
		sort.Float64s(r)
		t.Logf("tile %d KiB: qps median %.0f max %.0f", sz>>10, r[len(r)/2], r[len(r)-1])
	}
}
