// Package knngraph builds the item-item top-K neighbour graph of N items: for every row, its K
// most similar rows, where similarity is a weighted sum of per-modality similarities (e.g. 0.7
// text cosine + 0.3 image cosine). It is the job behind `needle knn-graph`.
//
// # Exact mode
//
// Every pair of rows is scored exactly once. Rows are cut into blocks sized so that one block of
// base vectors stays in cache; step I scores block I against blocks J >= I with the SIMD kernels
// of package distance (PanelScan, a register-blocked micro-kernel over panels of 32 queries, for
// cosine and ip; the four-query L2SqBatch4 for l2), offering each score to both rows' bounded
// heaps (the similarity is symmetric, so the upper triangle of the score matrix is enough: half
// the arithmetic of a full all-pairs search). After step I, block I's rows have seen every column and
// are final. Each row's heap lives in one N·K array that is also the output, so peak memory is
// the inputs + N·K·8 bytes + a working set that does not grow with N (see planMemory).
// --memory-limit is checked against that plan before anything is loaded.
//
// # Determinism
//
// The output depends only on the inputs and the job's parameters, not on the thread count or on
// interruptions: each pair's score is computed by the same kernel call position whichever worker
// runs its tile (the block size depends only on the input's shape and the metric and is recorded
// in checkpoints, with the kernel implementation),
// heaps keep the K best by (distance, slot), so ties go to the smaller row number, and the
// output writers add no timestamps (zip entries are dated 1980-01-01 like numpy's).
//
// # Checkpoints
//
// At step boundaries, at most every --checkpoint-interval, the whole state (every row's heap and
// the next step) is written atomically to a checkpoint file (docs/format/knngraph-checkpoint.md).
// --resume reloads it, checks that it belongs to the same job (inputs' checksums, k, metric, ...)
// and continues with the next step, so the rows finished before a kill are not recomputed and the
// output is byte-identical to an uninterrupted run.
//
// # Approximate mode
//
// --approx builds an ANN index (registered with RegisterANN) over the concatenated, weighted
// vectors and asks it for each row's neighbours, then reports recall@K on a sample of rows
// against exact search.
//
// # Concurrency
//
// Run is safe to call from one goroutine per job; it starts its own workers (Config.Threads).
// Nothing in a step is locked: each base-side row is written only by the worker running its tile,
// the step's own block is written by the first worker directly and by the others through private
// heaps merged after a barrier, and the coordinator (progress, TSV, checkpoints) runs between
// steps. Run sets the Go heap's soft memory limit for its duration (see --memory-limit) and
// restores the previous one.
package knngraph
