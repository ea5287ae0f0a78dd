package collection

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/needlevdb/needle/internal/fsx"
	"github.com/needlevdb/needle/internal/jsonfile"
	"golang.org/x/sys/unix"
)

// Manager owns every collection of one data directory.
//
// Layout: DATA/collections/NAME/{config.json, wal.log}. A collection directory appears by an atomic
// rename of a fully written temporary directory and disappears by a rename to a dot-name before its
// removal, so a crash never leaves a half-created or half-deleted collection visible.
type Manager struct {
	dataDir string
	dir     string
	logger  *slog.Logger
	opts    Options

	mu     sync.RWMutex
	cols   map[string]*Collection
	failed map[string]error // collections that could not be opened, with why
	lock   *os.File         // holds an exclusive flock on DATA/LOCK while open
}

const (
	configFile = "config.json"
	walDir     = "wal"
)

// OpenManager opens every collection under dataDir, creating the directory if needed. A collection
// that fails to open is reported by Get with its error; the others serve normally.
func OpenManager(dataDir string, opts Options, logger *slog.Logger) (*Manager, error) {
	root := filepath.Join(dataDir, "collections")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDataDir(dataDir)
	if err != nil {
		return nil, err
	}
	m := &Manager{lock: lock, dataDir: dataDir, dir: root, logger: logger, opts: opts, cols: map[string]*Collection{}, failed: map[string]error{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("read data directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() {
			continue
		}
		if strings.HasPrefix(name, ".") {
			// Leftover of an interrupted create or delete.
			if err := os.RemoveAll(filepath.Join(root, name)); err != nil {
				logger.Warn("cannot remove leftover directory", "dir", name, "err", err)
			}
			continue
		}
		start := time.Now()
		c, err := m.load(name)
		if err != nil {
			logger.Error("collection failed to open; it is unavailable until repaired", "collection", name, "err", err)
			m.failed[name] = err
			continue
		}
		m.cols[name] = c
		logger.Info("collection opened", "collection", name, "points", c.st.count, "seconds", time.Since(start).Seconds())
	}
	return m, nil
}

func (m *Manager) load(name string) (*Collection, error) {
	dir := filepath.Join(m.dir, name)
	cfg, err := readConfig(dir)
	if err != nil {
		return nil, err
	}
	return open(name, dir, cfg, m.opts, m.logger)
}

// ValidName checks a collection name: 1-255 characters of letters, digits, '-', '_' and '.', not
// starting with '.'.
func ValidName(name string) error {
	if name == "" || len(name) > 255 {
		return invalidf("collection name must be 1 to 255 characters long")
	}
	if name[0] == '.' {
		return invalidf("collection name must not start with '.'")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalidf("collection name %q may contain only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// Get returns the named collection.
func (m *Manager) Get(name string) (*Collection, error) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if c, ok := m.cols[name]; ok {
		return c, nil
	}
	if err, ok := m.failed[name]; ok {
		return nil, fmt.Errorf("%w: collection `%s` failed to load: %v", ErrUnavailable, name, err)
	}
	return nil, notFoundf("Collection `%s` doesn't exist!", name)
}

// Exists reports whether a collection of that name exists (loaded or failed to load).
func (m *Manager) Exists(name string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.cols[name]
	_, failed := m.failed[name]
	return ok || failed
}

// List returns the names of all collections, sorted.
func (m *Manager) List() []string {
	m.mu.RLock()
	defer m.mu.RUnlock()
	names := make([]string, 0, len(m.cols))
	for n := range m.cols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Create makes a new, empty collection durable and visible.
func (m *Manager) Create(name string, cfg *Config) error {
	if err := ValidName(name); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.cols[name]; ok {
		return fmt.Errorf("%w: Wrong input: Collection `%s` already exists!", ErrConflict, name)
	}
	if _, ok := m.failed[name]; ok {
		return fmt.Errorf("%w: Wrong input: Collection `%s` already exists (and failed to load)", ErrConflict, name)
	}
	tmp, err := os.MkdirTemp(m.dir, "."+name+".creating-")
	if err != nil {
		return fmt.Errorf("%w: create collection directory: %v", ErrUnavailable, err)
	}
	if err := jsonfile.Write(filepath.Join(tmp, configFile), cfg); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	final := filepath.Join(m.dir, name)
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return fmt.Errorf("%w: publish collection directory: %v", ErrUnavailable, err)
	}
	if err := fsx.SyncDir(m.dir); err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	c, err := m.load(name)
	if err != nil {
		return fmt.Errorf("%w: open new collection: %v", ErrUnavailable, err)
	}
	m.cols[name] = c
	return nil
}

// Delete removes a collection and its files. It reports whether the collection existed.
func (m *Manager) Delete(name string) (bool, error) {
	m.mu.Lock()
	c, ok := m.cols[name]
	_, failed := m.failed[name]
	if !ok && !failed {
		m.mu.Unlock()
		return false, nil
	}
	delete(m.cols, name)
	delete(m.failed, name)
	m.mu.Unlock()
	if c != nil {
		if err := c.close(); err != nil {
			m.logger.Warn("closing deleted collection", "collection", name, "err", err)
		}
	}
	gone := filepath.Join(m.dir, fmt.Sprintf(".%s.deleted-%d", name, time.Now().UnixNano()))
	if err := os.Rename(filepath.Join(m.dir, name), gone); err != nil {
		return true, fmt.Errorf("%w: remove collection directory: %v", ErrUnavailable, err)
	}
	if err := fsx.SyncDir(m.dir); err != nil {
		return true, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if err := os.RemoveAll(gone); err != nil {
		m.logger.Warn("removing deleted collection files", "dir", gone, "err", err)
	}
	return true, nil
}

// Close closes every collection, applying whatever is queued and syncing the logs.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var first error
	for name, c := range m.cols {
		if err := c.close(); err != nil && first == nil {
			first = err
		}
		delete(m.cols, name)
	}
	if m.lock != nil {
		m.lock.Close() // releases the flock
		m.lock = nil
	}
	return first
}

// lockDataDir takes an exclusive, non-blocking flock on DATA/LOCK so two processes never serve or
// modify one data directory.
func lockDataDir(dataDir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dataDir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open data directory lock: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another needle process (flock LOCK: %v)", dataDir, err)
	}
	return f, nil
}
