// Package jsonnum parses JSON numbers into float32 faster than strconv when it safely can: the
// vectors of upsert bodies and embedding responses are long arrays of short decimals, and parsing
// them dominated those paths' CPU profiles.
package jsonnum

import "math"

// pow10 holds the powers of ten that are exact in float64.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// ParseFloat32 reads the number at the start of b and returns it rounded to float32 exactly as
// strconv.ParseFloat(s, 32) would, with the number of bytes read. It returns n == 0 if b does not
// start with a number it can read on its fast path; the caller then falls back to strconv.
//
// The fast path is Clinger's: at most 19 significant digits with a mantissa below 2^53 and a
// decimal exponent within ±22 give a correctly rounded float64 in one multiplication or division.
// Rounding that float64 to float32 is then correct too, unless it lies exactly halfway between
// two float32s (double rounding): that case, and every other, goes to strconv. Embedding values
// (8 or 9 significant digits, exponents near -2) almost always take the fast path, which cut a
// batch of 64 × 768 from ~2.5 ms to ~1.3-1.8 ms here (BenchmarkParseResponse, noisy machine).
func ParseFloat32(b []byte) (f float32, n int) {
	i := 0
	neg := false
	if i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	var mant uint64
	nd, exp := 0, 0
	digits := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		digits = true
		if mant == 0 && b[i] == '0' {
			continue
		}
		if nd == 19 {
			return 0, 0
		}
		mant = mant*10 + uint64(b[i]-'0')
		nd++
	}
	if i < len(b) && b[i] == '.' {
		i++
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			digits = true
			if mant == 0 && b[i] == '0' {
				exp--
				continue
			}
			if nd == 19 {
				return 0, 0
			}
			mant = mant*10 + uint64(b[i]-'0')
			nd++
			exp--
		}
	}
	if !digits {
		return 0, 0
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		eneg := false
		if i < len(b) && (b[i] == '-' || b[i] == '+') {
			eneg = b[i] == '-'
			i++
		}
		e, ed := 0, 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			if ed == 4 {
				return 0, 0
			}
			e = e*10 + int(b[i]-'0')
			ed++
		}
		if ed == 0 {
			return 0, 0
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	if i < len(b) {
		switch b[i] {
		case ',', ']', '}', ' ', '\t', '\n', '\r':
		default:
			return 0, 0 // not the end of a JSON number: let strconv judge it
		}
	}
	if mant > 1<<53 || exp < -22 || exp > 22 {
		return 0, 0
	}
	x := float64(mant)
	if exp < 0 {
		x /= pow10[-exp]
	} else {
		x *= pow10[exp]
	}
	if math.Float64bits(x)&(1<<29-1) == 1<<28 {
		return 0, 0 // exactly between two float32s: double rounding could be wrong
	}
	f = float32(x)
	if neg {
		f = -f
	}
	return f, i
}
