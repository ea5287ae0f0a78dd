// Package distance provides the float32 distance kernels of Needle: dot
// product, squared Euclidean (L2) and Manhattan (L1) distance between two
// vectors, batch forms that score one query against many vectors stored
// back to back, four-query batch forms that read the base once per four
// queries, scan kernels that hand back only the vectors beating a bound
// (L2SqBatchBelow, DotBatchAbove, and PanelScan, a register-blocked
// matrix-multiply micro-kernel for panels of many queries; see scan.go),
// and Norm/Normalize. Cosine similarity is Dot on vectors normalised with
// Normalize; there is no separate cosine kernel.
//
// Beside them are the kernels of compressed vectors: gather kernels that
// score a query against rows picked by id, including uint8 codes
// (L2SqU8, DotU8, DotU8I16; gather.go), the Hamming distance between
// binary codes (Hamming, HammingBatch, HammingGather; hamming.go), and
// float16 storage (F16ToF32, F32ToF16, DotF16, L2SqF16 and their gathers;
// f16.go).
//
// # Concurrency
//
// Every function is pure apart from writing its out (or, for Normalize,
// its argument) slice, and is safe for concurrent use. Nothing is
// allocated and nothing is locked.
//
// # Dispatch
//
// On amd64 the kernels are assembly generated with avo from the generator
// in _asm/ (a separate module, never a dependency of the binary) into
// dist_amd64.s and dist_amd64_stubs.go. There are two sets: AVX-512
// (AVX512F+VL and BMI2; 16 lanes, opmask-masked tails) and AVX2+FMA (8
// lanes, VMASKMOVPS tails), each with 8 independent accumulators in the
// one-query kernels and 16 (AVX-512) or 8 (AVX2) in the four-query ones,
// which score two base vectors per pass and prefetch ahead. The best set the
// CPU supports is chosen once at package initialisation with
// golang.org/x/sys/cpu; Impl reports which. On other architectures, and
// with the purego build tag, the pure-Go kernels of dist_generic.go are
// used; they are also the reference the tests compare the assembly with.
// Batch forms loop over the base vectors inside the assembly, so one call
// costs one Go-to-assembly transition however many vectors it scores. The
// scan kernels are a third generated file, scan_amd64.s (-set scan), beside
// the gather set of gather_amd64.s (-set gather), the Hamming kernels of
// hamming_amd64.s (-set bits) and the float16 kernels of f16_amd64.s (-set
// f16).
//
// Sets that need more than the float level are chosen apart, each by its
// own detection: the uint8 code kernels use AVX-512 VNNI where the CPU has
// it, else AVX2 (CodeImpl reports which); the Hamming kernels AVX-512
// VPOPCNTDQ, else pure Go (HammingImpl); the float16 kernels AVX-512 with
// AVX-512 BW, else pure Go (F16Impl). Tests call every implementation the
// CPU supports, not only the chosen one.
//
// Results of different implementations agree within float32 rounding, not
// bit for bit: they sum in different orders.
//
// # Invariants
//
// The assembly never reads outside its slices: tails are loaded with masked
// loads, which do not fault on the masked-off lanes. Batch forms check
// that base is long enough before entering assembly.
//
// To regenerate the assembly after changing _asm/, run go generate (or the
// command below from _asm/); _asm/check_generated.sh verifies that the
// committed files are up to date.
package distance

//go:generate go run -C _asm . -out ../dist_amd64.s -stubs ../dist_amd64_stubs.go -pkg distance
