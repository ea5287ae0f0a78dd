// Package binary is binary quantization: about one bit per dimension, 32 times smaller than
// float32 (a 768-d vector is 12 uint64 words, 96 bytes, in either encoding). It suits
// high-dimensional embeddings, where it is a coarse first pass: an index scans or traverses
// the codes, keeps a few times k candidates (oversampling) and rescores them against the
// float vectors.
//
// Train learns a Quantizer and Quantizer.EncodeAll builds the Codes, in one of two query
// encodings (Qdrant's query_encoding):
//
//   - Asymmetric, the default, is RaBitQ's residual code: k-means centroids (AutoCentroids,
//     4·√n, trained with k-means++ on a sample), a fixed random orthogonal projection P to B
//     dimensions (the first B rows of a random rotation, block-diagonal past 1,024
//     dimensions), and per vector the signs of P·(x - c_k) around its nearest centroid c_k,
//     the centroid's id (uint16) and two float16 that turn the code into an unbiased estimate
//     of the distance, all in at most dim/8 bytes: the code is 64·⌊dim/64⌋ bits (whole words
//     for the scan) and B = 64·⌊dim/64⌋ - 48, 720 at 768-d, so 90 bytes of signs, 2 of id and
//     4 of floats make 96 (residualShape; where B would be under 7/8 of dim — below 384
//     dimensions, and in the upper part of some 64-wide bands above, e.g. 458–511 — B = dim
//     and the code grows: 40 bytes at 256-d, 72 at 500-d). Once per codes: P (2.1 MiB at 768-d),
//     the centroids (k·d float32) and the two powers of two the float16 are in units of. The
//     query stays float32: Reset projects it once and builds 256-entry lookup tables, one per
//     byte of signs, and each centroid's exact distance to the query is computed when a code
//     of it is first scored. The formulas are on Scorer.
//   - Symmetric binarises the query too, around a per-dimension centre (Centering), and ranks
//     by Hamming distance (distance.HammingBatch / HammingGather, VPOPCNTQ where the CPU has
//     it): 96 bytes per 768-d vector (plus a float32 under L2), cheaper to scan, less accurate.
//
// Distances follow package quant: smaller is better, the negated estimated inner product for
// flat.InnerProduct, an estimate of the squared L2 distance for flat.L2.
//
// Measured (TestDatasetRecall, flat scan of all codes, rescoring the best 30 with the float
// vectors, 2-core AVX-512 VM shared with other work): clustered-100k-768-unit (inner
// product, 1,000 clusters of 100, 1,000 queries) recall@10 0.921 asymmetric at 96 bytes
// (0.922 with seed 1; 50 candidates 0.988, 70 0.999) against 0.53 symmetric; fashion-mnist
// (L2, 784-d, 96 bytes, 10,000 queries) 0.998 asymmetric, 0.73 symmetric. needle bench ann
// on clustered-100k-768-unit, oversampling 3, vectors on disk, 1,000 queries: HNSW (M 16,
// ef_construct 200) traversed with the codes 0.922 at ef 64 and 128 (0.938-0.939 with the
// 106-byte code), flat scan 0.922.
// What the 96 bytes cost, on clustered-100k-768-unit at 30 candidates: the earlier 106-byte
// code (768 signs, float32 terms) measured 0.939; float16 terms with all 768 signs 0.937;
// 720 signs 0.921 and 704 (a float32 term instead of a float16) 0.913. Scaling A by the
// residual's own projected norm (‖r‖²/‖P·r‖², as below) or by its expectation d/B gives
// the same recall there (0.9210 and 0.9209; fashion-mnist 0.9984 and 0.9982).
// That set's neighbours are the members of one tight cluster, told apart by isotropic noise:
// signs around one global centre keep about 64 % of the noise's variance (2/π) and drown it
// in the cluster offsets; the residual from the cluster's own centroid is the noise, which
// the projected signs estimate without bias. With 1,000 centroids (fewer than 4·√n) recall
// was 0.86-0.88 (106-byte codes): k-means merges some clusters. Training (k-means, 1,265
// centroids on 63,250 vectors, 10 iterations) takes 3-6 s and encoding 1.6 s for 100,000
// 768-d vectors on 2 cores; a flat scan costs about 37 ns per code asymmetric, 6 symmetric.
//
// Persistence: Codes.WriteTo and Read / Load, in the format of docs/format/binary.md
// (version 3, CRC-32C checked; corrupt input is an error wrapping ErrCorrupt, an intact file
// of version 1 one wrapping ErrVersion too: rebuild the codes).
//
// Concurrency: a Quantizer and Codes are immutable and safe for concurrent use; a Scorer
// belongs to one goroutine at a time (pool them: the asymmetric tables of a 768-d scorer take
// 90 KiB, plus 8 bytes per centroid).
package binary
