// Package jsonfile stores small JSON documents (configurations, manifests, segment descriptions)
// with a checksum, atomically: {"crc32c": N, "body": {...}} where N is the CRC32C of the body's
// exact bytes. Write goes through a temporary file, fsync, rename and a directory fsync.
package jsonfile

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"os"

	"github.com/needlevdb/needle/internal/fsx"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// CorruptionError reports a document that does not parse or whose checksum does not match.
type CorruptionError struct {
	File   string
	Reason string
}

func (e *CorruptionError) Error() string { return fmt.Sprintf("%s: %s", e.File, e.Reason) }

type envelope struct {
	CRC32C uint32          `json:"crc32c"`
	Body   json.RawMessage `json:"body"`
}

// Marshal returns the checked encoding of v.
func Marshal(v any) ([]byte, error) {
	body, err := json.Marshal(v) // compact: encoding/json re-compacts a RawMessage when embedding it
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(envelope{CRC32C: crc32.Checksum(body, castagnoli), Body: body})
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// Unmarshal checks and decodes a checked encoding into v.
func Unmarshal(data []byte, v any, name string) error {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil || env.Body == nil {
		return &CorruptionError{File: name, Reason: fmt.Sprintf("not a checksummed JSON document (%v)", err)}
	}
	if crc32.Checksum(env.Body, castagnoli) != env.CRC32C {
		return &CorruptionError{File: name, Reason: "checksum mismatch"}
	}
	if err := json.Unmarshal(env.Body, v); err != nil {
		return &CorruptionError{File: name, Reason: "body does not decode: " + err.Error()}
	}
	return nil
}

// Read reads and checks path into v.
func Read(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	return Unmarshal(data, v, path)
}

// Write replaces path with the checked encoding of v, atomically and durably.
func Write(path string, v any) error {
	data, err := Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return fsx.ReplaceFile(path, data)
}
