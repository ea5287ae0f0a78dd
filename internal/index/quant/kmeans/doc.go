// Package kmeans trains k-means centroids for the vector codecs and the
// inverted-file index: the coarse quantizer of package ivf and the
// per-subspace codebooks of package pq.
//
// Train draws a random sample of the data (Options.SampleSize), seeds k
// centroids with k-means++ on a prefix of that sample, then runs Lloyd
// iterations. The assignment step, the hot loop, is the register-blocked
// panel kernel of package distance (PanelScan): points are packed 32 at a
// time as the panel's queries and scored against tiles of centroids, with
// per-point bounds so that only improving centroids come back. It runs on
// Options.Workers goroutines (GOMAXPROCS by default). Empty clusters are
// re-seeded by splitting the largest one, as Faiss does.
//
// Metrics: flat.L2 minimises squared Euclidean distance; flat.InnerProduct
// is spherical k-means: points go to the centroid of largest inner product
// and centroids are normalised to unit length after every update.
//
// Determinism: for a given seed, data and options Train returns the same
// centroids whatever the number of workers: every point's assignment is
// computed independently of how points are split among workers, and sums
// are accumulated in a fixed order (in float64). Results may differ
// between CPUs with different kernel sets (AVX-512, AVX2, generic), which
// round differently.
//
// Concurrency: every function is safe for concurrent use; nothing is
// shared between calls.
package kmeans
