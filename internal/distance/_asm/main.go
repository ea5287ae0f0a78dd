// Command _asm generates the amd64 assembly of package distance with avo.
//
// Run it from package distance with `go generate`, or by hand:
//
//	cd internal/distance/_asm && go run . -out ../dist_amd64.s -stubs ../dist_amd64_stubs.go -pkg distance
//
// The output is deterministic: running it again on an unchanged generator
// must reproduce the committed files byte for byte (check_generated.sh
// verifies that).
//
// Every kernel is emitted twice, once per instruction set (see isa.go):
// AVX-512 (16 float32 lanes, opmask tails) and AVX2+FMA (8 lanes, VMASKMOVPS
// tails). The kernel shapes live in kernels.go.
//
// With -set gather it generates the graph-search kernels of gather.go
// instead (gather_amd64.s), a separate file so the two sets can change
// independently; with -set scan the exact-search kernels of scan.go
// (scan_amd64.s); with -set bits the Hamming kernels of hamming.go
// (hamming_amd64.s); with -set f16 the float16 kernels of f16.go
// (f16_amd64.s).
package main

import (
	"flag"
	"os"
	"strconv"

	. "github.com/mmcloughlin/avo/build"
)

var set = flag.String("set", "float", "kernel set to generate: float (dist_amd64.s), gather (gather_amd64.s), scan (scan_amd64.s), bits (hamming_amd64.s) or f16 (f16_amd64.s)")

func main() {
	flag.Parse()
	// amd64 is explicit: the stubs file name carries no GOARCH suffix.
	ConstraintExpr("amd64,!purego")
	if *set == "gather" {
		declareTailMask("gathertailmask")
		genGatherSet()
		Generate()
		return
	}
	if *set == "bits" {
		genBitsSet()
		Generate()
		return
	}
	if *set == "f16" {
		genF16Set()
		Generate()
		return
	}
	if *set == "scan" {
		declareTailMask("scantailmask")
		genScanSet()
		Generate()
		return
	}
	declareTailMask("tailmask")
	for _, s := range []*isa{avx512(), avx2()} {
		for _, k := range []kind{kindDot, kindL2Sq, kindL1} {
			genPair(s, k)
			genBatch(s, k)
		}
		for _, k := range []kind{kindDot, kindL2Sq} {
			genBatch4(s, k)
		}
		genPeak(s)
	}
	Generate()
}

// envInt sets *v from the environment variable name if it is set, for A/B
// experiments on a generator parameter (an unparsable value sets 0).
func envInt(name string, v *int) {
	if s := os.Getenv(name); s != "" {
		*v, _ = strconv.Atoi(s)
	}
}
