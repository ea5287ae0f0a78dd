// Package bench holds what the benchmark subcommands (`needle bench ...`)
// share: readers and writers for dataset files, recall, latency
// percentiles, and a few machine measurements that put results in context.
//
// Dataset files. [ReadMatrix] reads float vectors from NumPy .npy files
// (float32 or float64, little-endian, C order, 2-D) and from the TEXMEX
// .fvecs/.bvecs formats; [ReadIntMatrix] reads ground-truth ids from .npy
// (int32 or int64) and .ivecs. The format is chosen by the file extension.
// Float32 and int32 data is read straight into the result's backing array
// (no per-element parsing), so a large file loads at disk or page-cache
// speed. Every malformed input (wrong dtype, wrong rank, Fortran order,
// truncated data, inconsistent row headers) is reported as a *[FormatError]
// naming the file. [WriteNpyFloat32], [WriteNpyInt32] and [WriteNpyInt64]
// write .npy version 1.0 files that numpy.load reads.
//
// Measurement. [Recall] computes recall@k the way the peers script
// (shared/bench/peers.py) does, so Needle's numbers and the peers' numbers
// are comparable line by line. [Percentiles] summarises latency samples.
// [StreamReadBandwidth] measures how fast this machine streams memory, the
// ceiling for any brute-force scan. [RSS] reports the process's resident
// set size.
//
// Concurrency: every function is safe for concurrent use; a *Matrix or
// *IntMatrix is a plain value that callers may share read-only.
// StreamReadBandwidth uses the requested number of goroutines internally
// and should run on an otherwise idle machine.
//
// Invariant: for a *Matrix or *IntMatrix returned by this package,
// len(Data) == Rows*Cols.
package bench
