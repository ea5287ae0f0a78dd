//go:build unix

package bench

import (
	"net"
	"syscall"
)

// peerClosed reports whether the server has closed conn, or sent something unasked (which a kept
// HTTP/1.1 connection must not carry), by peeking at its socket without blocking.
func peerClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var b [1]byte
	rc.Read(func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		closed = err != syscall.EAGAIN && err != syscall.EWOULDBLOCK // EOF, data or an error
		return true
	})
	return closed
}
