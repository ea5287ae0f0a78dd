package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/needlevdb/needle/internal/api"
)

func (s *Server) handleCreateSnapshot(w http.ResponseWriter, r *http.Request) {
	info, err := s.manager.CreateSnapshot(r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("snapshot created", "collection", r.PathValue("name"), "snapshot", info.Name, "bytes", info.Size)
	writeResult(w, r, info)
}

func (s *Server) handleListSnapshots(w http.ResponseWriter, r *http.Request) {
	list, err := s.manager.ListSnapshots(r.PathValue("name"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, list)
}

func (s *Server) handleDownloadSnapshot(w http.ResponseWriter, r *http.Request) {
	path, err := s.manager.SnapshotPath(r.PathValue("name"), r.PathValue("snapshot"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filepath.Base(path)))
	http.ServeFile(w, r, path)
}

func (s *Server) handleDeleteSnapshot(w http.ResponseWriter, r *http.Request) {
	if err := s.manager.DeleteSnapshot(r.PathValue("name"), r.PathValue("snapshot")); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeResult(w, r, true)
}

// recoverRequest is the body of PUT /collections/{name}/snapshots/recover.
type recoverRequest struct {
	Location string `json:"location"`
	Priority string `json:"priority"`
	Checksum string `json:"checksum"`
}

// handleRecoverSnapshot restores from a location: file:// paths inside DATA/snapshots, or an
// http(s) URL the server downloads.
func (s *Server) handleRecoverSnapshot(w http.ResponseWriter, r *http.Request) {
	var req recoverRequest
	if err := api.Decode(r.Body, &req, false); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := url.Parse(req.Location)
	if err != nil || req.Location == "" {
		s.writeError(w, r, api.BadRequest("location must be a file:// path or an http(s) URL"))
		return
	}
	var src io.ReadCloser
	switch u.Scheme {
	case "file":
		path := filepath.Clean(u.Path)
		root := filepath.Clean(s.manager.SnapshotsRoot()) + string(filepath.Separator)
		if abs, err := filepath.Abs(path); err != nil || !strings.HasPrefix(abs, mustAbs(root)) {
			s.writeError(w, r, api.BadRequest("file:// locations must lie inside the snapshots directory %s", root))
			return
		}
		f, err := os.Open(path)
		if err != nil {
			s.writeError(w, r, api.NotFound("snapshot file %s: %v", path, err))
			return
		}
		src = f
	case "http", "https":
		client := &http.Client{Timeout: time.Hour}
		resp, err := client.Get(req.Location)
		if err != nil {
			s.writeError(w, r, api.BadRequest("download %s: %v", req.Location, err))
			return
		}
		if resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			s.writeError(w, r, api.BadRequest("download %s: HTTP %s", req.Location, resp.Status))
			return
		}
		src = resp.Body
	default:
		s.writeError(w, r, api.BadRequest("unsupported location scheme %q: use file:// or http(s)://", u.Scheme))
		return
	}
	defer src.Close()
	s.restore(w, r, src, req.Checksum)
}

// handleUploadSnapshot restores from a multipart upload (form field "snapshot").
func (s *Server) handleUploadSnapshot(w http.ResponseWriter, r *http.Request) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.HasPrefix(mt, "multipart/") {
		s.writeError(w, r, api.BadRequest("upload a snapshot as multipart/form-data with the field \"snapshot\""))
		return
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			s.writeError(w, r, api.BadRequest("multipart body has no \"snapshot\" field"))
			return
		}
		if err != nil {
			s.writeError(w, r, api.BadRequest("multipart body: %v", err))
			return
		}
		if part.FormName() == "snapshot" {
			s.restore(w, r, part, r.URL.Query().Get("checksum"))
			return
		}
	}
}

func (s *Server) restore(w http.ResponseWriter, r *http.Request, src io.Reader, checksum string) {
	var check func() error
	if checksum != "" {
		h := sha256.New()
		src = io.TeeReader(src, h)
		check = func() error {
			if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, checksum) {
				return fmt.Errorf("snapshot checksum mismatch: got sha256 %s, expected %s", got, checksum)
			}
			return nil
		}
	}
	name := r.PathValue("name")
	if err := s.manager.Restore(name, src, check); err != nil {
		s.writeError(w, r, err)
		return
	}
	s.logger.Info("collection restored from snapshot", "collection", name)
	writeResult(w, r, true)
}

func mustAbs(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return abs + string(filepath.Separator)
}
