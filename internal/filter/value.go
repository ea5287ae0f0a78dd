package filter

import (
	"encoding/json"
	"math"
	"strconv"
	"time"
)

// Payload values are what encoding/json produces with UseNumber: nil, bool, string, json.Number,
// []any and map[string]any. Go integer and float types are accepted too (integers count as JSON
// integers, floats as JSON non-integers) so that payloads built in Go behave predictably.

// asInt reports v as an int64 if it is a JSON integer ("5", not "5.0" or "5e0"), as Qdrant's
// serde_json Value::as_i64 does.
func asInt(v any) (int64, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := strconv.ParseInt(string(x), 10, 64)
		return n, err == nil
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	}
	return 0, false
}

// asFloat reports v as a float64 if it is any JSON number.
func asFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !isRangeErr(err) {
			return 0, false
		}
		if math.IsNaN(f) {
			return 0, false
		}
		return f, true
	case float64:
		return x, !math.IsNaN(x)
	case float32:
		return float64(x), !math.IsNaN(float64(x))
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	}
	return 0, false
}

// isRangeErr: ParseFloat returns ±Inf with ErrRange for huge literals such as 1e400, which JSON
// allows; treat them as the infinities they round to.
func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// parseDatetime parses the datetime forms Qdrant accepts and returns microseconds since the Unix
// epoch (UTC). Accepted: "YYYY-MM-DD", "YYYY-MM-DD HH:MM", and
// "YYYY-MM-DD[T ]HH:MM:SS[.fraction][zone]" where zone is Z, ±HH:MM, ±HHMM or ±HH. No zone means UTC.
// ("T" may also be lower-case, and "YYYY-MM-DDTHH:MM" is accepted as well.)
func parseDatetime(s string) (int64, bool) {
	if len(s) < 10 || len(s) > 64 {
		return 0, false
	}
	year, ok1 := digits(s, 0, 4)
	month, ok2 := digits(s, 5, 2)
	day, ok3 := digits(s, 8, 2)
	if !ok1 || !ok2 || !ok3 || s[4] != '-' || s[7] != '-' {
		return 0, false
	}
	var hour, minute, sec, nanos, offset int
	i := 10
	if i < len(s) {
		if c := s[i]; c != 'T' && c != 't' && c != ' ' {
			return 0, false
		}
		var ok bool
		if hour, ok = digits(s, i+1, 2); !ok || i+3 >= len(s) || s[i+3] != ':' {
			return 0, false
		}
		if minute, ok = digits(s, i+4, 2); !ok {
			return 0, false
		}
		i += 6
		if i < len(s) {
			if s[i] != ':' {
				return 0, false
			}
			if sec, ok = digits(s, i+1, 2); !ok {
				return 0, false
			}
			i += 3
			if i < len(s) && s[i] == '.' {
				j := i + 1
				scale := 100000000
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					nanos += int(s[j]-'0') * scale
					scale /= 10
					j++
				}
				if j == i+1 {
					return 0, false
				}
				i = j
			}
			if i < len(s) {
				if offset, ok = parseZone(s[i:]); !ok {
					return 0, false
				}
			}
		}
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return 0, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nanos, time.UTC)
	return t.UnixMicro() - int64(offset)*1e6, true
}

// parseZone parses Z, ±HH:MM, ±HHMM or ±HH and returns the offset in seconds east of UTC.
func parseZone(z string) (int, bool) {
	if z == "Z" || z == "z" {
		return 0, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	h, ok := digits(z, 1, 2)
	if !ok || h > 23 {
		return 0, false
	}
	m := 0
	switch len(z) {
	case 3:
	case 5:
		if m, ok = digits(z, 3, 2); !ok {
			return 0, false
		}
	case 6:
		if z[3] != ':' {
			return 0, false
		}
		if m, ok = digits(z, 4, 2); !ok {
			return 0, false
		}
	default:
		return 0, false
	}
	if m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

func digits(s string, at, n int) (int, bool) {
	if at < 0 || at+n > len(s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(s[at : at+n]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// NumericValues returns the ordering keys of the values key reaches in payload (arrays at the end of
// the path are flattened one level): JSON numbers as float64, and strings that parse as Qdrant
// datetimes as microseconds since the Unix epoch (UTC). Other values are skipped. The collection
// uses it for scroll order_by on integer, float and datetime indexed fields.
func NumericValues(payload map[string]any, key string) []float64 {
	var out []float64
	forEachLeaf(Values(payload, key), func(v any) bool {
		if f, ok := asFloat(v); ok {
			out = append(out, f)
		} else if s, ok := v.(string); ok {
			if us, ok := parseDatetime(s); ok {
				out = append(out, float64(us))
			}
		}
		return false
	})
	return out
}

// ParseDatetime parses a datetime in any form Qdrant accepts and returns microseconds since the
// Unix epoch (UTC), the value NumericValues reports for datetime payloads.
func ParseDatetime(s string) (int64, bool) { return parseDatetime(s) }
