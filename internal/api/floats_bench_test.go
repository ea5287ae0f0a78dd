package api

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkParseFloats: one 768-d vector as an upsert carries it, as short integers (pixels,
// quantized vectors) and as floats of ~9 significant digits (embeddings).
func BenchmarkParseFloats(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"ints", "floats"} {
		body := []byte{'['}
		for i := range 768 {
			if i > 0 {
				body = append(body, ',')
			}
			if kind == "ints" {
				body = strconv.AppendInt(body, int64(rng.IntN(256)), 10)
			} else {
				body = strconv.AppendFloat(body, rng.NormFloat64()*0.05, 'g', 9, 32)
			}
		}
		body = append(body, ']')
		b.Run(kind, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := parseFloats(body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
