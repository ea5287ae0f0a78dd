#!/usr/bin/env bash
# How much of Needle's HTTP cost is net/http's: serves one data directory with the real handler
# through net/http (std, what `needle serve` does) and through bench/ceiling's minimal HTTP/1.1
# loop (raw), alternating, each driven by wrk (one thread) with the seed 000 query bodies.
#
#   DATA_DIR=/tmp/compare-seed000.XXXXXX/needle-data BODIES=/tmp/compare-seed000.XXXXXX/needle-hnsw-bodies.lua \
#     bench/compare-http-stack.sh
#
# DATA_DIR: a Needle data directory holding collection COLL (default fm), e.g. the one a
# compare-seed000.sh run leaves in its OUT; BODIES: query bodies for wrk (wrk_bodies.py, which
# compare-seed000.sh WRK=1 also leaves there). ROUNDS (2), DURATION (10s), CONCURRENCY (100),
# PORT (16403). Prints req/s, p50, p99 and the server's cores per run.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
: "${DATA_DIR:?set DATA_DIR}" "${BODIES:?set BODIES}"
ROUNDS=${ROUNDS:-2} DURATION=${DURATION:-10s} CONCURRENCY=${CONCURRENCY:-100} PORT=${PORT:-16403} COLL=${COLL:-fm}
work=$(mktemp -d)
bin=$work/ceiling
(cd "$root" && go build -o "$bin" ./bench/ceiling)
pid=
cleanup() {
	[[ -n $pid ]] && kill "$pid" 2>/dev/null
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
if curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz"; then
	echo "port $PORT is taken: stop what listens there first" >&2
	exit 1
fi
tck=$(getconf CLK_TCK)
run_wrk() { # as compare-seed000.sh's wrk runs: one thread, a 30 s timeout
	WRK_BODIES=$BODIES WRK_COLLECTION=$COLL wrk -t1 -c"$CONCURRENCY" -d"$1" --timeout 30s \
		-s "$here/peers/seed000/query.lua" "http://127.0.0.1:$PORT"
}
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), needle $(git -C "$root" rev-parse --short HEAD)"
printf '%-5s %-4s %9s %7s %7s %12s\n' round mode req/s p50 p99 server-cores
for ((r = 1; r <= ROUNDS; r++)); do
	for mode in std raw; do
		"$bin" -data "$DATA_DIR" -listen "127.0.0.1:$PORT" -mode "$mode" 2>"$work/$mode-$r.log" &
		pid=$!
		for _ in $(seq 150); do curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break; sleep 0.2; done
		kill -0 "$pid" 2>/dev/null || { echo "ceiling ($mode) did not start:" >&2; cat "$work/$mode-$r.log" >&2; exit 1; }
		run_wrk 3s >/dev/null
		t0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		json=$(run_wrk "$DURATION" | grep '^{')
		t1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
		secs=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["elapsed_s"])' "$json")
		python3 -c 'import json,sys; d=json.loads(sys.argv[1]); l=d["latency_ms"]
print("%-5s %-4s %9.0f %7.1f %7.1f %12.2f" % (sys.argv[2], sys.argv[3], d["ok_rps"], l["p50"], l["p99"], (int(sys.argv[5]) - int(sys.argv[4])) / int(sys.argv[7]) / float(sys.argv[6])))' \
			"$json" "$r" "$mode" "$t0" "$t1" "$secs" "$tck"
		kill "$pid"
		wait "$pid" 2>/dev/null || true
		pid=
	done
done
