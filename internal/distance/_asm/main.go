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
package main

import (
	. "github.com/mmcloughlin/avo/build"
)

func main() {
	// amd64 is explicit: the stubs file name carries no GOARCH suffix.
	ConstraintExpr("amd64,!purego")
	declareTailMask()
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
