// Command ceiling measures how much of issue 5's HTTP/in-process gap is net/http's: it opens a
// Needle data directory with the real server's handler (routes, decoding, admission, search,
// encoding) and serves it either with net/http (-mode std, what `needle serve` does) or with a
// minimal HTTP/1.1 loop (-mode raw: keep-alive, Content-Length bodies only, one write per
// answer, no timeouts, no chunked bodies, no 100-continue, no pipelining guarantees). It is an
// experiment, not a server: drive it with wrk or `needle bench http` at 127.0.0.1 and compare
// the two modes. Its /readyz stays 503 (it never calls Serve); /healthz answers.
//
//	go run ./bench/ceiling -data /tmp/i5/data -listen 127.0.0.1:16403 -mode raw
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"

	"github.com/needlevdb/needle/internal/config"
	"github.com/needlevdb/needle/internal/server"
)

func main() {
	data := flag.String("data", "", "Needle data directory (a collection already loaded)")
	listen := flag.String("listen", "127.0.0.1:16403", "address")
	mode := flag.String("mode", "raw", "raw: minimal HTTP/1.1 loop; std: net/http")
	flag.Parse()
	cfg := config.Default()
	cfg.DataDir, cfg.Listen, cfg.CacheBytes, cfg.AccessLogSample = *data, *listen, 0, 0
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := server.New(cfg, "ceiling", logger)
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	h := s.Handler()
	if *mode == "std" {
		log.Fatal(http.Serve(ln, h))
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serveConn(c, h)
	}
}

// maxBody is the largest request body read (needle serve's default --max-body-bytes); a larger
// Content-Length closes the connection.
const maxBody = 32 << 20

// serveConn answers keep-alive requests on c until it closes or sends something unsupported.
func serveConn(c net.Conn, h http.Handler) {
	defer c.Close()
	br := bufio.NewReaderSize(c, 64<<10)
	var body, out []byte
	w := &writer{}
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return
		}
		sp1 := bytes.IndexByte(line, ' ')
		sp2 := bytes.LastIndexByte(line, ' ')
		if sp1 < 0 || sp2 <= sp1 {
			return
		}
		method, target := string(line[:sp1]), string(line[sp1+1:sp2])
		hdr := http.Header{}
		n := 0
		for {
			l, err := br.ReadSlice('\n')
			if err != nil {
				return
			}
			l = bytes.TrimRight(l, "\r\n")
			if len(l) == 0 {
				break
			}
			k, v, ok := bytes.Cut(l, []byte(":"))
			if !ok {
				return
			}
			key, val := http.CanonicalHeaderKey(string(k)), string(bytes.TrimSpace(v))
			if key == "Transfer-Encoding" { // chunked bodies are not read here: give up the connection
				return
			}
			if key == "Content-Length" {
				if n, err = strconv.Atoi(val); err != nil || n < 0 || n > maxBody {
					return
				}
			}
			hdr[key] = []string{val}
		}
		body = slices.Grow(body[:0], n)[:n]
		if _, err := io.ReadFull(br, body); err != nil {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		r := &http.Request{Method: method, URL: u, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header: hdr, Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(n),
			Host: hdr.Get("Host"), RemoteAddr: c.RemoteAddr().String(), RequestURI: target}
		w.reset()
		h.ServeHTTP(w, r)
		if w.status == 0 { // nothing written: net/http answers 200 too
			w.status = http.StatusOK
		}
		out = fmt.Appendf(out[:0], "HTTP/1.1 %d %s\r\n", w.status, http.StatusText(w.status))
		for k, vs := range w.header {
			if k == "Content-Length" {
				continue
			}
			for _, v := range vs {
				out = fmt.Appendf(out, "%s: %s\r\n", k, v)
			}
		}
		out = fmt.Appendf(out, "Content-Length: %d\r\n\r\n", len(w.body))
		if method != http.MethodHead {
			out = append(out, w.body...)
		}
		if _, err := c.Write(out); err != nil {
			return
		}
	}
}

// writer buffers one answer.
type writer struct {
	header http.Header
	status int
	body   []byte
}

func (w *writer) reset() { w.header, w.status, w.body = http.Header{}, 0, w.body[:0] }

func (w *writer) Header() http.Header { return w.header }

func (w *writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *writer) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.body = append(w.body, p...)
	return len(p), nil
}
