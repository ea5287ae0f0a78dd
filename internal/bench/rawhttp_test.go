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
	"sync/atomic"
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

// closingServer accepts connections, numbered from 0. On a connection for which answer is true
// it reads one request, answers 200 without closing the connection, and then closes it while it
// is idle, as a server's idle timeout does; other connections it closes at once. It reports each
// close on closed.
func closingServer(t *testing.T, answer func(conn int64) bool) (url string, accepted *atomic.Int64, closed chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted, closed = new(atomic.Int64), make(chan struct{}, 100)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			n := accepted.Add(1) - 1
			go func() {
				defer func() {
					conn.Close()
					select {
					case closed <- struct{}{}:
					default:
					}
				}()
				if !answer(n) {
					return
				}
				req, err := http.ReadRequest(bufio.NewReader(conn))
				if err != nil {
					return
				}
				io.Copy(io.Discard, req.Body)
				io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
			}()
		}
	}()
	return "http://" + ln.Addr().String(), accepted, closed
}

// A kept connection the server closed while it was idle is noticed before the request is
// written and dialled again: the request succeeds, no error is counted, and the server sees each
// request once.
func TestRawConnRedialsIdleClosedConnection(t *testing.T) {
	url, accepted, closed := closingServer(t, func(int64) bool { return true })
	c, _ := newRawConn(url, 5*time.Second)
	defer c.close()
	ctx := context.Background()
	if status, err := c.do(ctx, "POST", "/", "", []byte("{}")); status != 200 || err != nil {
		t.Fatalf("first request: status %d, err %v", status, err)
	}
	if c.conn == nil {
		t.Fatal("connection not kept")
	}
	<-closed // the server has closed the kept connection
	time.Sleep(2 * idleCheckAfter)
	if status, err := c.do(ctx, "POST", "/", "", []byte("{}")); status != 200 || err != nil {
		t.Fatalf("request on the connection the server closed: status %d, err %v", status, err)
	}
	if n := accepted.Load(); n != 2 {
		t.Errorf("%d connections, want 2", n)
	}

	// The same through a slow open-loop run, where every request finds its connection closed.
	url, accepted, _ = closingServer(t, func(int64) bool { return true })
	cfg := baseConfig(url)
	cfg.Requests, cfg.Concurrency, cfg.Rate, cfg.SkipPreflight = 6, 1, 100, true
	res := runHTTPTest(t, cfg)
	if res.OK != 6 || len(res.Errors) != 0 || accepted.Load() != 6 {
		t.Errorf("ok %d, errors %v, %d connections; want 6, none, 6", res.OK, res.Errors, accepted.Load())
	}
}

// A request is never sent twice: against a server that closes every connection at once, each
// request fails on one connection of its own.
func TestRawConnNeverResends(t *testing.T) {
	url, accepted, closed := closingServer(t, func(n int64) bool { return n == 0 })
	c, _ := newRawConn(url, 5*time.Second)
	defer c.close()
	ctx := context.Background()
	if status, err := c.do(ctx, "POST", "/", "", nil); status != 200 || err != nil {
		t.Fatalf("first request: status %d, err %v", status, err)
	}
	<-closed
	time.Sleep(2 * idleCheckAfter)
	for i, want := range []int64{2, 3} {
		if _, err := c.do(ctx, "POST", "/", "", nil); err == nil {
			t.Fatalf("request %d succeeded against a server that closes every connection", i+2)
		}
		if n := accepted.Load(); n != want {
			t.Errorf("request %d: %d connections in all, want %d", i+2, n, want)
		}
		if c.conn != nil {
			t.Errorf("request %d: connection kept after an error", i+2)
		}
	}

	url, accepted, _ = closingServer(t, func(int64) bool { return false })
	cfg := baseConfig(url)
	cfg.Requests, cfg.Concurrency, cfg.SkipPreflight = 5, 1, true
	res := runHTTPTest(t, cfg)
	failed := res.Errors[ErrKindConnClosed] + res.Errors[ErrKindConnReset]
	if res.OK != 0 || failed != 5 || accepted.Load() != 5 {
		t.Errorf("ok %d, errors %v, %d connections; want 5 errors on 5 connections", res.OK, res.Errors, accepted.Load())
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
