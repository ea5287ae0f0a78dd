// Package quant holds the vector codecs that trade exactness for memory:
// product quantization (subpackage pq), binary quantization (subpackage
// binary) and the k-means they are trained with (subpackage kmeans). Each
// codec turns a float32 vector set into compact codes that score queries
// approximately; an index traverses or scans with the codes and rescores its
// final candidates against the full vectors (which may stay on disk).
//
// Conventions shared by every codec: distances are "smaller is better" as
// in package topk — squared L2 for flat.L2, the negated inner product for
// flat.InnerProduct (Cosine is InnerProduct on normalised vectors).
//
// Concurrency: Codes are immutable once built and safe for concurrent use;
// a Scorer belongs to one goroutine at a time (pool it).
package quant

// Codes is a compressed copy of a vector set, one code per slot.
type Codes interface {
	// Dim is the dimension of the vectors that were encoded.
	Dim() int
	// Len is the number of codes (slots).
	Len() int
	// CodeBytes is the size of one code in bytes.
	CodeBytes() int
	// MemoryBytes is what the codes and their codebooks occupy in RAM.
	MemoryBytes() int64
	// NewScorer returns query scratch for these codes.
	NewScorer() Scorer
}

// Scorer scores one query at a time against the Codes it came from.
type Scorer interface {
	// Reset prepares the scorer for query q (len(q) == Dim()): builds the
	// lookup tables or the quantized query.
	Reset(q []float32)
	// Score writes the approximate distance from the query to the code of
	// each of ids into out[:len(ids)].
	Score(ids []uint32, out []float32)
	// ScoreRange writes the approximate distances to the codes of slots
	// first, first+1, ..., first+len(out)-1 into out (a sequential scan).
	ScoreRange(first int, out []float32)
}

// Precise is implemented by Codes whose distances are accurate enough to be returned as
// results (float16): an index traversing them skips the float32 rescoring.
type Precise interface {
	Precise() bool
}
