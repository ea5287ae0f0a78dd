// Package pq is product quantization: a vector of dimension Dim is cut
// into M subvectors of Dim/M floats, and each subvector is replaced by the
// index (one byte) of its nearest centroid in that subspace's codebook of
// up to 256 centroids, trained with package kmeans. A code is M bytes, and
// codes are stored back to back, M bytes per slot.
//
// Scoring is asymmetric (ADC): the query stays in float32. Scorer.Reset
// builds a lookup table of M rows of 256 float32 (Table), the distance
// from each query subvector to each centroid of its subspace; the distance
// to a code is then the sum of M table entries, one per row, picked by the
// code's bytes. Distances follow package quant: squared L2 for flat.L2,
// the negated inner product for flat.InnerProduct. Codebooks are always
// trained and codes always assigned by L2 in each subspace, as Faiss does.
//
// The scan (Sums, ScanBelow, Gather) is pure Go, unrolled for M = 8, 16
// and 32 with the table as fixed-size arrays so that the compiler drops
// every bounds check; it is bound by the M table loads per code (see
// internal/index/ivf/BENCHMARKS.md for what was tried). Building tables
// (DotTable, DotTableAdd, AddTables) uses AVX-512 kernels generated with
// avo from _asm/ (table_amd64.s; _asm/check_generated.sh checks them),
// with the Go loops of table.go as the fallback (other CPUs, -tags purego)
// and the reference the tests compare them with.
//
// Package ivf stores codes itself (in inverted lists, of residuals) and
// uses the building blocks exported here: Quantizer.EncodeBatch, the Table
// builders, AddTables, Sums and ScanBelow.
//
// Persistence: Codes.WriteTo and Read, in the format of docs/format/pq.md
// (versioned, CRC-32C checked; corrupt input is an error, never a panic).
//
// Concurrency: a Quantizer and Codes are immutable once built and safe for
// concurrent use; a Scorer belongs to one goroutine at a time.
package pq
