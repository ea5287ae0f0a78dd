#!/usr/bin/env bash
# Compare Needle's HNSW with native hnswlib on one dataset, in one run.
#
#   bench/compare-hnswlib.sh DATASET [extra `needle bench ann` flags]
#
# DATASET is a name under $NEEDLE_DATA (fashion-mnist-784-euclidean, clustered-1M-128, ...) or a path
# prefix (PREFIX.base.npy, PREFIX.queries.npy, PREFIX.gt.npy). Steps:
#   1. g++ -O3 -march=native the native hnswlib peer (shared/bench/hnswlib_native.cpp: hnswlib built
#      for this CPU, as a pip install would), and go build needle;
#   2. run the peer, then `needle bench ann --index hnsw`, one after the other, same files, same
#      M / ef_construction / ef list / build threads, single-threaded queries;
#      With ROUNDS=N the pair is run N times, alternating; each ef then reports the highest QPS of
#      its N runs (interference from other processes only ever slows a run down) and the mean recall;
#   3. print both curves and the QPS ratio (needle / hnswlib) at recall@10 = 0.90, 0.95 and 0.99,
#      interpolating each curve linearly between the two ef values that bracket the target.
#      A curve that starts above the target is read at its first point (marked *): the QPS at which
#      it reaches at least that recall.
#
# Environment: NEEDLE_DATA (default /tmp/needle-data), NEEDLE_SHARED (default ../../shared/bench
# relative to this script), M (16), EF_CONSTRUCT (200), EFS (10,20,40,80,120,200,400),
# BUILD_THREADS (2), ROUNDS (1), OUT (directory for the raw JSON lines; default a temp dir, kept and
# printed).
set -euo pipefail

if [ $# -lt 1 ]; then
	sed -n '2,20p' "$0" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
DATA=${NEEDLE_DATA:-/tmp/needle-data}
SHARED=${NEEDLE_SHARED:-$here/../../shared/bench}
M=${M:-16}
EF_CONSTRUCT=${EF_CONSTRUCT:-200}
EFS=${EFS:-10,20,40,80,120,200,400}
BUILD_THREADS=${BUILD_THREADS:-2}
ROUNDS=${ROUNDS:-1}
OUT=${OUT:-$(mktemp -d /tmp/compare-hnswlib.XXXXXX)}
mkdir -p "$OUT"

ds=$1
shift
case $ds in
*/*) prefix=$ds ;;
*) prefix=$DATA/$ds ;;
esac
for f in base queries gt; do
	[ -f "$prefix.$f.npy" ] || { echo "missing $prefix.$f.npy (bench/setup.sh makes the datasets)" >&2; exit 1; }
done
metric=l2
case $(basename "$prefix") in *unit* | *angular*) metric=ip ;; esac

echo "# building the peer and needle" >&2
g++ -O3 -march=native -std=c++17 -pthread -o "$OUT/hnswlib_native" "$SHARED/hnswlib_native.cpp"
(cd "$root" && go build -o "$OUT/needle" ./cmd/needle)

common=(--metric "$metric" --m "$M" --ef-construct "$EF_CONSTRUCT" --ef "$EFS" --threads 1 --build-threads "$BUILD_THREADS")
{
	echo "# dataset $prefix"
	echo "# machine $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), go $(go env GOVERSION)"
	echo "# load before hnswlib: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/meta.txt"
: >"$OUT/hnswlib.jsonl"
: >"$OUT/needle.jsonl"
for round in $(seq "$ROUNDS"); do
	echo "# round $round: load before hnswlib: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/meta.txt"
	"$OUT/hnswlib_native" --data "$prefix" "${common[@]}" | tee -a "$OUT/hnswlib.jsonl"
	echo "# round $round: load before needle: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/meta.txt"
	"$OUT/needle" bench ann --data "$prefix" --index hnsw "${common[@]}" "$@" | tee -a "$OUT/needle.jsonl"
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/meta.txt"

/usr/bin/python3 - "$OUT/hnswlib.jsonl" "$OUT/needle.jsonl" <<'EOF'
import json, sys

def rounds(path):
    """The lines of each round (a round starts again at the first ef)."""
    out = []
    for l in open(path):
        if l.startswith("{"):
            p = json.loads(l)
            if not out or p["ef"] == first_ef(path):
                out.append([])
            out[-1].append(p)
    return [sorted(r, key=lambda p: p["ef"]) for r in out]

def first_ef(path):
    for l in open(path):
        if l.startswith("{"):
            return json.loads(l)["ef"]

def curve(path):
    """Per ef: the highest QPS, mean recall, least build time and memory over the rounds."""
    by_ef = {}
    for l in open(path):
        if l.startswith("{"):
            by_ef.setdefault(json.loads(l)["ef"], []).append(json.loads(l))
    pts = []
    for ef, runs in sorted(by_ef.items()):
        p = dict(runs[0])
        p["qps"] = max(r["qps"] for r in runs)
        p["recall"] = sum(r["recall"] for r in runs) / len(runs)
        p["build_s"] = min(r["build_s"] for r in runs)
        p["mem_bytes"] = min(r["mem_bytes"] for r in runs)
        p["rounds"] = len(runs)
        pts.append(p)
    return pts

def qps_at(pts, r):
    """QPS at recall r, interpolated; (qps, exact) or (None, False) if never reached."""
    if pts[0]["recall"] >= r:
        return pts[0]["qps"], False
    for a, b in zip(pts, pts[1:]):
        if a["recall"] < r <= b["recall"]:
            t = (r - a["recall"]) / (b["recall"] - a["recall"])
            return a["qps"] + t * (b["qps"] - a["qps"]), True
    return None, False

peer, ndl = curve(sys.argv[1]), curve(sys.argv[2])
print()
if peer[0]["rounds"] > 1:
    print(f"(best QPS and mean recall of {peer[0]['rounds']} rounds per ef; build time and memory: the least)")
print(f"{'ef':>5} | {'hnswlib recall':>14} {'qps':>9} | {'needle recall':>13} {'qps':>9}")
by_ef = {p["ef"]: p for p in ndl}
for p in peer:
    n = by_ef.get(p["ef"], {})
    print(f"{p['ef']:>5} | {p['recall']:>14.4f} {p['qps']:>9.1f} | {n.get('recall', float('nan')):>13.4f} {n.get('qps', float('nan')):>9.1f}")
print()
for r in (0.90, 0.95, 0.99):
    a, ea = qps_at(peer, r)
    b, eb = qps_at(ndl, r)
    if a is None or b is None:
        print(f"recall {r:.2f}: not reached ({'hnswlib' if a is None else 'needle'})")
        continue
    mark = lambda e: "" if e else "*"
    print(f"recall {r:.2f}: hnswlib {a:9.1f}{mark(ea)} qps, needle {b:9.1f}{mark(eb)} qps, ratio {b / a:.2f}x")
pr, nr = rounds(sys.argv[1]), rounds(sys.argv[2])
if len(pr) > 1:
    print("paired rounds (each peer run followed by its needle run), ratio needle/hnswlib:")
    for i, (a, b) in enumerate(zip(pr, nr), 1):
        cells = []
        for r in (0.90, 0.95, 0.99):
            qa, _ = qps_at(a, r)
            qb, _ = qps_at(b, r)
            cells.append(f"{r:.2f}: {qb / qa:.2f}x" if qa and qb else f"{r:.2f}: n/a")
        print(f"  round {i}: " + ", ".join(cells))
pb, nb = peer[0], ndl[0]
def builds(path):
    return [json.loads(l)["build_s"] for l in open(path) if l.startswith("{") and json.loads(l)["ef"] == pb["ef"]]
for i, (a, b) in enumerate(zip(builds(sys.argv[1]), builds(sys.argv[2])), 1):
    print(f"build, round {i}: hnswlib {a:.2f} s, needle {b:.2f} s ({nb.get('build_threads', '?')} threads each), ratio {b / a:.2f}")
vec = nb.get("vector_bytes", 0) if not nb.get("on_disk") else 0
# needle's mem_bytes: index growth plus the float vectors it keeps in RAM (none with --on-disk);
# hnswlib's: RSS growth over the build, which includes its copy of the vectors.
print(f"memory (index and vectors in RAM): hnswlib {pb['mem_bytes'] / 2**20:.1f} MiB, needle {nb['mem_bytes'] / 2**20:.1f} MiB, ratio {nb['mem_bytes'] / pb['mem_bytes']:.2f}")
print(f"memory of the index alone (needle without its {vec / 2**20:.1f} MiB of vectors): ratio {(nb['mem_bytes'] - vec) / pb['mem_bytes']:.2f}")
EOF
echo "# raw lines in $OUT" >&2
