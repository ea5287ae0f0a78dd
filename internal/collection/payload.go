package collection

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// DecodePayload parses a JSON object into the payload representation used everywhere in Needle:
// map[string]any with numbers kept as json.Number (so integers keep full int64 precision).
func DecodePayload(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after payload object")
	}
	return m, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// mergePayload returns a new map: base with every key of upd set (Qdrant's set_payload). With a
// non-empty key, upd is merged into the object at that key path instead (created if missing).
func mergePayload(base, upd map[string]any, key string) map[string]any {
	out := make(map[string]any, len(base)+len(upd))
	for k, v := range base {
		out[k] = v
	}
	if key == "" {
		for k, v := range upd {
			out[k] = v
		}
		return out
	}
	head, rest, nested := cutKey(key)
	inner, _ := out[head].(map[string]any)
	if nested {
		out[head] = mergePayload(inner, upd, rest)
	} else {
		out[head] = mergePayload(inner, upd, "")
	}
	return out
}

// DeletePayloadKeys returns a copy of base without the given keys (dotted paths reach into
// objects, which are copied, never modified).
func DeletePayloadKeys(base map[string]any, keys []string) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for _, key := range keys {
		deleteKey(out, key)
	}
	return out
}

func deleteKey(m map[string]any, key string) {
	head, rest, nested := cutKey(key)
	if !nested {
		delete(m, head)
		return
	}
	inner, ok := m[head].(map[string]any)
	if !ok {
		return
	}
	cp := make(map[string]any, len(inner))
	for k, v := range inner {
		cp[k] = v
	}
	deleteKey(cp, rest)
	m[head] = cp
}

func cutKey(key string) (head, rest string, nested bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == '.' {
			return key[:i], key[i+1:], true
		}
	}
	return key, "", false
}

// encodePayload returns the JSON of a payload, or nil for an empty one.
func encodePayload(m map[string]any) []byte {
	if len(m) == 0 {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		panic("BUG: payload decoded from JSON does not encode: " + err.Error())
	}
	return b
}
