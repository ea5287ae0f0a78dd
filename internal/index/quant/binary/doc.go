// Package binary is binary quantization: one bit per dimension, 32 times smaller than
// float32 for the bits (a 768-d vector is 12 uint64 words, 96 bytes). It suits
// high-dimensional embeddings, where it is a coarse first pass: an index scans or traverses
// the codes, keeps a few times k candidates (oversampling) and rescores them against the
// float vectors.
//
// Train learns a Quantizer and Quantizer.EncodeAll builds the Codes, in one of two query
// encodings (Qdrant's query_encoding):
//
//   - Asymmetric, the default, is RaBitQ's residual code: k-means centroids (AutoCentroids,
//     4·√n, trained with k-means++ on a sample), a fixed random rotation R (orthogonal,
//     block-diagonal past 1,024 dimensions), and per vector the signs of R·(x - c_k) around its
//     nearest centroid c_k, the centroid's id (uint16) and two float32 that turn the code into
//     an unbiased estimate of the distance: 106 bytes per 768-d vector, plus R (2.25 MiB at
//     768-d) and the centroids (k·d float32) once. The query stays float32: Reset rotates it
//     once and builds 256-entry lookup tables, one per code byte, and each centroid's exact
//     distance to the query is computed when a code of it is first scored. The formulas are
//     on Scorer.
//   - Symmetric binarises the query too, around a per-dimension centre (Centering), and ranks
//     by Hamming distance (distance.HammingBatch / HammingGather, VPOPCNTQ where the CPU has
//     it): 96 bytes per 768-d vector (plus a float32 under L2), cheaper to scan, less accurate.
//
// Distances follow package quant: smaller is better, the negated estimated inner product for
// flat.InnerProduct, an estimate of the squared L2 distance for flat.L2.
//
// Measured (TestDatasetRecall, flat scan of all codes, rescoring the best 30 with the float
// vectors, 2-core AVX-512 VM shared with other work): clustered-100k-768-unit (inner
// product, 1,000 clusters of 100, 1,000 queries) recall@10 0.94 asymmetric (0.93-0.94 over
// k-means seeds; 50 candidates 0.99) against 0.52 symmetric and 0.61 for the previous
// asymmetric code (per-dimension scaled signs around the global mean); fashion-mnist (L2,
// 100 queries) 1.00 asymmetric (0.78 before), 0.71 symmetric. HNSW (M 16, ef_construct 200)
// traversed with the codes, oversampling 3, on clustered-100k-768-unit: 0.934 at ef 32, 0.938
// at ef 64, 0.939 at ef 128 and 256 (needle bench ann). That set's neighbours are the
// members of one tight cluster, told apart by isotropic noise: signs around one global
// centre keep about 64 % of the noise's variance (2/π) and drown it in the cluster offsets;
// the residual from the cluster's own centroid is the noise, which the rotated signs
// estimate without bias. With 1,000 centroids (fewer than 4·√n) recall was 0.86-0.88:
// k-means merges some clusters. Training (k-means, 1,265 centroids on 63,250 vectors, 10
// iterations) takes 3-6 s and encoding 1.6 s for 100,000 768-d vectors on 2 cores; a flat
// scan costs about 35 ns per code asymmetric, 6 symmetric.
//
// Persistence: Codes.WriteTo and Read / Load, in the format of docs/format/binary.md
// (version 2, CRC-32C checked; corrupt input is an error wrapping ErrCorrupt, an intact file
// of version 1 one wrapping ErrVersion too: rebuild the codes).
//
// Concurrency: a Quantizer and Codes are immutable and safe for concurrent use; a Scorer
// belongs to one goroutine at a time (pool them: the asymmetric tables of a 768-d scorer take
// 96 KiB, plus 8 bytes per centroid).
package binary
