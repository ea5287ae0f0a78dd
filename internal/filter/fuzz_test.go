package filter

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/needlevdb/needle/internal/pointid"
)

// FuzzParse checks that Parse never panics on arbitrary bytes, that a parsed filter survives a
// MarshalJSON/Parse round trip, and that it can Match and compute Candidates for an arbitrary
// payload without panicking, with the candidate superset invariant holding for that payload.
// The seed corpus is in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"must": [{"key": "a", "match": {"value": 1}}]}`), []byte(`{"a": [1, 2]}`))
	f.Fuzz(func(t *testing.T, filterJSON, payloadJSON []byte) {
		flt, err := Parse(filterJSON)
		if err != nil {
			if _, ok := err.(*ParseError); !ok {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			return
		}
		if flt == nil {
			return
		}
		again, err := Parse([]byte(flt.String()))
		if err != nil || again == nil {
			t.Fatalf("round trip of %s failed: %v", flt.String(), err)
		}

		dec := json.NewDecoder(bytes.NewReader(payloadJSON))
		dec.UseNumber()
		var p map[string]any
		if dec.Decode(&p) != nil {
			p = map[string]any{"a": json.Number("1")}
		}
		id := pointid.Num(uint64(len(payloadJSON)))
		got := flt.Match(id, p)
		if again.Match(id, p) != got {
			t.Fatalf("round-tripped filter disagrees on %s", payloadJSON)
		}

		// Index every top-level key of the payload under every schema and check the superset
		// invariant for slot 0.
		ix := &Indexes{IDLookup: func(x pointid.ID) (uint32, bool) { return 0, x == id }}
		schemas := []Schema{SchemaKeyword, SchemaInteger, SchemaFloat, SchemaBool, SchemaUUID, SchemaDatetime}
		i := 0
		for k := range p {
			if ValidateKey(k) != nil {
				continue
			}
			ix.Put(NewIndex(k, schemas[i%len(schemas)]))
			i++
		}
		ix.Add(0, p)
		if bits, ok := flt.Candidates(ix, 1); ok && got && !bits.Get(0) {
			t.Fatalf("slot 0 matches but is not a candidate\nfilter: %s\npayload: %s", filterJSON, payloadJSON)
		}
		ix.Remove(0, p)
	})
}
