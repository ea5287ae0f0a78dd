package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// rawConn is the load generator's own HTTP/1.1 client for plain http:// targets: one
// keep-alive connection per worker, each request written in one call from prepared bytes and
// each response read with a status line, two headers looked at (Content-Length,
// Transfer-Encoding, Connection) and the body discarded. It does what wrk does, so that on a
// machine shared with the server under test the generator takes as little CPU as it can:
// net/http's client spent about 40 µs of CPU per request here (issue 5's measurements).
//
// A rawConn belongs to one goroutine. Any error closes the connection; the next request dials
// again. A request is never sent twice: as with net/http's Transport, a kept connection the server
// closed while it was idle (its idle timeout, or the pause of a slow open-loop run) is noticed
// before the request is written, by a non-blocking peek when the connection has been idle for
// idleCheckAfter, and dialled again; a request the server read and then dropped is an error.
type rawConn struct {
	addr    string // host:port to dial
	host    string // the Host header
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	buf     []byte
	ctx     context.Context // the context whose end interrupts the connection
	stop    func() bool
	used    time.Time // when the last response was read
}

// idleCheckAfter is how long a kept connection may sit idle before a request checks that the
// server has not closed it: a closed loop sends at once and never pays for the check.
const idleCheckAfter = time.Millisecond

// newRawConn returns a client for base, an http:// URL, or false if base needs net/http
// (https, or a URL it cannot use).
func newRawConn(base string, timeout time.Duration) (*rawConn, bool) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.User != nil || u.Host == "" {
		return nil, false
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &rawConn{addr: addr, host: u.Host, timeout: timeout}, true
}

// errBadResponse is a response the client cannot read as HTTP/1.1.
var errBadResponse = errors.New("malformed HTTP response")

// do sends one request and returns the response's status code once its body has been read.
// ctx ending interrupts it.
func (c *rawConn) do(ctx context.Context, method, path, apiKey string, body []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if c.conn != nil && c.br.Buffered() == 0 && time.Since(c.used) >= idleCheckAfter && peerClosed(c.conn) {
		c.close()
	}
	if c.conn == nil {
		if err := c.dial(ctx); err != nil {
			return 0, err
		}
	}
	if c.ctx != ctx {
		if c.stop != nil {
			c.stop()
		}
		conn := c.conn
		c.ctx, c.stop = ctx, context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	}
	status, keep, err := c.roundTrip(method, path, apiKey, body)
	c.used = time.Now()
	if err != nil || !keep {
		c.close()
	}
	if err != nil && ctx.Err() != nil {
		return status, ctx.Err()
	}
	return status, err
}

func (c *rawConn) dial(ctx context.Context) error {
	d := net.Dialer{Timeout: min(c.timeout, 5*time.Second), KeepAlive: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return err
	}
	c.conn = conn
	if c.br == nil {
		c.br = bufio.NewReaderSize(conn, 16<<10)
	} else {
		c.br.Reset(conn)
	}
	return nil
}

func (c *rawConn) close() {
	if c.stop != nil {
		c.stop()
	}
	if c.conn != nil {
		c.conn.Close()
	}
	c.conn, c.ctx, c.stop = nil, nil, nil
}

func (c *rawConn) roundTrip(method, path, apiKey string, body []byte) (status int, keepAlive bool, err error) {
	b := c.buf[:0]
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, c.host...)
	b = append(b, "\r\nUser-Agent: needle-bench\r\nContent-Type: application/json\r\nContent-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	if apiKey != "" {
		b = append(b, "\r\napi-key: "...)
		b = append(b, apiKey...)
	}
	b = append(b, "\r\n\r\n"...)
	b = append(b, body...)
	c.buf = b
	if err := c.conn.SetDeadline(time.Now().Add(c.timeout)); err != nil {
		return 0, false, err
	}
	if err := c.ctx.Err(); err != nil { // it ended before the deadline above: its AfterFunc was overwritten
		return 0, false, err
	}
	if _, err := c.conn.Write(b); err != nil {
		return 0, false, err
	}
	return c.readResponse(method == "HEAD")
}

// readResponse reads one response (skipping 1xx ones) and discards its body.
func (c *rawConn) readResponse(head bool) (status int, keepAlive bool, err error) {
	for {
		line, err := c.line()
		if err != nil {
			return 0, false, err
		}
		// "HTTP/1.1 200 OK"
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
			return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
		}
		status, err = strconv.Atoi(string(line[9:12]))
		if err != nil {
			return 0, false, fmt.Errorf("%w: status line %q", errBadResponse, line)
		}
		keepAlive = line[7] == '1' // HTTP/1.1 keeps the connection unless told otherwise
		length, chunked := int64(-1), false
		for {
			h, err := c.line()
			if err != nil {
				return 0, false, err
			}
			if len(h) == 0 {
				break
			}
			colon := bytes.IndexByte(h, ':')
			if colon <= 0 {
				return 0, false, fmt.Errorf("%w: header %q", errBadResponse, h)
			}
			name, value := h[:colon], bytes.TrimSpace(h[colon+1:])
			switch {
			case asciiEqualFold(name, "content-length"):
				if length, err = strconv.ParseInt(string(value), 10, 64); err != nil || length < 0 {
					return 0, false, fmt.Errorf("%w: Content-Length %q", errBadResponse, value)
				}
			case asciiEqualFold(name, "transfer-encoding"):
				chunked = asciiEqualFold(value, "chunked")
			case asciiEqualFold(name, "connection"):
				if asciiEqualFold(value, "close") {
					keepAlive = false
				} else if asciiEqualFold(value, "keep-alive") {
					keepAlive = true
				}
			}
		}
		if status >= 100 && status < 200 {
			continue
		}
		switch {
		case head || status == 204 || status == 304:
		case chunked:
			err = c.discardChunked()
		case length >= 0:
			_, err = c.br.Discard(int(length))
		default: // the body runs to the end of the connection
			_, err = io.Copy(io.Discard, c.br)
			keepAlive = false
		}
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return status, keepAlive, err
	}
}

func (c *rawConn) discardChunked() error {
	for {
		line, err := c.line()
		if err != nil {
			return err
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(line)), 16, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: chunk size %q", errBadResponse, line)
		}
		if n == 0 { // trailers, then an empty line
			for {
				t, err := c.line()
				if err != nil {
					return err
				}
				if len(t) == 0 {
					return nil
				}
			}
		}
		if _, err := c.br.Discard(int(n)); err != nil {
			return err
		}
		if t, err := c.line(); err != nil || len(t) != 0 {
			if err == nil {
				err = fmt.Errorf("%w: no CRLF after a chunk", errBadResponse)
			}
			return err
		}
	}
}

// line reads one CRLF- (or LF-) terminated line without its terminator.
func (c *rawConn) line() ([]byte, error) {
	l, err := c.br.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return nil, fmt.Errorf("%w: line longer than %d bytes", errBadResponse, c.br.Size())
		}
		return nil, err
	}
	l = l[:len(l)-1]
	if n := len(l); n > 0 && l[n-1] == '\r' {
		l = l[:n-1]
	}
	return l, nil
}

// asciiEqualFold compares an HTTP token with a lower-case name.
func asciiEqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range b {
		c := b[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
