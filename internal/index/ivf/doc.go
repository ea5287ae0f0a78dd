// Package ivf is an inverted-file index: a coarse quantizer of Nlist
// centroids (k-means, package kmeans) partitions the vectors, each vector
// is appended to the list of its nearest centroid, and a search scans only
// the Nprobe lists whose centroids are nearest to the query.
//
// Two kinds of lists:
//
//   - Flat (Config.PQM == 0): a list holds slot ids; candidates are scored
//     exactly against the caller's float vectors (flat.Vectors, not owned
//     by the index) with distance.L2SqGather / DotGather.
//   - PQ (Config.PQM > 0): a list also holds the product-quantization code
//     (package pq, M bytes) of each vector's residual x - c, c its list's
//     centroid, like Faiss's IndexIVFPQ with by_residual. Scores are
//     approximate; SearchParams.Rescore re-ranks the best candidates with
//     the float vectors.
//
// PQ distances. For L2, with r the reconstructed residual,
//
//	|q - c - r|² = |q - c|² + (|r|² + 2<c, r>) - 2<q, r>,
//
// and the middle term sums, per subspace, a value that depends only on
// the list and the code, so it is precomputed at Train time as a table of
// Nlist × M × 256 float32 (Faiss's precomputed table) when that is at most
// MaxPrecomputedBytes. A search builds the table of -2<q_j, r> once, and
// each probed list's lookup table is then one add of two M × 256 tables;
// |q - c|² is the coarse distance, already known. Without the precomputed
// table each list's table is built from q - c. For inner product, -<q, c
// + r> = -<q, c> - <q, r>: one table per query and the coarse score as the
// list's bias.
//
// SearchBatch answers many queries at once: its coarse step scores panels
// of queries against the centroids with the register-blocked panel kernel
// (distance.PanelScan), as Faiss's batched search does with a matrix
// product, instead of one L2-cache-bound pass over the centroids per
// query. BENCHMARKS.md compares both with Faiss.
//
// Concurrency: Search (and SearchBatch) is safe for concurrent use, also with Add. Add calls
// are serialised by a lock, and a search sees, for each list, either all
// or none of one Add's entries in it; WriteTo takes the lock only to take
// the lists between two Adds, not while it writes them. Each list is an
// immutable header (ids, codes) published through an atomic pointer: Add appends into
// spare capacity beyond the published length, or into a new array, then
// publishes a longer header, so readers never see a partial write. Train
// must complete before the first Add or Search (a Search of an untrained
// index returns nothing).
//
// Slots: Add is given slot numbers of the caller's vectors; adding a slot
// twice indexes it twice. Deletion is the caller's, with
// SearchParams.Accept.
//
// Persistence: WriteTo and Read, in the format of docs/format/ivf.md
// (versioned, CRC-32C checked; corrupt input is an error, never a panic).
package ivf
