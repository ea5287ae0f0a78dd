#!/bin/sh
# Regenerates the assembly and stubs of package pq and fails if they differ
# from the committed files (needs the Go module proxy or a module cache
# holding avo). The committed files are restored either way.
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
files="table_amd64.s table_amd64_stubs.go"
trap 'for f in $files; do cp "$tmp/$f" ..; done; rm -rf "$tmp"' EXIT
for f in $files; do cp "../$f" "$tmp/"; done
go run . -out ../table_amd64.s -stubs ../table_amd64_stubs.go -pkg pq
status=0
for f in $files; do
	if ! cmp -s "$tmp/$f" "../$f"; then
		echo "internal/index/quant/pq/$f is stale: run go generate ./internal/index/quant/pq" >&2
		diff -u "$tmp/$f" "../$f" | head -40 >&2 || true
		status=1
	fi
done
[ "$status" -eq 0 ] && echo "internal/index/quant/pq: generated assembly is up to date"
exit "$status"
