package binary

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"

	"github.com/needlevdb/needle/internal/index/flat"
)

// QueryEncoding selects how a query meets the codes (Qdrant's query_encoding).
type QueryEncoding uint8

// The query encodings.
const (
	// Asymmetric codes each vector's residual from its nearest k-means centroid, randomly
	// rotated, one sign bit per dimension (RaBitQ); the query stays float32 and is scored
	// through per-byte lookup tables, 8 dimensions per lookup. The default.
	Asymmetric QueryEncoding = iota
	// Symmetric codes the signs of each vector minus a per-dimension centre, binarises the
	// query the same way and ranks by Hamming distance.
	Symmetric
)

// String returns "asymmetric" or "symmetric".
func (e QueryEncoding) String() string {
	switch e {
	case Asymmetric:
		return "asymmetric"
	case Symmetric:
		return "symmetric"
	}
	return fmt.Sprintf("QueryEncoding(%d)", uint8(e))
}

// Centering selects the per-dimension centre the Symmetric encoding subtracts before the
// signs are taken. The Asymmetric encoding centres each vector on its k-means centroid and
// ignores it.
type Centering uint8

// The centerings.
const (
	// CenterMean subtracts the per-dimension mean of the training sample. It is the
	// default: on fashion-mnist (L2) recall@10 after rescoring 30 goes from 0.52 to 0.71;
	// on zero-mean data it changes nothing (clustered-100k-768-unit: within 0.01); see
	// TestCenteringHelps.
	CenterMean Centering = iota
	// CenterNone takes the signs of the raw values (Qdrant's binary quantization).
	CenterNone
)

// String returns "mean" or "none".
func (c Centering) String() string {
	switch c {
	case CenterMean:
		return "mean"
	case CenterNone:
		return "none"
	}
	return fmt.Sprintf("Centering(%d)", uint8(c))
}

// DefaultSampleSize is the number of vectors the Symmetric encoding's statistics are learned
// from when Options.SampleSize is 0. They are means over the sample, so their error falls as
// 1/sqrt(size): at 20,000 it is under 1 % of a dimension's spread, far below what one bit per
// dimension resolves.
const DefaultSampleSize = 20000

// Options tunes Train. The zero value is the recommended setting.
type Options struct {
	// Query is the query encoding of the codes (Asymmetric by default).
	Query QueryEncoding
	// Centering is the centre Symmetric codes subtract before taking signs (CenterMean by
	// default); Asymmetric codes ignore it.
	Centering Centering
	// SampleSize is the number of vectors (drawn at random) the quantizer learns from: the
	// Symmetric statistics (0 means DefaultSampleSize) or the Asymmetric k-means (0 means
	// SamplePerCentroid per centroid, at most MaxKMeansSample). A set this small or smaller
	// is read whole.
	SampleSize int
	// Centroids is the number of k-means centroids of Asymmetric codes; 0 chooses
	// AutoCentroids of the number of training vectors.
	Centroids int
	// Seed selects the sample, the k-means seeding and the rotation.
	Seed uint64
	// Workers is the number of goroutines training runs on (0 means GOMAXPROCS).
	Workers int
}

// Quantizer maps float vectors to their sign codes. It is immutable after Train and
// safe for concurrent use.
type Quantizer struct {
	dim    int
	metric flat.Metric
	query  QueryEncoding

	// Symmetric.
	cent   Centering
	center []float32 // per-dimension centre; all zeros under CenterNone
	radius float32   // mean ‖x - center‖ of the sample

	// Asymmetric.
	rot   []float32 // the random projection P: the kept rows of each block (keptRows), row-major
	cents []float32 // k centroids of dim floats, back to back
	k     int       // number of centroids
	bits  int       // derived: sign bits per code, the projection's dimension (residualShape)
	blk   []int     // derived: the rotation's block sizes
	rows  []int     // derived: the rows kept of each block
}

// Train learns the quantizer of vecs for metric (InnerProduct or L2).
func Train(vecs flat.Vectors, metric flat.Metric, opt Options) (*Quantizer, error) {
	if vecs.Dim <= 0 || vecs.Dim > MaxDim {
		return nil, fmt.Errorf("binary: dimension %d out of range 1..%d", vecs.Dim, MaxDim)
	}
	if metric != flat.InnerProduct && metric != flat.L2 {
		return nil, fmt.Errorf("binary: unsupported metric %d (want inner product or L2)", metric)
	}
	if opt.Query > Symmetric {
		return nil, fmt.Errorf("binary: unknown query encoding %d", opt.Query)
	}
	if opt.Centering > CenterNone {
		return nil, fmt.Errorf("binary: unknown centering %d", opt.Centering)
	}
	if opt.Centroids < 0 || opt.Centroids > MaxCentroids {
		return nil, fmt.Errorf("binary: %d centroids out of range 0..%d", opt.Centroids, MaxCentroids)
	}
	if len(vecs.Data)%vecs.Dim != 0 {
		return nil, fmt.Errorf("binary: %d floats are not whole vectors of dimension %d", len(vecs.Data), vecs.Dim)
	}
	if vecs.Slots() == 0 {
		return nil, errors.New("binary: no training vectors")
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	q := &Quantizer{dim: vecs.Dim, metric: metric, query: opt.Query}
	var err error
	if opt.Query == Symmetric {
		err = q.trainSigns(vecs, opt)
	} else {
		err = q.trainResidual(vecs, opt)
	}
	if err != nil {
		return nil, fmt.Errorf("binary: train: %w", err)
	}
	return q, nil
}

// sampleSlots returns min(n, size) distinct slots below n in increasing order.
func sampleSlots(n, size int, seed uint64) []uint32 {
	out := make([]uint32, 0, min(n, size))
	if n <= size {
		for s := range n {
			out = append(out, uint32(s))
		}
		return out
	}
	// Selection sampling (Knuth's algorithm S): one pass, sorted output.
	rng := rand.New(rand.NewPCG(seed, 0x62696e617279))
	need := size
	for s := 0; s < n && need > 0; s++ {
		if rng.IntN(n-s) < need {
			out = append(out, uint32(s))
			need--
		}
	}
	return out
}

// Dim returns the vector dimension.
func (q *Quantizer) Dim() int { return q.dim }

// Metric returns the metric the codes estimate.
func (q *Quantizer) Metric() flat.Metric { return q.metric }

// Centering returns how the centre of Symmetric codes was chosen (CenterMean for Asymmetric
// codes, which centre on their centroids).
func (q *Quantizer) Centering() Centering { return q.cent }

// Query returns the query encoding.
func (q *Quantizer) Query() QueryEncoding { return q.query }

// Centroids returns the number of k-means centroids (0 for Symmetric codes).
func (q *Quantizer) Centroids() int { return q.k }

// Words returns the number of uint64 words in one code: ⌈Dim/64⌉ for Symmetric codes; for
// Asymmetric codes ⌊Dim/64⌋ (the signs and the extras) where that keeps at least 7/8 of the
// dimensions' signs (from 384 dimensions, except in the upper part of some 64-wide bands, e.g.
// 458–511), else ⌈(Dim+48)/64⌉ (residualShape).
func (q *Quantizer) Words() int {
	if q.query == Asymmetric {
		_, w := residualShape(q.dim)
		return w
	}
	return words(q.dim)
}

// Bits returns the number of sign bits in one code: Dim for Symmetric codes, the dimension
// of the random projection for Asymmetric ones (720 at 768-d; residualShape).
func (q *Quantizer) Bits() int {
	if q.query == Asymmetric {
		return q.bits
	}
	return q.dim
}

func words(dim int) int { return (dim + 63) / 64 }

// MemoryBytes returns the bytes the quantizer's own tables occupy: the centre (Symmetric), or
// the projection and the centroids (Asymmetric).
func (q *Quantizer) MemoryBytes() int64 {
	return 4 * int64(len(q.center)+len(q.rot)+len(q.cents))
}

// EncodeAll encodes every vector of vecs on up to workers goroutines (0 means GOMAXPROCS)
// into a new Codes. The vectors must be finite (NaN and Inf are rejected on insert).
func (q *Quantizer) EncodeAll(vecs flat.Vectors, workers int) (*Codes, error) {
	if vecs.Dim != q.dim {
		return nil, fmt.Errorf("binary: encode vectors of dimension %d with a quantizer of dimension %d", vecs.Dim, q.dim)
	}
	if len(vecs.Data)%q.dim != 0 {
		return nil, fmt.Errorf("binary: %d floats are not whole vectors of dimension %d", len(vecs.Data), q.dim)
	}
	n := vecs.Slots()
	if int64(n) > MaxSlots {
		return nil, fmt.Errorf("binary: %d vectors exceed the limit of %d", n, MaxSlots)
	}
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	c := &Codes{q: q, n: n, words: q.Words(), data: make([]uint64, n*q.Words())}
	if q.query == Symmetric {
		if q.metric == flat.L2 {
			c.aux = make([]float32, n)
		}
		parallel(n, workers, func(lo, hi int) { q.encodeSigns(vecs, c, lo, hi) })
		return c, nil
	}
	ew := make([]float32, 2*n) // e and w of each slot in float32, until the scales are known
	rc := q.rotatedCentroids(workers)
	parallel(n, workers, func(lo, hi int) { q.encodeResidual(vecs, c, rc, ew, lo, hi) })
	var me, mw float64
	for s := range n {
		me = max(me, math.Abs(float64(ew[2*s])))
		mw = max(mw, float64(ew[2*s+1]))
	}
	c.se, c.sw = halfScale(me), halfScale(mw)
	parallel(n, workers, func(lo, hi int) { c.storeHalves(ew, lo, hi) })
	return c, nil
}

// parallel calls f on consecutive ranges of at most 1,024 of [0, n) from up to workers
// goroutines and returns when all calls have.
func parallel(n, workers int, f func(lo, hi int)) {
	const chunk = 1024 // small enough to balance, large enough to amortise
	var wg sync.WaitGroup
	next := make(chan int, (n+chunk-1)/chunk)
	for lo := 0; lo < n; lo += chunk {
		next <- lo
	}
	close(next)
	for range min(workers, (n+chunk-1)/chunk) {
		wg.Go(func() {
			for lo := range next {
				f(lo, min(lo+chunk, n))
			}
		})
	}
	wg.Wait()
}
