package filter

import (
	"encoding/json"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

func TestAnd(t *testing.T) {
	a, _ := Parse([]byte(`{"must":[{"key":"x","match":{"value":1}}]}`))
	b, _ := Parse([]byte(`{"must_not":[{"key":"y","match":{"value":"no"}}]}`))
	both := And(a, b)
	if And(nil, b) != b || And(a, nil) != a || And(nil, nil) != nil {
		t.Fatal("And with nil must return the other filter")
	}
	cases := []struct {
		p    map[string]any
		want bool
	}{
		{map[string]any{"x": json.Number("1"), "y": "ok"}, true},
		{map[string]any{"x": json.Number("1"), "y": "no"}, false},
		{map[string]any{"x": json.Number("2"), "y": "ok"}, false},
	}
	for _, c := range cases {
		if got := both.Match(pointid.Num(1), c.p); got != c.want {
			t.Errorf("And.Match(%v) = %v", c.p, got)
		}
	}
	// The combination marshals to JSON that parses back to the same meaning.
	raw, _ := both.MarshalJSON()
	again, err := Parse(raw)
	if err != nil || !again.Match(pointid.Num(1), cases[0].p) || again.Match(pointid.Num(1), cases[1].p) {
		t.Fatalf("And's JSON %s does not round-trip: %v", raw, err)
	}
}
