#!/usr/bin/env bash
# Client compatibility test: builds Needle, starts it on a free loopback port
# with a throw-away data directory, and runs the Node test files in this folder
# against it with the official Qdrant JS client and LangChain's Qdrant store.
#
# Needs only Go and Node (>= 20) with npm. Exits non-zero if any test fails;
# the server log is printed on failure.
#
# Environment:
#   COMPAT_SKIP_NPM_CI=1   reuse compat/node_modules as it is (faster reruns)
#   COMPAT_TESTS="a.test.mjs b.test.mjs"   run only these test files (default: *.test.mjs)
set -euo pipefail

COMPAT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$COMPAT_DIR/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/needle-compat.XXXXXX")"
SERVER_PID=""
STATUS=1

cleanup() {
	local rc=$?
	trap '' INT TERM # finish cleaning up even if signalled again
	if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null || true
		# Give it the chance to shut down cleanly, then insist.
		for _ in $(seq 1 50); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ $rc -ne 0 || $STATUS -ne 0 ]] && [[ -f "$WORK/server.log" ]]; then
		echo "---- needle server log (last 200 lines) ----" >&2
		tail -n 200 "$WORK/server.log" >&2 || true
		echo "---- end of server log ----" >&2
	fi
	rm -rf "$WORK"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v go >/dev/null || { echo "compat: go is not installed" >&2; exit 1; }
command -v node >/dev/null || { echo "compat: node is not installed" >&2; exit 1; }
command -v npm >/dev/null || { echo "compat: npm is not installed" >&2; exit 1; }

# 1. Node dependencies, exactly as pinned in package-lock.json.
cd "$COMPAT_DIR"
if [[ "${COMPAT_SKIP_NPM_CI:-}" == "1" && -d node_modules ]]; then
	echo "compat: reusing node_modules"
else
	echo "compat: npm ci"
	# --omit=peer: @qdrant/js-client-rest declares typescript as a peer
	# dependency (types only); installing it would add ~30 MB and ~10 s.
	npm ci --no-audit --no-fund --loglevel=error --omit=peer
fi

# 2. The server binary.
echo "compat: building needle"
(cd "$ROOT" && go build -o "$WORK/needle" ./cmd/needle)

# 3. A free port on the loopback interface.
PORT="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
URL="http://127.0.0.1:$PORT"

# 4. Start the server with a fresh data directory; wait for /readyz.
mkdir -p "$WORK/data"
"$WORK/needle" serve --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
echo "compat: needle pid $SERVER_PID on $URL"

ready=0
for _ in $(seq 1 150); do
	if ! kill -0 "$SERVER_PID" 2>/dev/null; then
		echo "compat: needle exited before becoming ready" >&2
		exit 1
	fi
	if node -e 'fetch(process.argv[1]+"/readyz").then(r=>process.exit(r.ok?0:1),()=>process.exit(1))' "$URL"; then
		ready=1
		break
	fi
	sleep 0.2
done
if [[ $ready -ne 1 ]]; then
	echo "compat: needle did not become ready on $URL within 30s" >&2
	exit 1
fi

# 5. The tests. node:test exits non-zero when any test fails.
if [[ -n "${COMPAT_TESTS:-}" ]]; then
	read -r -a TESTS <<<"$COMPAT_TESTS"
else
	TESTS=(*.test.mjs)
fi
set +e
NEEDLE_URL="$URL" node --test --test-concurrency=1 --test-reporter=spec "${TESTS[@]}"
STATUS=$?
set -e
if [[ $STATUS -ne 0 ]]; then
	echo "compat: FAILED (node --test exit $STATUS)" >&2
else
	echo "compat: all tests passed"
fi
exit $STATUS
