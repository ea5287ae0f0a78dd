// Package auth checks API keys: full-access keys and read-only keys, presented in the `api-key`
// header or as `Authorization: Bearer KEY`. Keys are kept only as SHA-256 digests and compared in
// constant time against every configured key, so neither timing nor logs reveal them; a key is
// identified in logs and usage counters by a short fingerprint of its digest.
//
// Concurrency: a *Keys is immutable after New and safe for concurrent use.
package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
)

// Access is what a caller may do.
type Access int

// Access levels.
const (
	None Access = iota
	ReadOnly
	Full
)

// Identity is an authenticated caller.
type Identity struct {
	Access Access
	// ID is "anonymous" when no keys are configured, else the key's fingerprint ("key-1a2b3c4d").
	ID string
}

// ErrMissing and ErrInvalid are the two ways authentication fails (both answer 401).
var (
	ErrMissing = errors.New("missing API key: send it in the `api-key` header or as `Authorization: Bearer <key>`")
	ErrInvalid = errors.New("invalid API key")
)

// Keys holds the configured keys.
type Keys struct {
	keys []key
}

type key struct {
	digest [32]byte
	access Access
	id     string
}

// New builds the key set; empty strings are ignored.
func New(full, readOnly []string) *Keys {
	k := &Keys{}
	add := func(s string, a Access) {
		if s == "" {
			return
		}
		d := sha256.Sum256([]byte(s))
		k.keys = append(k.keys, key{digest: d, access: a, id: "key-" + hex.EncodeToString(d[:4])})
	}
	for _, s := range full {
		add(s, Full)
	}
	for _, s := range readOnly {
		add(s, ReadOnly)
	}
	return k
}

// Enabled reports whether any key is configured (otherwise every caller has full access).
func (k *Keys) Enabled() bool { return k != nil && len(k.keys) > 0 }

// Check authenticates a request.
func (k *Keys) Check(r *http.Request) (Identity, error) {
	if !k.Enabled() {
		return Identity{Access: Full, ID: "anonymous"}, nil
	}
	presented := r.Header.Get("api-key")
	if presented == "" {
		if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			presented = strings.TrimSpace(h[7:])
		}
	}
	if presented == "" {
		return Identity{}, ErrMissing
	}
	d := sha256.Sum256([]byte(presented))
	found := -1
	for i := range k.keys { // no early exit: the time does not depend on which key matched
		if subtle.ConstantTimeCompare(d[:], k.keys[i].digest[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return Identity{}, ErrInvalid
	}
	return Identity{Access: k.keys[found].access, ID: k.keys[found].id}, nil
}
