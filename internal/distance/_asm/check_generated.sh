#!/bin/sh
# Regenerates the assembly and stubs of package distance and fails if they
# differ from the committed files (CI runs this; it needs the Go module proxy
# or a module cache holding avo). The committed files are restored either way.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
files="dist_amd64.s dist_amd64_stubs.go gather_amd64.s gather_amd64_stubs.go scan_amd64.s scan_amd64_stubs.go hamming_amd64.s hamming_amd64_stubs.go f16_amd64.s f16_amd64_stubs.go"
trap 'for f in $files; do cp "$tmp/$f" ..; done; rm -rf "$tmp"' EXIT
for f in $files; do cp "../$f" "$tmp/"; done
go run . -out ../dist_amd64.s -stubs ../dist_amd64_stubs.go -pkg distance
go run . -set gather -out ../gather_amd64.s -stubs ../gather_amd64_stubs.go -pkg distance
go run . -set scan -out ../scan_amd64.s -stubs ../scan_amd64_stubs.go -pkg distance
go run . -set bits -out ../hamming_amd64.s -stubs ../hamming_amd64_stubs.go -pkg distance
go run . -set f16 -out ../f16_amd64.s -stubs ../f16_amd64_stubs.go -pkg distance
status=0
for f in $files; do
	if ! cmp -s "$tmp/$f" "../$f"; then
		echo "internal/distance/$f is stale: run go generate ./internal/distance" >&2
		diff -u "$tmp/$f" "../$f" | head -40 >&2 || true
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "internal/distance: generated assembly is up to date"
exit "$status"
