package distance

import (
	"fmt"
	"testing"
)

func BenchmarkSlope(b *testing.B) {
	for _, im := range supported()[:2] {
		for _, d := range []int{16, 64, 128, 256, 512, 768, 1536, 3072} {
			b.Run(fmt.Sprintf("%s/dot/%d", im.name, d), func(b *testing.B) {
				x, y := vec(d, 1), vec(d, 2)
				var s float32
				for b.Loop() {
					s += im.dot(x, y)
				}
				sink = s
			})
			b.Run(fmt.Sprintf("%s/l2/%d", im.name, d), func(b *testing.B) {
				x, y := vec(d, 1), vec(d, 2)
				var s float32
				for b.Loop() {
					s += im.l2Sq(x, y)
				}
				sink = s
			})
		}
	}
}
