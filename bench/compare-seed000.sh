#!/usr/bin/env bash
# Needle against seed 000's architecture (FastAPI, one uvicorn worker, Faiss search in
# run_in_executor: bench/peers/seed000/server.py), both serving fashion-mnist-784-euclidean
# over the same Qdrant-shaped REST query, both driven by `needle bench http` (closed loop)
# at each concurrency, one after the other (never both under load at once). Prints req/s,
# p50, p99 and the server's RSS side by side.
#
#   bench/compare-seed000.sh
#
# Environment (defaults):
#   NEEDLE_DATA   /tmp/needle-data     datasets (bench/setup.sh makes them)
#   DURATION      20s                  measured load per run
#   WARMUP        3s                   load before each measurement, not counted
#   CONCURRENCY   "50 100"             closed-loop workers, one run each
#   EF            64                   HNSW search list (Needle: params.hnsw_ef; peer: efSearch)
#   RECALL_N      500                  queries sent one by one for each server's recall@10
#   NEEDLE_MODE   auto                 auto: HNSW if the build indexes the collection, else exact;
#                                      exact: always params.exact=true (after the graphs are built
#                                      all the same, so no background build competes with the load)
#   PEER_INDEXES  auto                 "hnsw", "flat", "hnsw flat"; auto: hnsw, plus flat when
#                                      Needle searches exactly (so exact meets exact too)
#   NEEDLE_FLAGS  --cache-bytes 0      extra `needle serve` flags; the result cache is off because
#                                      the runs cycle through the same 10,000 queries, which would
#                                      measure cache hits (the peer has no cache)
#   COLLECTION_EXTRA ""                JSON merged into Needle's collection creation body, e.g.
#                                      '{"quantization_config": {"scalar": {"type": "int8"}},
#                                        "optimizers_config": {"default_segment_number": 1}}'
#   ON_DISK       ""                   non-empty: Needle's vectors "on_disk": true
#   WAIT_SEGMENTS ""                   wait until Needle reports at most this many segments
#                                      (sealed + mutable) before loading it: merges finished
#   INPROCESS     1                    1: after Needle's HTTP runs, the same HNSW in process
#                                      (`needle bench ann`, 2 threads, three rounds) for the ratio
#   WRK           0                    1: also drive each server with wrk (Debian's wrk,
#                                      bench/peers/seed000/query.lua cycling through 1,000 of the
#                                      same bodies) at each concurrency, rows "NAME/wrk": the
#                                      issue's peer figure was measured with wrk
#   WRK_THREADS   1                    wrk's threads. More threads on these two shared cores
#                                      lengthen the tail wrk measures (Needle at c=100: p99 30 /
#                                      60 / 72 ms with 1 / 2 / 4 threads, the server's own p99
#                                      under 10 ms): one thread needs a quarter of a core here
#   NEEDLE_PORT   16402, PEER_PORT 16401 (127.0.0.1 only)
#   OUT           a new /tmp/compare-seed000.XXXXXX   logs, JSON results, Needle's data dir
#
# Needle is built from this checkout. Its collection is created over the REST API with
# hnsw_config m=16, ef_construct=200 and filled with bench/peers/seed000/load_qdrant.py. If
# the collection info then reports no indexed vectors (no HNSW in this build), Needle is
# driven with params.exact=true and the output says so. The peer's HNSW index (M=16,
# efConstruction=200) is cached in $NEEDLE_DATA (building it takes minutes on 2 cores).
# RSS is VmRSS of the server process from /proc/PID/status before and after each run; peak
# is VmHWM, reset (echo 5 > /proc/PID/clear_refs) before each run's warmup, so it is the
# run's peak (at least the RSS before). Client CPU is the load generator's own CPU time
# during the measurement, in % of one core.
# Recall@10 is measured over HTTP on the first RECALL_N queries before the load runs.
# The load generator runs on the same machine and takes CPU from the server under test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
DATA=${NEEDLE_DATA:-/tmp/needle-data}
DS=$DATA/fashion-mnist-784-euclidean
DURATION=${DURATION:-20s}
WARMUP=${WARMUP:-3s}
CONCURRENCY=${CONCURRENCY:-50 100}
EF=${EF:-64}
RECALL_N=${RECALL_N:-500}
PEER_INDEXES=${PEER_INDEXES:-auto}
NEEDLE_MODE=${NEEDLE_MODE:-auto}
NEEDLE_FLAGS=${NEEDLE_FLAGS---cache-bytes 0}
NEEDLE_PORT=${NEEDLE_PORT:-16402}
INPROCESS=${INPROCESS:-1}
WRK=${WRK:-0}
WRK_THREADS=${WRK_THREADS:-1}
COLLECTION_EXTRA=${COLLECTION_EXTRA:-}
PEER_PORT=${PEER_PORT:-16401}
OUT=${OUT:-$(mktemp -d /tmp/compare-seed000.XXXXXX)}
PY=/usr/bin/python3 # Debian's Python: the apt packages are installed for it
PACKAGES=(python3-fastapi python3-uvicorn python3-faiss python3-numpy)
[[ $WRK == 1 ]] && PACKAGES+=(wrk time)
COLL=fm

log() { printf 'compare-seed000: %s\n' "$*" >&2; }
mkdir -p "$OUT"

# Packages.
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	sudo=()
	[[ $(id -u) -eq 0 ]] || sudo=(sudo)
	log "installing ${missing[*]}"
	"${sudo[@]}" apt-get update -q
	DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "${missing[@]}"
fi
for s in base queries; do
	[[ -s $DS.$s.npy ]] || { log "missing $DS.$s.npy: run bench/setup.sh"; exit 1; }
done

# Servers.
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT
stop() { # stop PID: end a server this script started
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
wait_http() { # wait_http URL PID SECONDS
	local i
	for ((i = 0; i < $3 * 10; i++)); do
		curl -sf -o /dev/null "$1" && return 0
		kill -0 "$2" 2>/dev/null || { log "server $2 died; see $OUT"; exit 1; }
		sleep 0.1
	done
	log "$1 not ready after $3 s"
	exit 1
}
rss_mb() { awk -v k="$2:" '$1 == k { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

log "building needle from $root"
(cd "$root" && go build -o "$OUT/needle" ./cmd/needle)
BENCH=("$OUT/needle" bench http --collection "$COLL" --vectors "$DS.queries.npy" --k 10
	--duration "$DURATION" --warmup "$WARMUP" --progress 2s --json)

results=$OUT/results.tsv
: >"$results"
measure() { # measure NAME PID URL EXTRA-FLAGS...: recall, then one run per concurrency, a row each
	local name=$1 pid=$2 url=$3 c la recall before
	shift 3
	"$PY" "$here/peers/seed000/recall_http.py" --url "$url" --collection "$COLL" --data "$DS" --n "$RECALL_N" \
		"$@" >"$OUT/$name-recall.json"
	recall=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["recall"])' "$OUT/$name-recall.json")
	log "$name: recall@10 $recall over $RECALL_N queries"
	for c in $CONCURRENCY; do
		la=$(loadavg)
		log "$name, concurrency $c (load average before: $la)"
		before=$(rss_mb "$pid" VmRSS)
		echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true # reset VmHWM
		"${BENCH[@]}" --url "$url" --concurrency "$c" "$@" >"$OUT/$name-c$c.json" 2>"$OUT/$name-c$c.log"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$c" "$OUT/$name-c$c.json" "$before" \
			"$(rss_mb "$pid" VmRSS)" "$(rss_mb "$pid" VmHWM)" "$recall" "$la" >>"$results"
		grep -E 'throughput|latency|errors' "$OUT/$name-c$c.log" >&2 || true
	done
	[[ $WRK == 1 ]] && measure_wrk "$name" "$pid" "$url" "$recall" "$@"
	return 0
}
measure_wrk() { # measure_wrk NAME PID URL RECALL EXTRA-FLAGS...: the same runs driven by wrk, rows NAME/wrk
	local name=$1 pid=$2 url=$3 recall=$4 c la before out
	shift 4
	"$PY" "$here/peers/seed000/wrk_bodies.py" --data "$DS.queries.npy" --n 1000 --k 10 "$@" --out "$OUT/$name-bodies.lua"
	for c in $CONCURRENCY; do
		la=$(loadavg)
		log "$name, concurrency $c, driven by wrk (load average before: $la)"
		WRK_BODIES=$OUT/$name-bodies.lua WRK_COLLECTION=$COLL wrk -t"$WRK_THREADS" -c"$c" -d"$WARMUP" \
			-s "$here/peers/seed000/query.lua" "$url" >/dev/null
		before=$(rss_mb "$pid" VmRSS)
		echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true
		out=$OUT/$name-wrk-c$c
		WRK_BODIES=$OUT/$name-bodies.lua WRK_COLLECTION=$COLL /usr/bin/time -f '%U %S' -o "$out.cpu" \
			wrk -t"$WRK_THREADS" -c"$c" -d"$DURATION" --timeout 30s -s "$here/peers/seed000/query.lua" "$url" >"$out.log"
		# The JSON line from query.lua's done(), plus wrk's own CPU time.
		"$PY" -c 'import json,sys; r=json.loads([l for l in open(sys.argv[1]) if l.startswith("{")][-1]); u,s=map(float,open(sys.argv[2]).read().split()[-2:]); r["client_cpu_s"]=u+s; print(json.dumps(r))' \
			"$out.log" "$out.cpu" >"$out.json"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name/wrk" "$c" "$out.json" "$before" \
			"$(rss_mb "$pid" VmRSS)" "$(rss_mb "$pid" VmHWM)" "$recall" "$la" >>"$results"
		grep -E 'Requests/sec|Latency' "$out.log" >&2 || true
	done
}

# Needle.
# shellcheck disable=SC2086 # NEEDLE_FLAGS is split into flags on purpose
"$OUT/needle" serve --listen "127.0.0.1:$NEEDLE_PORT" --data-dir "$OUT/needle-data" --log-level warn $NEEDLE_FLAGS \
	>"$OUT/needle.log" 2>&1 &
npid=$!
pids+=("$npid")
wait_http "http://127.0.0.1:$NEEDLE_PORT/readyz" "$npid" 30
log "loading $DS.base.npy into Needle"
load=$("$PY" "$here/peers/seed000/load_qdrant.py" --url "http://127.0.0.1:$NEEDLE_PORT" --collection "$COLL" \
	--data "$DS.base.npy" --m 16 --ef-construct 200 --recreate --wait-indexed 900 \
	${COLLECTION_EXTRA:+--extra "$COLLECTION_EXTRA"} ${ON_DISK:+--on-disk} ${WAIT_SEGMENTS:+--wait-segments "$WAIT_SEGMENTS"} 2>"$OUT/load.log")
echo "$load" >"$OUT/load.json"
indexed=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); print(int(d["indexed_vectors_count"] >= d["points_count"] > 0))' "$load")
if [[ $NEEDLE_MODE == exact ]]; then
	needle_index=exact
	needle_flags=(--exact)
	note="Needle: exact search (params.exact=true), as asked by NEEDLE_MODE=exact"
elif [[ $indexed == 1 ]]; then
	needle_index=hnsw
	needle_flags=(--hnsw-ef "$EF")
	note="Needle: HNSW (m 16, ef_construct 200), queried with hnsw_ef $EF"
else
	needle_index=exact
	needle_flags=(--exact)
	note="Needle: collection info reports 0 indexed vectors, no HNSW in this build: exact search (params.exact=true)"
fi
log "$note"
log "Needle loaded: $load"
measure "needle-$needle_index" "$npid" "http://127.0.0.1:$NEEDLE_PORT" "${needle_flags[@]}"
stop "$npid"

# The same HNSW in process (issue 5: HTTP req/s against in-process QPS with 2 threads), with the
# collection's build parameters; int8 codes (auto) when the collection was created with them.
if [[ $needle_index == hnsw && $INPROCESS == 1 ]]; then
	quant=none
	[[ $COLLECTION_EXTRA == *'"scalar"'* ]] && quant=auto
	log "in process: needle bench ann --index hnsw --ef $EF --threads 2 --quantization $quant ${ON_DISK:+--on-disk} (load average $(loadavg))"
	"$OUT/needle" bench ann --data "$DS" --index hnsw --m 16 --ef-construct 200 --ef "$EF,$EF,$EF" --threads 2 \
		--quantization "$quant" ${ON_DISK:+--on-disk} >"$OUT/inprocess.jsonl" 2>"$OUT/inprocess.log"
fi

# Peer, one index at a time.
if [[ $PEER_INDEXES == auto ]]; then
	PEER_INDEXES=hnsw
	[[ $needle_index == hnsw ]] || PEER_INDEXES="hnsw flat"
fi
for idx in $PEER_INDEXES; do
	log "starting the seed 000 peer ($idx; an uncached HNSW build takes minutes)"
	"$PY" "$here/peers/seed000/server.py" --data "$DS.base.npy" --index "$idx" --ef-search "$EF" \
		--index-cache "$DATA/seed000-fashion-mnist-hnsw-m16-efc200.faiss" --collection "$COLL" \
		--port "$PEER_PORT" >"$OUT/peer-$idx.log" 2>&1 &
	ppid_=$!
	pids+=("$ppid_")
	wait_http "http://127.0.0.1:$PEER_PORT/health" "$ppid_" 900
	measure "seed000-$idx" "$ppid_" "http://127.0.0.1:$PEER_PORT" --hnsw-ef "$EF"
	stop "$ppid_"
done

# Table.
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
echo "# needle $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo '?'), fashion-mnist-784-euclidean (60,000 x 784), k 10, closed loop, $DURATION per run after $WARMUP warmup"
echo "# $note; needle serve flags: ${NEEDLE_FLAGS:-none}"
echo "# peer: FastAPI $("$PY" -c 'import fastapi; print(fastapi.__version__)'), uvicorn $("$PY" -c 'import uvicorn; print(uvicorn.__version__)') (1 worker), faiss $("$PY" -c 'import faiss; print(faiss.__version__)'), efSearch $EF for hnsw"
"$PY" - "$results" <<'EOF'
import json, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
hdr = ("server", "conc", "req/s", "p50 ms", "p99 ms", "ok %", "RSS MB before/after/peak", "recall",
       "client CPU", "load avg before")
fmt = "{:<14} {:>4} {:>8} {:>8} {:>8} {:>6}  {:>24} {:>7} {:>10}   {}"
print(fmt.format(*hdr))
for name, c, path, before, rss, hwm, recall, la in rows:
    r = json.load(open(path))
    lat = r["latency_ms"]
    cpu = f'{100 * r.get("client_cpu_s", 0) / r["elapsed_s"]:.1f} %' if r.get("client_cpu_s") else "?"
    print(fmt.format(name, c, f'{r["ok_rps"]:.1f}', f'{lat["p50"]:.1f}', f'{lat["p99"]:.1f}',
                     f'{100 * r["success_rate"]:.1f}', f'{before} / {rss} / {hwm}', recall, cpu, la))
EOF
if [[ -s $OUT/inprocess.jsonl ]]; then
	"$PY" - "$OUT/inprocess.jsonl" "$results" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
qps = [l["qps"] for l in lines if "qps" in l]
if not qps:
    sys.exit("# in process: no QPS line (see inprocess.log)")
best = max(qps)
print(f"# in process, 2 threads: QPS {' / '.join(f'{q:,.0f}' for q in qps)} (recall {lines[-1].get('recall', '?')})")
for l in open(sys.argv[2]):
    name, c, path = l.split("\t")[:3]
    if name.startswith("needle"):
        r = json.load(open(path))
        print(f"# {name} c={c}: HTTP {r['ok_rps']:,.0f} req/s = {100 * r['ok_rps'] / best:.0f} % of the best in-process QPS")
EOF
fi
log "results and logs in $OUT"
