#!/usr/bin/env bash
# Prepare this machine for Needle's benchmarks. Idempotent: every step is
# skipped when its result already exists, so running it again is cheap.
#
#   bench/setup.sh            # packages, datasets, native hnswlib, faiss-flat peer numbers
#
# Environment:
#   NEEDLE_DATA        dataset folder (default /tmp/needle-data)
#   NEEDLE_SHARED      folder holding datasets.py, peers.py, hnswlib_native.cpp
#                      (default ../../shared/bench relative to this script, i.e. /work/shared/bench)
#   HNSWLIB_NATIVE     where to build the native hnswlib peer (default /tmp/hnswlib_native)
#   NEEDLE_SKIP_PEERS  set to 1 to skip the faiss-flat peer measurement
#
# Steps:
#   1. apt-get install the Debian packages (numpy, scipy, faiss, hnswlib, Fashion-MNIST, g++).
#   2. datasets.py fashion c1m c100k, only for datasets whose four .npy files are not all present
#      (c1m makes clustered-1M-128 and clustered-200k-128). CPU heavy: ~2 minutes on 2 cores.
#   3. g++ -O3 -march=native hnswlib_native.cpp (rebuilt when the source is newer than the binary).
#   4. peers.py faiss-flat on fashion-mnist and clustered-1M-128, batch (2 threads, 1000 queries) and
#      single query (1 thread, 200 queries), into $NEEDLE_DATA/peers-faiss-flat.txt ("# command"
#      line, then the JSON line it printed). Skipped if the file exists; delete it to re-measure.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
DATA=${NEEDLE_DATA:-/tmp/needle-data}
SHARED=${NEEDLE_SHARED:-$here/../../shared/bench}
NATIVE=${HNSWLIB_NATIVE:-/tmp/hnswlib_native}
PY=/usr/bin/python3 # Debian's Python: the apt packages are installed for it
PACKAGES=(python3-numpy python3-scipy python3-faiss python3-hnswlib dataset-fashion-mnist libhnswlib-dev g++)

log() { printf 'setup: %s\n' "$*" >&2; }

for f in datasets.py peers.py hnswlib_native.cpp; do
	[[ -f $SHARED/$f ]] || { log "missing $SHARED/$f (set NEEDLE_SHARED)"; exit 1; }
done

# 1. Debian packages.
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
else
	log "packages present"
fi

# 2. Datasets.
mkdir -p "$DATA"
have() { # have NAME...: all four files of every named dataset exist
	local n s
	for n in "$@"; do
		for s in base queries gt gt_dist; do [[ -s $DATA/$n.$s.npy ]] || return 1; done
	done
}
want=()
have fashion-mnist-784-euclidean || want+=(fashion)
have clustered-1M-128 clustered-200k-128 || want+=(c1m)
have clustered-100k-768-unit || want+=(c100k)
if ((${#want[@]})); then
	log "generating ${want[*]} into $DATA (log: $DATA/datasets.log)"
	(cd "$DATA" && NEEDLE_DATA=$DATA "$PY" "$SHARED/datasets.py" "${want[@]}" 2>&1 | tee -a "$DATA/datasets.log")
else
	log "datasets present in $DATA"
fi

# 3. Native hnswlib peer.
if [[ ! -x $NATIVE || $SHARED/hnswlib_native.cpp -nt $NATIVE ]]; then
	log "building $NATIVE"
	g++ -O3 -march=native -std=c++17 -pthread -o "$NATIVE" "$SHARED/hnswlib_native.cpp"
else
	log "$NATIVE present"
fi

# 4. Faiss flat peer numbers (a measurement: run it on an otherwise idle machine).
out=$DATA/peers-faiss-flat.txt
if [[ ${NEEDLE_SKIP_PEERS:-0} == 1 ]]; then
	log "skipping peers (NEEDLE_SKIP_PEERS=1)"
elif [[ -s $out ]]; then
	log "$out present"
else
	log "measuring faiss-flat into $out"
	: >"$out.tmp"
	for ds in fashion-mnist-784-euclidean clustered-1M-128; do
		for mode in "--threads 2 --batch --nq 1000" "--threads 1 --nq 200"; do
			# shellcheck disable=SC2206 # mode is split into flags on purpose
			cmd=("$PY" "$SHARED/peers.py" faiss-flat --data "$DATA/$ds" --k 10 $mode)
			echo "# ${cmd[*]}" >>"$out.tmp"
			"${cmd[@]}" >>"$out.tmp"
		done
	done
	mv "$out.tmp" "$out"
fi
cat "$out" 2>/dev/null || true
log "done: datasets in $DATA, hnswlib peer at $NATIVE"
