package server

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

func (h *harness) upload(path string, archive []byte) (int, string) {
	h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("snapshot", "x.snapshot")
	fw.Write(archive)
	mw.Close()
	resp, err := http.Post(h.ts.URL+path, mw.FormDataContentType(), &body)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestSnapshotCreateDownloadRestore(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/src", `{"vectors":{"size":3,"distance":"Euclid"}}`)
	h.ok("PUT", "/collections/src/index?wait=true", `{"field_name":"n","field_schema":"integer"}`)
	for i := 0; i < 30; i++ {
		h.ok("PUT", "/collections/src/points?wait=true", fmt.Sprintf(`{"points":[{"id":%d,"vector":[%d,1,2],"payload":{"n":%d}}]}`, i, i, i))
	}
	h.ok("POST", "/collections/src/points/delete?wait=true", `{"points":[3,4]}`)
	info := h.ok("POST", "/collections/src/snapshots", "").(map[string]any)
	name := info["name"].(string)
	if !strings.HasPrefix(name, "src-") || len(info["checksum"].(string)) != 64 {
		t.Fatalf("snapshot info %v", info)
	}
	list := h.ok("GET", "/collections/src/snapshots", "").([]any)
	if len(list) != 1 {
		t.Fatalf("list = %v", list)
	}
	resp, err := http.Get(h.ts.URL + "/collections/src/snapshots/" + name)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %v %v", err, resp.Status)
	}
	archive, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if fmt.Sprint(len(archive)) != fmt.Sprint(info["size"]) {
		t.Fatalf("downloaded %d bytes, info says %v", len(archive), info["size"])
	}
	// Writes after the snapshot are not in it.
	h.ok("PUT", "/collections/src/points?wait=true", `{"points":[{"id":100,"vector":[0,0,0]}]}`)

	// Upload into a new collection.
	if code, body := h.upload("/collections/copy/snapshots/upload", archive); code != 200 {
		t.Fatalf("upload: %d %s", code, body)
	}
	cnt := h.ok("POST", "/collections/copy/points/count", `{"filter":{"must":[{"key":"n","range":{"gte":10}}]}}`).(map[string]any)
	if fmt.Sprint(cnt["count"]) != "20" {
		t.Fatalf("restored filtered count = %v", cnt)
	}
	if all := h.ok("POST", "/collections/copy/points/count", ``).(map[string]any); fmt.Sprint(all["count"]) != "28" {
		t.Fatalf("restored count = %v", all)
	}
	top := h.ok("POST", "/collections/copy/points/query", `{"query":[5,1,2],"limit":1}`).(map[string]any)["points"].([]any)
	if fmt.Sprint(top[0].(map[string]any)["id"]) != "5" {
		t.Fatalf("restored search: %v", top)
	}
	// Damaged archives are refused and the existing collection is untouched.
	bad := append([]byte(nil), archive...)
	for i := 700; i < len(bad); i += 997 { // content bytes of several files (padding alone would be harmless)
		bad[i] ^= 0xff
	}
	if code, body := h.upload("/collections/copy/snapshots/upload", bad); code != 400 {
		t.Fatalf("damaged upload answered %d %s", code, body)
	}
	if code, _ := h.upload("/collections/copy/snapshots/upload", archive[:len(archive)/3]); code != 400 {
		t.Fatalf("truncated upload answered %d", code)
	}
	if all := h.ok("POST", "/collections/copy/points/count", ``).(map[string]any); fmt.Sprint(all["count"]) != "28" {
		t.Fatalf("collection changed by a refused restore: %v", all)
	}
	// Recover over an existing collection from a file:// location inside the snapshots directory.
	h.ok("PUT", "/collections/src/points?wait=true", `{"points":[{"id":101,"vector":[0,0,0]}]}`)
	loc := "file://" + filepath.Join(h.dir, "snapshots", "src", name)
	h.ok("PUT", "/collections/src/snapshots/recover", fmt.Sprintf(`{"location":%q,"checksum":%q}`, loc, info["checksum"]))
	if all := h.ok("POST", "/collections/src/points/count", ``).(map[string]any); fmt.Sprint(all["count"]) != "28" {
		t.Fatalf("recovered count = %v", all)
	}
	h.fails("PUT", "/collections/src/snapshots/recover", fmt.Sprintf(`{"location":%q,"checksum":"00"}`, loc), 400, "checksum")
	h.fails("PUT", "/collections/src/snapshots/recover", `{"location":"file:///etc/passwd"}`, 400, "inside the snapshots directory")
	h.fails("GET", "/collections/src/snapshots/..%2Fconfig.json", "", 400, "invalid snapshot name")
	h.ok("DELETE", "/collections/src/snapshots/"+name, "")
	if list := h.ok("GET", "/collections/src/snapshots", "").([]any); len(list) != 0 {
		t.Fatalf("after delete: %v", list)
	}
}
