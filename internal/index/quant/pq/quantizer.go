package pq

import (
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/quant/kmeans"
)

var inf = float32(math.Inf(1))

// KsubMax is the largest codebook size: codes are one byte per subspace.
const KsubMax = 256

// Quantizer holds the codebooks of a product quantizer.
type Quantizer struct {
	dim, m, dsub, ksub int
	metric             flat.Metric
	// cent holds the codebooks: centroid c of subspace j is
	// cent[(j*ksub+c)*dsub : (j*ksub+c+1)*dsub].
	cent []float32
	// centT is cent transposed per subspace and padded to KsubMax centroids
	// (zeros): coordinate t of centroid c of subspace j is
	// centT[(j*dsub+t)*KsubMax+c]. The table builders run along it.
	centT []float32
	// norms[j][c] is the squared norm of centroid c of subspace j (+Inf
	// for padding, so no code can pick it).
	norms [][KsubMax]float32
	// assigners encode subvectors, one per subspace.
	assigners []*kmeans.Assigner
}

// Options tunes Train.
type Options struct {
	// Seed makes training reproducible.
	Seed uint64
	// SampleSize is the number of vectors the codebooks are trained on
	// (default DefaultSample, capped by the number of vectors).
	SampleSize int
	// Iterations is the number of k-means iterations (default: kmeans's).
	Iterations int
	// Workers is the number of goroutines (0 means GOMAXPROCS).
	Workers int
}

// DefaultSample is the default Options.SampleSize: 256 vectors per
// centroid, Faiss's max_points_per_centroid.
const DefaultSample = 256 * KsubMax

// Train trains a quantizer with m subspaces on (a sample of) vecs. Dim must
// be a multiple of m. Each codebook has min(256, sample size) centroids.
// metric (flat.L2 or flat.InnerProduct) is what the Scorer's tables
// compute; the codebooks are trained by L2 either way.
func Train(vecs flat.Vectors, m int, metric flat.Metric, opt Options) (*Quantizer, error) {
	dim := vecs.Dim
	switch {
	case dim <= 0 || len(vecs.Data)%dim != 0:
		return nil, fmt.Errorf("pq: %d floats do not hold whole vectors of dimension %d", len(vecs.Data), dim)
	case m <= 0 || dim%m != 0:
		return nil, fmt.Errorf("pq: dimension %d is not divisible by the number of subspaces M = %d", dim, m)
	case metric != flat.L2 && metric != flat.InnerProduct:
		return nil, fmt.Errorf("pq: metric %d is not L2 or inner product", metric)
	}
	n := vecs.Slots()
	if n == 0 {
		return nil, fmt.Errorf("pq: no vectors to train on")
	}
	ns := opt.SampleSize
	if ns <= 0 {
		ns = DefaultSample
	}
	ns = min(ns, n)
	ksub := min(KsubMax, ns)
	dsub := dim / m
	// One sample of whole vectors (kmeans draws it), then each subspace's
	// columns.
	sample := sampleRows(vecs, ns, opt.Seed)
	cent := make([]float32, m*ksub*dsub)
	sub := make([]float32, ns*dsub)
	for j := range m {
		for i := range ns {
			copy(sub[i*dsub:(i+1)*dsub], sample[i*dim+j*dsub:i*dim+(j+1)*dsub])
		}
		c, err := kmeans.Train(sub, dsub, ksub, kmeans.Options{
			Seed: opt.Seed + uint64(j), Iterations: opt.Iterations, SampleSize: ns,
			Metric: flat.L2, Workers: opt.Workers,
		})
		if err != nil {
			return nil, fmt.Errorf("pq: train subspace %d: %w", j, err)
		}
		copy(cent[j*ksub*dsub:], c)
	}
	return newQuantizer(dim, m, ksub, metric, cent), nil
}

// sampleRows returns ns rows of vecs drawn uniformly without replacement
// (vecs.Data itself if ns is the number of rows). kmeans.Train checks that
// they are finite.
func sampleRows(vecs flat.Vectors, ns int, seed uint64) []float32 {
	if ns >= vecs.Slots() {
		return vecs.Data
	}
	return kmeans.Sample(vecs.Data, vecs.Dim, ns, seed)
}

// newQuantizer builds the derived tables of a quantizer from its codebooks.
func newQuantizer(dim, m, ksub int, metric flat.Metric, cent []float32) *Quantizer {
	dsub := dim / m
	q := &Quantizer{dim: dim, m: m, dsub: dsub, ksub: ksub, metric: metric, cent: cent}
	q.centT = make([]float32, m*dsub*KsubMax)
	q.norms = make([][KsubMax]float32, m)
	q.assigners = make([]*kmeans.Assigner, m)
	for j := range m {
		book := cent[j*ksub*dsub : (j+1)*ksub*dsub]
		q.assigners[j] = kmeans.NewAssigner(book, dsub, flat.L2)
		for c := range KsubMax {
			if c >= ksub {
				q.norms[j][c] = inf
				continue
			}
			var s float32
			for t := range dsub {
				x := book[c*dsub+t]
				q.centT[(j*dsub+t)*KsubMax+c] = x
				s += x * x
			}
			q.norms[j][c] = s
		}
	}
	return q
}

// Dim returns the vector dimension.
func (q *Quantizer) Dim() int { return q.dim }

// M returns the number of subspaces, the bytes of a code.
func (q *Quantizer) M() int { return q.m }

// Ksub returns the number of centroids per subspace (at most KsubMax).
func (q *Quantizer) Ksub() int { return q.ksub }

// Metric returns the metric the Scorer's tables compute.
func (q *Quantizer) Metric() flat.Metric { return q.metric }

// Centroid returns centroid c of subspace j (Dim/M floats; do not modify).
func (q *Quantizer) Centroid(j, c int) []float32 {
	o := (j*q.ksub + c) * q.dsub
	return q.cent[o : o+q.dsub : o+q.dsub]
}

// MemoryBytes returns what the codebooks and derived tables occupy.
func (q *Quantizer) MemoryBytes() int64 {
	return int64(len(q.cent)+len(q.centT)+len(q.norms)*KsubMax+q.m*q.ksub) * 4 // the last: the assigners' norms
}

// encodeChunk is the number of vectors EncodeBatch transposes into
// subspace columns at a time (per worker).
const encodeChunk = 1024

// EncodeBatch encodes the n = len(data)/Dim() vectors of data into dst
// (n*M() bytes, code i at dst[i*M():]) on up to workers goroutines (0
// means GOMAXPROCS). Byte j of a code is the centroid of codebook j
// nearest to the vector's j-th subvector, as its kmeans.Assigner picks it.
func (q *Quantizer) EncodeBatch(data []float32, dst []byte, workers int) {
	n := len(data) / q.dim
	if len(data) != n*q.dim || len(dst) < n*q.m {
		panic("BUG: pq: EncodeBatch of ragged data or into a short buffer")
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	chunks := (n + encodeChunk - 1) / encodeChunk
	workers = max(1, min(workers, chunks))
	var next sync.Mutex
	c := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sub := make([]float32, encodeChunk*q.dsub)
			out := make([]int32, encodeChunk)
			for {
				next.Lock()
				i := c
				c++
				next.Unlock()
				if i >= chunks {
					return
				}
				lo, hi := i*encodeChunk, min((i+1)*encodeChunk, n)
				q.encodeRange(data[lo*q.dim:hi*q.dim], dst[lo*q.m:hi*q.m], sub, out)
			}
		}()
	}
	wg.Wait()
}

func (q *Quantizer) encodeRange(data []float32, dst []byte, sub []float32, out []int32) {
	n, d, ds := len(data)/q.dim, q.dim, q.dsub
	for j := range q.m {
		for i := range n {
			copy(sub[i*ds:(i+1)*ds], data[i*d+j*ds:i*d+(j+1)*ds])
		}
		q.assigners[j].Assign(sub[:n*ds], out[:n], nil)
		for i, c := range out[:n] {
			dst[i*q.m+j] = byte(c)
		}
	}
}

// Decode writes the reconstruction of code (the concatenated centroids it
// names) into dst[:Dim()].
func (q *Quantizer) Decode(code []byte, dst []float32) {
	for j := range q.m {
		copy(dst[j*q.dsub:(j+1)*q.dsub], q.Centroid(j, int(code[j])))
	}
}
