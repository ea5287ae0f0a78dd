// Package snapshot writes and reads collection snapshot archives: a tar stream of a collection's
// files followed by snapshot.json, which lists every file with its size and CRC32C.
//
// Extract is the only reader. It refuses unsafe entries (absolute paths, "..", links, devices),
// writes into a caller-chosen empty directory, and checks every file against the listing before
// reporting success, so a caller can validate an archive completely before replacing anything.
// The layout is specified in docs/format/snapshot.md.
package snapshot

import (
	"archive/tar"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// Format is the version of the archive layout.
const Format = 1

// ManifestName is the name of the listing, the archive's last entry.
const ManifestName = "snapshot.json"

// File describes one archived file.
type File struct {
	Path   string `json:"path"` // slash-separated, relative to the collection directory
	Size   int64  `json:"size"`
	CRC32C uint32 `json:"crc32c"`
}

// Manifest is snapshot.json.
type Manifest struct {
	Format     int       `json:"format"`
	Collection string    `json:"collection"`
	Created    time.Time `json:"created"`
	Checkpoint uint64    `json:"checkpoint"`
	Files      []File    `json:"files"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrInvalid marks an archive that is malformed, unsafe or does not match its listing.
var ErrInvalid = errors.New("invalid snapshot")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Write streams root/paths into w as a tar archive, then snapshot.json describing them.
func Write(w io.Writer, root string, paths []string, m Manifest) error {
	tw := tar.NewWriter(w)
	m.Format = Format
	m.Files = m.Files[:0]
	for _, p := range paths {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(p)))
		if err != nil {
			return fmt.Errorf("snapshot: open %s: %w", p, err)
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return fmt.Errorf("snapshot: stat %s: %w", p, err)
		}
		hdr := &tar.Header{Name: p, Mode: 0o644, Size: st.Size(), ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			f.Close()
			return fmt.Errorf("snapshot: %w", err)
		}
		h := crc32.New(castagnoli)
		n, err := io.Copy(io.MultiWriter(tw, h), f)
		f.Close()
		if err != nil {
			return fmt.Errorf("snapshot: copy %s: %w", p, err)
		}
		if n != st.Size() {
			return fmt.Errorf("snapshot: %s changed size while being archived", p)
		}
		m.Files = append(m.Files, File{Path: p, Size: n, CRC32C: h.Sum32()})
	}
	raw, _ := json.MarshalIndent(m, "", "  ")
	if err := tw.WriteHeader(&tar.Header{Name: ManifestName, Mode: 0o644, Size: int64(len(raw)), ModTime: m.Created, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	if _, err := tw.Write(raw); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	return tw.Close()
}

// Extract reads an archive into dst (an existing, empty directory), refusing unsafe entries and
// more than maxBytes of content, and verifies every file against snapshot.json. On error dst may
// hold partial content; the caller removes it.
func Extract(r io.Reader, dst string, maxBytes int64) (*Manifest, error) {
	tr := tar.NewReader(r)
	got := map[string]File{}
	var total int64
	var m *Manifest
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, invalid("reading archive: %v", err)
		}
		if m != nil {
			return nil, invalid("entry %q after %s", hdr.Name, ManifestName)
		}
		name, err := safeName(hdr)
		if err != nil {
			return nil, err
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		total += hdr.Size
		if hdr.Size < 0 || total > maxBytes {
			return nil, invalid("archive content exceeds %d bytes", maxBytes)
		}
		if name == ManifestName {
			raw, err := io.ReadAll(io.LimitReader(tr, 16<<20))
			if err != nil {
				return nil, invalid("reading %s: %v", ManifestName, err)
			}
			m = &Manifest{}
			if err := json.Unmarshal(raw, m); err != nil {
				return nil, invalid("%s: %v", ManifestName, err)
			}
			continue
		}
		if _, dup := got[name]; dup {
			return nil, invalid("duplicate entry %q", name)
		}
		out := filepath.Join(dst, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return nil, fmt.Errorf("snapshot: %w", err)
		}
		h := crc32.New(castagnoli)
		n, err := io.Copy(io.MultiWriter(f, h), tr)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader) {
			return nil, invalid("archive ends inside %s", name)
		}
		if err != nil {
			return nil, fmt.Errorf("snapshot: write %s: %w", name, err)
		}
		got[name] = File{Path: name, Size: n, CRC32C: h.Sum32()}
	}
	if m == nil {
		return nil, invalid("archive has no %s (truncated or not a Needle snapshot)", ManifestName)
	}
	if m.Format != Format {
		return nil, invalid("unsupported snapshot format %d (this build reads %d)", m.Format, Format)
	}
	if len(m.Files) != len(got) {
		return nil, invalid("%s lists %d files, archive holds %d", ManifestName, len(m.Files), len(got))
	}
	for _, want := range m.Files {
		g, ok := got[want.Path]
		if !ok {
			return nil, invalid("file %s listed but missing", want.Path)
		}
		if g.Size != want.Size || g.CRC32C != want.CRC32C {
			return nil, invalid("file %s does not match its checksum", want.Path)
		}
	}
	return m, nil
}

// safeName validates an entry: a regular file or directory with a clean relative path.
func safeName(hdr *tar.Header) (string, error) {
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeDir:
	default:
		return "", invalid("entry %q has unsupported type %q (only files and directories)", hdr.Name, hdr.Typeflag)
	}
	name := strings.TrimSuffix(hdr.Name, "/")
	clean := path.Clean(name)
	if name == "" || clean != name || path.IsAbs(name) || strings.HasPrefix(clean, "../") || clean == ".." || strings.Contains(name, "\\") {
		return "", invalid("unsafe path %q", hdr.Name)
	}
	return clean, nil
}
