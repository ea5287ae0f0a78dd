package bench

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// scriptedServer answers each request on a connection with the next of replies (raw bytes) and
// closes the connection after the last; it records the requests' first lines.
func scriptedServer(t *testing.T, replies ...string) (url string, lines chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	lines = make(chan string, 100)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				br := bufio.NewReader(conn)
				for _, reply := range replies {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					io.Copy(io.Discard, req.Body)
					lines <- req.Method + " " + req.URL.RequestURI() + " " + req.Header.Get("api-key") + " " + strconv.FormatInt(req.ContentLength, 10)
					if _, err := io.WriteString(conn, reply); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String(), lines
}

// The built-in client reads every response framing HTTP/1.1 allows and keeps the connection
// only when it may.
func TestRawConnFraming(t *testing.T) {
	replies := []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\ncontent-length: 0\r\n\r\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n",
		"HTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\nConnection: close\r\n\r\nbusy!",
	}
	url, lines := scriptedServer(t, replies...)
	c, ok := newRawConn(url, time.Second)
	if !ok {
		t.Fatal("http URL refused")
	}
	defer c.close()
	ctx := context.Background()
	want := []int{200, 201, 200, 204, 503}
	var first net.Conn
	for i, w := range want {
		status, err := c.do(ctx, "POST", "/p?x=1", "k", []byte("hello"))
		if err != nil || status != w {
			t.Fatalf("reply %d: status %d, err %v; want %d", i, status, err, w)
		}
		if line := <-lines; line != "POST /p?x=1 k 5" {
			t.Errorf("server read %q", line)
		}
		switch {
		case i == 0:
			first = c.conn
		case i < len(want)-1 && c.conn != first:
			t.Errorf("reply %d: connection not kept", i)
		}
	}
	if c.conn != nil {
		t.Error("connection kept after Connection: close")
	}
	// The body of an HTTP/1.0 answer without a length runs to the end of the connection.
	url, _ = scriptedServer(t, "HTTP/1.0 200 OK\r\n\r\nto the end")
	c, _ = newRawConn(url, time.Second)
	if status, err := c.do(ctx, "POST", "/", "", nil); status != 200 || err != nil || c.conn != nil {
		t.Errorf("HTTP/1.0: status %d err %v, connection kept %v", status, err, c.conn != nil)
	}
}

func TestRawConnErrors(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct{ reply, want string }{
		{"HTTP/1.1 OK\r\n\r\n", "status line"},
		{"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length"},
		{"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "header"},
		{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size"},
		{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "unexpected EOF"},
	} {
		url, _ := scriptedServer(t, c.reply)
		rc, _ := newRawConn(url, time.Second)
		_, err := rc.do(ctx, "POST", "/", "", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err %v, want %q", c.reply, err, c.want)
		}
		if rc.conn != nil {
			t.Errorf("%q: connection kept after an error", c.reply)
		}
	}
	// A context that ends interrupts a request the server never answers.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept()
		if err == nil {
			defer conn.Close()
			time.Sleep(5 * time.Second)
		}
	}()
	rc, _ := newRawConn("http://"+ln.Addr().String(), time.Minute)
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := rc.do(cctx, "POST", "/", "", nil); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v, want the context's deadline at once", err, time.Since(start))
	}
	if _, ok := newRawConn("https://example.com", time.Second); ok {
		t.Error("https taken by the built-in client")
	}
}

// Both clients give the same counts against the same server.
func TestStdClientAgrees(t *testing.T) {
	t.Parallel()
	for _, std := range []bool{false, true} {
		_, srv := newFakeQdrant(t, 4, nil)
		cfg := baseConfig(srv.URL)
		cfg.StdClient, cfg.WriteRatio = std, 0.25
		res := runHTTPTest(t, cfg)
		want := map[bool]string{false: "built-in", true: "net/http"}[std]
		if res.OK != 100 || res.Ops["upsert"].OK != 25 || res.Client != want {
			t.Errorf("std %v: ok %d, upserts %+v, client %q", std, res.OK, res.Ops["upsert"], res.Client)
		}
	}
}
