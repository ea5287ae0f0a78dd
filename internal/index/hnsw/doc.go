// Package hnsw is Needle's approximate nearest-neighbour index: a
// hierarchical navigable small-world graph (Malkov & Yashunin, as in
// hnswlib) over vectors the caller owns.
//
// # Using it
//
//	vecs := flat.Vectors{Dim: d, Data: data}          // slot s is data[s*d:(s+1)*d]
//	idx, err := hnsw.New(hnsw.Config{Dim: d, Metric: flat.L2, M: 16, EfConstruct: 200,
//		Quantization: hnsw.Int8}, vecs)
//	err = idx.Build(n, 0)                             // train, then insert slots 0..n-1 on all cores
//	// or: idx.Train(sample); idx.Insert(slot) from any number of goroutines
//	items := idx.Search(q, 10, 64, nil)               // []topk.Item, best first
//
// The index stores no copy of the float vectors: it reads slot s from the
// flat.Vectors it was given (one copy of the vectors in memory; a segment
// can hand it an mmapped array). The caller writes a slot's vector before
// Insert(slot) and never changes it afterwards; when its storage grows, it
// passes the new array with SetVectors. Slots are dense uint32 numbers;
// the graph's arrays are sized to the largest inserted slot.
//
// Distances are "smaller is better", as in package topk: L2 ranks by the
// squared Euclidean distance, InnerProduct by the negated dot product
// (Cosine is InnerProduct on vectors normalised by the caller).
//
// With Quantization Int8 the index also keeps one byte per dimension per
// vector (a per-dimension offset and one global step, trained by Train or
// Build). The graph is built and traversed with integer distances on those
// codes (AVX-512 VNNI where the CPU has it), and the candidates a search
// ends with that may be among the best k (within six standard deviations of
// the quantization noise of the k-th) are rescored with exact float32
// distances: reported distances are always exact. See
// docs/decisions/005-hnsw-int8-traversal.md. When every inserted vector is
// exactly representable by its code (integer data such as pixels: the
// index records it), an L2 query on the code grid needs no rescoring and
// the float vectors are not read at all.
//
// SetCodes attaches other codes (quant.Codes: product, binary, float16)
// that searches traverse the graph with instead, built from the float
// vectors as before; the best ceil(K·Oversampling) candidates are then
// rescored in float32, unless the codes are quant.Precise (float16).
// SearchParams.IgnoreQuantization and NoRescore select float32 traversal
// or the approximate distances, as Qdrant's quantization search params.
//
// Memory: level-0 lists of 2M uint32 (128 bytes at M = 16) per slot, the
// upper levels (about 1/M of the nodes) in a chunked arena, 14 bytes of
// per-slot state, and with Int8 the codes (dim rounded up to 64 bytes per
// slot). The large arrays are advised onto transparent huge pages on
// Linux: a search touches random nodes, and 4 KiB pages would make nearly
// every touch of a large index a TLB miss.
//
// # Filters and deletes
//
// Search takes an accept function; SearchWith also takes a filter.Bitmap
// of allowed slots and an estimate of how many there are. The traversal
// visits every node but only accepted ones enter the results, so a
// selective filter makes the search explore further, not return fewer
// results; when the estimated allowed count is small (see SearchParams),
// the allowed slots are scored exhaustively instead. Delete marks a slot:
// it is never returned, but it stays in the graph as a waypoint until
// Rebuild makes a fresh graph over the live slots.
//
// # Concurrency
//
// Insert, Delete, Search and SearchWith are safe for concurrent use with
// each other. Inserts of different slots proceed in parallel: each node
// has its own lock, held only while that node's neighbour list is
// rewritten, and never two at once. Searches take no node locks: neighbour
// lists are read and written with atomic word loads and stores (plain
// moves on amd64), so a search sees each list either before or after a
// concurrent update of any one entry, and only ever ids of nodes whose
// data is complete. Growing the arrays (an Insert beyond the current
// capacity, SetVectors) takes a write lock that briefly excludes everything
// else. A search running concurrently with Insert(s) may or may not return
// s; one that starts after Delete(s) returned never does. WriteTo waits for
// running inserts and deletes and holds new ones off while it writes;
// searches continue. Train must finish before the first Insert.
//
// # Invariants
//
//   - A neighbour list is a fixed run of 2M (level 0) or M words holding
//     its ids packed at the front, then none (0xFFFFFFFF).
//   - Every id in a list is a slot whose Insert has linked it at that
//     level (its level is at least the list's), and never the list's own
//     node.
//   - An inserting node appears in other lists only once its own lists are
//     written on every level it links: whoever reaches it can descend.
//   - The entry point is an inserted node of the highest level (or none
//     while the index is empty).
//   - A deleted slot is inserted; it stays in the graph and in lists.
//
// # Persistence
//
// WriteTo writes the graph (and the int8 codes) in the versioned,
// CRC32C-checked format of docs/format/hnsw.md; Load reads it back beside
// the same vectors without rebuilding. Load validates every count and id,
// so a corrupt or hostile file yields an error wrapping ErrCorrupt, never a
// panic or an out-of-range read.
package hnsw
