package filter

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestParseDatetime(t *testing.T) {
	ref := func(s string) int64 {
		tt, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tt.UnixMicro()
	}
	good := map[string]int64{
		"2020-02-15T00:00:00Z":             ref("2020-02-15T00:00:00Z"),
		"2020-02-15T10:11:12.123456Z":      ref("2020-02-15T10:11:12.123456Z"),
		"2020-02-15T10:11:12.1234567Z":     ref("2020-02-15T10:11:12.123456Z"),
		"2020-02-15t10:11:12z":             ref("2020-02-15T10:11:12Z"),
		"2020-02-15T10:11:12+01:00":        ref("2020-02-15T09:11:12Z"),
		"2020-02-15T10:11:12-0130":         ref("2020-02-15T11:41:12Z"),
		"2020-02-15T10:11:12+02":           ref("2020-02-15T08:11:12Z"),
		"2020-02-15 10:11:12":              ref("2020-02-15T10:11:12Z"),
		"2020-02-15 10:11:12.5":            ref("2020-02-15T10:11:12.5Z"),
		"2020-02-15 10:11:12.5+00:00":      ref("2020-02-15T10:11:12.5Z"),
		"2020-02-15 10:11":                 ref("2020-02-15T10:11:00Z"),
		"2020-02-15":                       ref("2020-02-15T00:00:00Z"),
		"2024-02-29":                       ref("2024-02-29T00:00:00Z"),
		"1969-12-31T23:59:59Z":             -1_000_000,
		"2023-02-08T10:49:00.000000+00:00": ref("2023-02-08T10:49:00Z"),
	}
	for s, want := range good {
		got, ok := parseDatetime(s)
		if !ok || got != want {
			t.Errorf("parseDatetime(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "2020", "2020-02-30", "2023-02-29", "2020-13-01", "2020-1-01", "2020-02-15T", "2020-02-15T25:00:00Z",
		"2020-02-15T10:60:00Z", "2020-02-15T10:11:12.Z", "2020-02-15T10:11:12+25:00", "2020-02-15T10:11:12+01:0",
		"2020-02-15T10:11:12 ", "2020-02-15X10:11:12", "now", "2020-02-15T10:11Z", "+2020-02-15"} {
		if got, ok := parseDatetime(s); ok {
			t.Errorf("parseDatetime(%q) = %d, want failure", s, got)
		}
	}
}

func TestNumbers(t *testing.T) {
	ints := map[any]bool{json.Number("5"): true, json.Number("-0"): true, json.Number("5.0"): false, json.Number("5e0"): false,
		json.Number("18446744073709551615"): false, 5: true, int64(5): true, 5.0: false, "5": false, true: false, nil: false}
	for v, want := range ints {
		if _, ok := asInt(v); ok != want {
			t.Errorf("asInt(%#v) ok = %v, want %v", v, ok, want)
		}
	}
	if f, ok := asFloat(json.Number("1e400")); !ok || f < 1e308 {
		t.Errorf("asFloat(1e400) = %v, %v", f, ok)
	}
	if _, ok := asFloat("1"); ok {
		t.Error("asFloat of a string succeeded")
	}
}

func TestNumericValues(t *testing.T) {
	p := payload(t, `{"n": [3, 1.5, "x", true, null, [7]], "d": ["2020-01-01T00:00:00Z", "nope"], "o": {"v": 2}}`)
	if got := NumericValues(p, "n"); !reflect.DeepEqual(got, []float64{3, 1.5}) {
		t.Errorf("n: %v", got)
	}
	if got := NumericValues(p, "d"); !reflect.DeepEqual(got, []float64{1577836800e6}) {
		t.Errorf("d: %v", got)
	}
	if got := NumericValues(p, "o.v"); !reflect.DeepEqual(got, []float64{2}) {
		t.Errorf("o.v: %v", got)
	}
	if got := NumericValues(p, "missing"); got != nil {
		t.Errorf("missing: %v", got)
	}
}
