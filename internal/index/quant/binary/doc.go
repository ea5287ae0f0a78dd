// Package binary is binary quantization: one bit per dimension, the sign of the value
// minus a learned per-dimension centre, 32 times smaller than float32 (a 768-d vector is
// 12 uint64 words, 96 bytes). It suits normalised high-dimensional embeddings, where it
// is a coarse first pass: an index scans or traverses the codes, keeps a few times k
// candidates (oversampling) and rescores them against the float vectors.
//
// Train learns the quantizer (the centre, the per-dimension spread, the mean radius);
// Quantizer.EncodeAll builds the Codes. Queries meet the codes in one of two encodings,
// as Qdrant's query_encoding: Symmetric binarises the query and ranks by Hamming
// distance (distance.HammingBatch / HammingGather, VPOPCNTQ where the CPU has it);
// Asymmetric keeps the float query and scores each code byte through a 256-entry lookup
// table of the query's centred, per-dimension scaled values. Under L2 every code also
// carries two float32: ‖x-c‖² and the least-squares scale of its reconstruction.
//
// Distances follow package quant: smaller is better, the negated estimated inner
// product for flat.InnerProduct, an estimate of the squared L2 distance for flat.L2
// (the formulas are on Scorer).
//
// Measured (TestDatasetRecall, flat scan of all codes, rescoring the best 30 with the
// float vectors, 2-core AVX-512 VM): fashion-mnist (L2) recall@10 0.78 asymmetric, 0.71
// symmetric; clustered-100k-768-unit (inner product) 0.60 and 0.52, where 70 candidates
// give 0.92 and 0.87, and 100 give 0.999 and 0.994. That set's neighbours are the members
// of one tight cluster, told apart by isotropic noise that one bit per dimension keeps
// about 64 % of (2/π); in the experiments that chose this design neither per-slot scales,
// query-adaptive tables, a k-means centre per slot (1,024 centres) nor 3 levels per
// dimension reached 0.90 at 30 candidates (best 0.81: 2 bits per dimension around
// k-means centres). Scan cost: about 27 ns per 768-d code asymmetric, 5 symmetric
// (BenchmarkScoreRange).
//
// Persistence: Codes.WriteTo and Read / Load, in the format of docs/format/binary.md
// (versioned, CRC-32C checked; corrupt input is an error wrapping ErrCorrupt).
//
// Concurrency: a Quantizer and Codes are immutable and safe for concurrent use; a
// Scorer belongs to one goroutine at a time (pool them: the asymmetric tables of a 768-d
// scorer take 96 KiB).
package binary
