package collection

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/needlevdb/needle/internal/index/flat"
	"github.com/needlevdb/needle/internal/index/hnsw"
	"github.com/needlevdb/needle/internal/index/quant/binary"
	"github.com/needlevdb/needle/internal/segment"
	"github.com/needlevdb/needle/internal/wal"
)

// Finding is one line of `needle check`: a collection, what was checked, and the problem if any.
type Finding struct {
	Collection string
	What       string
	Err        error
}

// Check verifies every file of every collection under dataDir without modifying anything:
// configuration, manifest, each segment's checksums, deletion bitmaps and every WAL record.
func Check(dataDir string) ([]Finding, error) {
	root := filepath.Join(dataDir, "collections")
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", root, err)
	}
	var out []Finding
	for _, e := range entries {
		if !e.IsDir() || e.Name()[0] == '.' {
			continue
		}
		name, dir := e.Name(), filepath.Join(root, e.Name())
		add := func(what string, err error) { out = append(out, Finding{name, what, err}) }
		if _, err := readConfig(dir); err != nil {
			add("config.json", err)
			continue
		}
		add("config.json", nil)
		m, err := readManifest(dir)
		if err != nil {
			add("manifest.json", err)
			continue
		}
		add(fmt.Sprintf("manifest.json (checkpoint %d, %d segments)", m.Checkpoint, len(m.Segments)), nil)
		for _, ms := range m.Segments {
			add(fmt.Sprintf("segment %d", ms.ID), verifySegment(dir, ms))
		}
		res, err := wal.Check(filepath.Join(dir, walDir))
		what := fmt.Sprintf("wal (%d files, %d records, seq %d..%d)", res.Files, res.Records, res.FirstSeq, res.LastSeq)
		if err == nil && res.TornBytes > 0 {
			what += fmt.Sprintf(", torn tail of %d bytes (cut off at the next start)", res.TornBytes)
		}
		if err == nil && res.Records > 0 && res.FirstSeq > m.Checkpoint+1 {
			err = fmt.Errorf("wal starts at %d but the manifest's checkpoint is %d: records are missing", res.FirstSeq, m.Checkpoint)
		}
		add(what, err)
	}
	return out, nil
}

// verifySegment checks one manifest segment's files and deletion bitmap, and that its graphs,
// IVF lists and codes load against its vectors. The segment is opened once, checksums first.
func verifySegment(dir string, ms manifestSegment) error {
	sdir := segmentDir(dir, ms.ID)
	f, err := segment.Open(sdir, true)
	if err != nil {
		return err
	}
	defer f.Close()
	meta := f.Meta
	if ms.Deleted != "" {
		if _, err := readDeleted(filepath.Join(sdir, ms.Deleted), meta.Count, ms.DeletedCRC); err != nil {
			return err
		}
	}
	vectors := func(kind, file, name string) (flat.Vectors, error) {
		vm, ok := meta.Vectors[name]
		if !ok {
			return flat.Vectors{}, fmt.Errorf("%s %s for unknown vector %q", kind, file, name)
		}
		return flat.Vectors{Dim: vm.Dim, Data: f.Vectors(name)}, nil
	}
	for name, file := range ms.Graphs {
		vs, err := vectors("graph", file, name)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(filepath.Join(sdir, file))
		if err != nil {
			return fmt.Errorf("read graph: %w", err)
		}
		if _, err := hnsw.Load(data, vs); err != nil {
			return fmt.Errorf("graph %s: %w", filepath.Join(sdir, file), err)
		}
	}
	for name, file := range ms.Ivfs {
		vs, err := vectors("ivf", file, name)
		if err != nil {
			return err
		}
		if _, err := readIvf(filepath.Join(sdir, file), vs); err != nil {
			return err
		}
	}
	for name, file := range ms.Codes {
		if _, ok := ms.Graphs[name]; !ok {
			return fmt.Errorf("codes %s for vector %q, which has no graph", file, name)
		}
		codes, err := readCodes(filepath.Join(sdir, file))
		if errors.Is(err, binary.ErrVersion) {
			continue // intact codes of an older format: opening the collection rebuilds them
		}
		if err != nil {
			return err
		}
		vm, ok := meta.Vectors[name]
		if !ok || codes.Dim() != vm.Dim || codes.Len() != meta.Count {
			return &segment.CorruptionError{File: filepath.Join(sdir, file),
				Reason: fmt.Sprintf("codes of %d vectors of dimension %d for a segment of %d vectors of vector %q", codes.Len(), codes.Dim(), meta.Count, name)}
		}
	}
	return nil
}
