package jsonnum

import (
	"math"
	"strconv"
	"strings"
	"testing"
)

// parseFloat32 must agree bit for bit with strconv.ParseFloat(s, 32), or decline.
func checkFloat32(t *testing.T, s string) {
	t.Helper()
	want, err := strconv.ParseFloat(s, 32)
	got, n := ParseFloat32([]byte(s + ","))
	if n == 0 {
		return
	}
	if err != nil {
		t.Fatalf("%q: fast path accepted what strconv rejects (%v)", s, err)
	}
	if n != len(s) || math.Float32bits(got) != math.Float32bits(float32(want)) {
		t.Fatalf("%q: got %v (%d bytes), strconv %v", s, got, n, float32(want))
	}
}

func TestParseFloat32(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "-0", "1", "-1.5", "0.0069292835", "-0.009327292", "1e-3", "12345678901234567",
		"0.012345678918063641", "3.4028235e38", "1.17549435e-38", "1E+2", "00012", "0.000000000000000000001",
		"16777217", "0.1", "1.", ".5", "1e", "-", "9007199254740993"} {
		checkFloat32(t, s)
	}
	fast := 0
	r := uint32(12345)
	for range 20000 { // more with: go test -fuzz FuzzParseFloat32
		r = r*1664525 + 1013904223
		f := math.Float32frombits(r)
		if f != f || math.IsInf(float64(f), 0) {
			continue
		}
		for _, s := range []string{
			strconv.FormatFloat(float64(f), 'g', -1, 32),
			strconv.FormatFloat(float64(f), 'g', -1, 64),
			strconv.FormatFloat(float64(f)/1e30, 'g', -1, 32), // typical magnitudes
			strconv.FormatFloat(float64(f)/1e30, 'f', -1, 64),
			strconv.FormatFloat(float64(f)/1e30, 'e', 7, 64),
		} {
			checkFloat32(t, s)
			if _, n := ParseFloat32([]byte(s)); n > 0 {
				fast++
			}
		}
	}
	if fast == 0 {
		t.Fatal("fast path never taken")
	}
}

func FuzzParseFloat32(f *testing.F) {
	for _, s := range []string{"0.0069292835", "-1e-5", "123456789", "1.00000005960464477539062500"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if strings.ContainsAny(s, ",]} \t\r\n") {
			return
		}
		checkFloat32(t, s)
	})
}
