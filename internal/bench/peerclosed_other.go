//go:build !unix

package bench

import "net"

// peerClosed cannot peek here: a connection the server closed fails its next request.
func peerClosed(net.Conn) bool { return false }
