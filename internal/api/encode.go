package api

import (
	"encoding/json"
	"math"
	"strconv"
)

// AppendScoredPoints appends pts as a JSON array, byte for byte what json.Marshal(pts) writes,
// without reflection over the points: id, version and score are written directly and only a
// point's payload and vector, when present, go through encoding/json. A search answers every
// request with one of these, and json.Marshal was 5 % of the server's CPU under load (issue 5's
// profile).
func AppendScoredPoints(b []byte, pts []ScoredPoint) ([]byte, error) {
	if pts == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '[')
	for i := range pts {
		p := &pts[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = p.ID.AppendJSON(b)
		b = append(b, `,"version":`...)
		b = strconv.AppendUint(b, p.Version, 10)
		b = append(b, `,"score":`...)
		var err error
		if b, err = appendFloat32(b, p.Score); err != nil {
			return nil, err
		}
		b = append(b, `,"payload":`...)
		if b, err = appendValue(b, p.Payload == nil, p.Payload); err != nil {
			return nil, err
		}
		b = append(b, `,"vector":`...)
		if b, err = appendValue(b, p.Vector == nil, p.Vector); err != nil {
			return nil, err
		}
		b = append(b, '}')
	}
	return append(b, ']'), nil
}

// appendValue appends null or v through encoding/json.
func appendValue(b []byte, isNil bool, v any) ([]byte, error) {
	if isNil {
		return append(b, "null"...), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, enc...), nil
}

// appendFloat32 formats f as encoding/json does a float32 (which refuses NaN and infinities).
func appendFloat32(b []byte, f float32) ([]byte, error) {
	if x := float64(f); math.IsNaN(x) || math.IsInf(x, 0) {
		return nil, &json.UnsupportedValueError{Str: strconv.FormatFloat(x, 'g', -1, 32)}
	}
	return AppendJSONFloat(b, float64(f), 32), nil
}

// AppendJSONFloat appends the finite f as encoding/json writes a float of that many bits (32 or
// 64): plain digits, or the exponent form below 1e-6 and from 1e21, with e-07 written e-7.
func AppendJSONFloat(b []byte, f float64, bits int) []byte {
	abs, format := math.Abs(f), byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, bits)
	if format == 'e' {
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}
