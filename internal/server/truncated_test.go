package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
)

// A body that ends before its Content-Length is the client's error on every endpoint: 400 in the
// Qdrant error shape, as scroll and count already answered, not a 500.
func TestTruncatedBodyIsBadRequest(t *testing.T) {
	h := newHarness(t, t.TempDir())
	h.ok("PUT", "/collections/c", `{"vectors":{"size":2,"distance":"Dot"}}`)
	for _, path := range []string{"/collections/c/points/query", "/collections/c/points/search", "/collections/c/points/scroll"} {
		conn, err := net.Dial("tcp", strings.TrimPrefix(h.ts.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		body := `{"query":[1,`
		if _, err := conn.Write([]byte("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + body)); err != nil {
			t.Fatal(err)
		}
		conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		var msg strings.Builder
		bufio.NewReader(resp.Body).WriteTo(&msg)
		conn.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(msg.String(), `"error"`) {
			t.Errorf("%s: truncated body answered %d %s, want 400", path, resp.StatusCode, msg.String())
		}
	}
}
