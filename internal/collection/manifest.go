package collection

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strconv"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/jsonfile"
	"github.com/needlevdb/needle/internal/segment"
)

// manifestFormat is the version of manifest.json written by this build.
const manifestFormat = 1

// manifest records the durable state of a collection as of one WAL position: the sealed segments,
// their deletion bitmaps and the payload index definitions. Everything after Checkpoint is in the WAL.
// Layout: docs/format/collection.md.
type manifest struct {
	Format      int               `json:"format"`
	Checkpoint  uint64            `json:"checkpoint"`
	NextSegment uint64            `json:"next_segment"`
	Segments    []manifestSegment `json:"segments"`
	Indexes     []indexDef        `json:"indexes"`
}

type manifestSegment struct {
	ID         uint64            `json:"id"`
	Deleted    string            `json:"deleted,omitempty"` // deletion bitmap file inside the segment directory
	DeletedCRC uint32            `json:"deleted_crc32c,omitempty"`
	Graphs     map[string]string `json:"graphs,omitempty"` // HNSW graph file per vector name
	Codes      map[string]string `json:"codes,omitempty"`  // product / binary codes file per vector name
	Ivfs       map[string]string `json:"ivfs,omitempty"`   // IVF index file per vector name (ivf_config)
}

const (
	manifestFile = "manifest.json"
	segmentsDir  = "segments"
)

func segmentDir(colDir string, id uint64) string {
	return filepath.Join(colDir, segmentsDir, strconv.FormatUint(id, 10))
}

// readManifest reads DIR/manifest.json; a missing file is an empty manifest at checkpoint 0.
func readManifest(dir string) (*manifest, error) {
	path := filepath.Join(dir, manifestFile)
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return &manifest{Format: manifestFormat, NextSegment: 1}, nil
	}
	var m manifest
	if err := jsonfile.Read(path, &m); err != nil {
		return nil, err
	}
	if m.Format != manifestFormat {
		return nil, &segment.CorruptionError{File: path, Reason: fmt.Sprintf("unsupported manifest format %d (this build reads %d)", m.Format, manifestFormat)}
	}
	return &m, nil
}

// writeManifest replaces DIR/manifest.json atomically and durably.
func writeManifest(dir string, m *manifest) error {
	return jsonfile.Write(filepath.Join(dir, manifestFile), m)
}

// writeDeleted writes a deletion bitmap (dead slots set) and returns its CRC32C.
func writeDeleted(path string, dead bits) (uint32, error) {
	b := make([]byte, 8*len(dead))
	for i, w := range dead {
		binary.LittleEndian.PutUint64(b[8*i:], w)
	}
	if err := fsx.WriteFileSync(path, b); err != nil {
		return 0, err
	}
	return crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)), nil
}

// readDeleted reads a deletion bitmap for a segment of n slots and checks its CRC32C.
func readDeleted(path string, n int, crc uint32) (bits, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read deletion bitmap: %w", err)
	}
	if len(b) != 8*((n+63)/64) {
		return nil, &segment.CorruptionError{File: path, Offset: int64(len(b)), Reason: fmt.Sprintf("deletion bitmap is %d bytes, expected %d", len(b), 8*((n+63)/64))}
	}
	if crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)) != crc {
		return nil, &segment.CorruptionError{File: path, Reason: "deletion bitmap checksum mismatch"}
	}
	out := make(bits, len(b)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(b[8*i:])
	}
	return out, nil
}
