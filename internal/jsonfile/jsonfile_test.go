package jsonfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestRoundTripAndDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "doc.json")
	in := map[string]any{"a": 1.0, "b": "text"}
	if err := Write(path, in); err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := Read(path, &out); err != nil || out["b"] != "text" {
		t.Fatalf("read back %v %v", out, err)
	}
	data, _ := os.ReadFile(path)
	for i := range data {
		bad := append([]byte(nil), data...)
		bad[i] ^= 0x01
		var v map[string]any
		err := Unmarshal(bad, &v, "doc")
		var ce *CorruptionError
		if err == nil {
			// Only a flip that leaves the body bytes and the checksum intact can pass: impossible,
			// except inside JSON whitespace of the envelope, which still decodes the same body.
			if v["b"] != "text" || v["a"] != 1.0 {
				t.Fatalf("flip at %d decoded to different content %v", i, v)
			}
		} else if !errors.As(err, &ce) {
			t.Fatalf("flip at %d: error %T", i, err)
		}
	}
}
