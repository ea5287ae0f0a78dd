package collection

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/jsonfile"
	"github.com/needlevdb/needle/internal/segment"
	"github.com/needlevdb/needle/internal/snapshot"
)

// WriteSnapshot checkpoints the collection and streams an archive of its durable files to w:
// config, manifest and the sealed segments, i.e. its state as of the checkpoint. Reads and writes
// continue meanwhile; checkpoints wait until the archive is written.
func (c *Collection) WriteSnapshot(w io.Writer) (uint64, error) {
	c.cpMu.Lock()
	defer c.cpMu.Unlock()
	if err := c.checkpointLocked(); err != nil {
		return 0, err
	}
	m, err := readManifest(c.dir)
	if err != nil {
		return 0, err
	}
	paths := []string{configFile, manifestFile}
	for _, ms := range m.Segments {
		rel := filepath.ToSlash(filepath.Join(segmentsDir, fmt.Sprint(ms.ID)))
		meta, err := segment.ReadMeta(segmentDir(c.dir, ms.ID))
		if err != nil {
			return 0, err
		}
		names := []string{"meta.json"}
		for name := range meta.Files {
			names = append(names, name)
		}
		if ms.Deleted != "" {
			names = append(names, ms.Deleted)
		}
		for _, g := range ms.Graphs {
			names = append(names, g)
		}
		for _, f := range ms.Codes {
			names = append(names, f)
		}
		for _, f := range ms.Ivfs {
			names = append(names, f)
		}
		sort.Strings(names)
		for _, n := range names {
			paths = append(paths, rel+"/"+n)
		}
	}
	err = snapshot.Write(w, c.dir, paths, snapshot.Manifest{Collection: c.name, Created: time.Now().UTC(), Checkpoint: m.Checkpoint})
	return m.Checkpoint, err
}

// SnapshotInfo describes a stored snapshot, as Qdrant's SnapshotDescription.
type SnapshotInfo struct {
	Name         string `json:"name"`
	CreationTime string `json:"creation_time"`
	Size         int64  `json:"size"`
	Checksum     string `json:"checksum"`
}

const snapshotExt = ".snapshot"

func (m *Manager) snapshotDir(name string) string { return filepath.Join(m.dataDir, "snapshots", name) }

// CreateSnapshot writes a snapshot of a collection into DATA/snapshots/NAME/ with its SHA-256.
func (m *Manager) CreateSnapshot(name string) (SnapshotInfo, error) {
	c, err := m.Get(name)
	if err != nil {
		return SnapshotInfo{}, err
	}
	dir := m.snapshotDir(name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	now := time.Now().UTC()
	file := fmt.Sprintf("%s-%s%s", name, now.Format("2006-01-02-15-04-05.000000"), snapshotExt)
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	if _, err := c.WriteSnapshot(io.MultiWriter(tmp, h)); err != nil {
		tmp.Close()
		return SnapshotInfo{}, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	tmp.Close()
	sum := hex.EncodeToString(h.Sum(nil))
	if err := fsx.WriteFileSync(filepath.Join(dir, file+".sha256"), []byte(sum)); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := os.Rename(tmp.Name(), filepath.Join(dir, file)); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := fsx.SyncDir(dir); err != nil {
		return SnapshotInfo{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return m.snapshotInfo(name, file)
}

func (m *Manager) snapshotInfo(name, file string) (SnapshotInfo, error) {
	path := filepath.Join(m.snapshotDir(name), file)
	st, err := os.Stat(path)
	if err != nil {
		return SnapshotInfo{}, notFoundf("snapshot %s of collection %s not found", file, name)
	}
	sum, _ := os.ReadFile(path + ".sha256")
	return SnapshotInfo{Name: file, CreationTime: st.ModTime().UTC().Format("2006-01-02T15:04:05"), Size: st.Size(), Checksum: string(sum)}, nil
}

// ListSnapshots lists a collection's stored snapshots, oldest first.
func (m *Manager) ListSnapshots(name string) ([]SnapshotInfo, error) {
	if !m.Exists(name) {
		return nil, notFoundf("Collection `%s` doesn't exist!", name)
	}
	entries, err := os.ReadDir(m.snapshotDir(name))
	if errors.Is(err, os.ErrNotExist) {
		return []SnapshotInfo{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	out := []SnapshotInfo{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), snapshotExt) && !strings.HasPrefix(e.Name(), ".") {
			if info, err := m.snapshotInfo(name, e.Name()); err == nil {
				out = append(out, info)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// SnapshotPath returns the file of a stored snapshot after checking its name is a plain file name.
func (m *Manager) SnapshotPath(name, file string) (string, error) {
	if file == "" || strings.ContainsAny(file, `/\`) || strings.HasPrefix(file, ".") || !strings.HasSuffix(file, snapshotExt) {
		return "", invalidf("invalid snapshot name %q", file)
	}
	path := filepath.Join(m.snapshotDir(name), file)
	if _, err := os.Stat(path); err != nil {
		return "", notFoundf("snapshot %s of collection %s not found", file, name)
	}
	return path, nil
}

// DeleteSnapshot removes a stored snapshot.
func (m *Manager) DeleteSnapshot(name, file string) error {
	path, err := m.SnapshotPath(name, file)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	os.Remove(path + ".sha256")
	return nil
}

// SnapshotsRoot is the directory under which file:// recovery locations must lie.
func (m *Manager) SnapshotsRoot() string { return filepath.Join(m.dataDir, "snapshots") }

// maxSnapshotBytes bounds what a restore extracts.
const maxSnapshotBytes = 1 << 42

// Restore replaces (or creates) collection name with the content of a snapshot archive. The
// archive is extracted to a temporary directory and verified completely — listing checksums,
// configuration, manifest, every segment's checksums, and a trial open — before anything is
// replaced; a bad archive leaves the current collection untouched. check, if set, runs once the
// whole stream has been read (e.g. to compare its checksum) and can veto the restore.
func (m *Manager) Restore(name string, r io.Reader, check func() error) error {
	if err := ValidName(name); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(m.dir, "."+name+".restoring-")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer os.RemoveAll(tmp)
	if _, err := snapshot.Extract(r, tmp, maxSnapshotBytes); err != nil {
		if errors.Is(err, snapshot.ErrInvalid) {
			return invalidf("%v", err)
		}
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if _, err := io.Copy(io.Discard, r); err != nil {
		return invalidf("reading snapshot: %v", err)
	}
	if check != nil {
		if err := check(); err != nil {
			return invalidf("%v", err)
		}
	}
	if err := verifyCollectionDir(tmp); err != nil {
		return invalidf("snapshot content: %v", err)
	}
	cfg, err := readConfig(tmp)
	if err != nil {
		return invalidf("snapshot content: %v", err)
	}
	trial, err := open(name, tmp, cfg, m.opts, m.logger)
	if err != nil {
		return invalidf("snapshot does not open: %v", err)
	}
	if err := trial.close(); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	final := filepath.Join(m.dir, name)
	if old, ok := m.cols[name]; ok {
		if err := old.close(); err != nil {
			m.logger.Warn("closing collection replaced by a snapshot", "collection", name, "err", err)
		}
		delete(m.cols, name)
	}
	delete(m.failed, name)
	gone := ""
	if _, err := os.Stat(final); err == nil {
		gone = filepath.Join(m.dir, fmt.Sprintf(".%s.deleted-%d", name, time.Now().UnixNano()))
		if err := os.Rename(final, gone); err != nil {
			return fmt.Errorf("%w: move old collection away: %v", ErrUnavailable, err)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("%w: publish restored collection: %v", ErrUnavailable, err)
	}
	if err := fsx.SyncDir(m.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c, err := m.load(name)
	if err != nil {
		m.failed[name] = err
		return fmt.Errorf("%w: open restored collection: %v", ErrUnavailable, err)
	}
	m.cols[name] = c
	if gone != "" {
		os.RemoveAll(gone)
	}
	return nil
}

func readConfig(dir string) (*Config, error) {
	var cfg Config
	if err := jsonfile.Read(filepath.Join(dir, configFile), &cfg); err != nil {
		return nil, err
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config in %s: %w", dir, err)
	}
	return &cfg, nil
}

// verifyCollectionDir checks every sealed file of a collection directory: the manifest, each
// segment's checksums and each deletion bitmap.
func verifyCollectionDir(dir string) error {
	m, err := readManifest(dir)
	if err != nil {
		return err
	}
	for _, ms := range m.Segments {
		if err := verifySegment(dir, ms); err != nil {
			return err
		}
	}
	return nil
}
