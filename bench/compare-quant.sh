#!/usr/bin/env bash
# Quantization and IVF against float32 and Faiss, one run, one process at a time (issue 7's goals).
#
#   bench/compare-quant.sh [STEP...]      steps: int8 pq ivfpq binary (default: all)
#
#   int8    clustered-1M-128: HNSW float32 with the vectors in RAM, then HNSW int8 with the vectors
#           on disk (cold page cache after the build; the ef list repeats so later lines are warm).
#   pq      clustered-1M-128: HNSW traversed with product codes of 32 bytes (pq:32), vectors on
#           disk, rescoring 300 candidates (oversampling 30).
#   ivfpq   clustered-1M-128: Faiss IndexIVFPQ (peers.py faiss-ivf) then needle --index ivfpq, same
#           nlist 1024, nprobe list and code size (16 bytes), single-threaded, no rescoring.
#   binary  clustered-100k-768-unit (inner product): flat scan of 96-byte binary codes (720 sign
#           bits of each vector's rotated residual from its k-means centroid, its centroid id and
#           two float16 correction terms), rescoring 3*k candidates (oversampling 3), vectors on
#           disk; the symmetric Hamming mode; and HNSW traversed with the codes.
#
# Environment: NEEDLE_DATA (default /tmp/needle-data), NEEDLE_SHARED (../../shared/bench relative
# to this script), NQ (queries, default 2000), OUT (raw lines; default a temp dir, printed).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
DATA=${NEEDLE_DATA:-/tmp/needle-data}
SHARED=${NEEDLE_SHARED:-$here/../../shared/bench}
NQ=${NQ:-2000}
OUT=${OUT:-$(mktemp -d /tmp/compare-quant.XXXXXX)}
mkdir -p "$OUT"
steps=("$@")
[ ${#steps[@]} -gt 0 ] || steps=(int8 pq ivfpq binary)

(cd "$root" && go build -o "$OUT/needle" ./cmd/needle)
needle=$OUT/needle
c1m=$DATA/clustered-1M-128
u768=$DATA/clustered-100k-768-unit
echo "# machine $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), go $(go env GOVERSION), $(date -u +%FT%TZ)"
run() { # name command...
	local name=$1
	shift
	echo "# $name: $*"
	echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
	"$@" 2>"$OUT/$name.log" | tee "$OUT/$name.jsonl"
}
for s in "${steps[@]}"; do
	case $s in
	int8)
		run hnsw-float32 "$needle" bench ann --data "$c1m" --index hnsw --quantization none --ef 32,64,128 --nq "$NQ"
		run hnsw-int8-ondisk "$needle" bench ann --data "$c1m" --index hnsw --quantization int8 --on-disk --ef 32,64,128,32,64,128 --nq "$NQ"
		;;
	pq)
		run hnsw-pq32-ondisk "$needle" bench ann --data "$c1m" --index hnsw --quantization pq:32 --oversampling 30 --on-disk --ef 300,400,300,400 --nq "$NQ"
		;;
	ivfpq)
		run faiss-ivfpq /usr/bin/python3 "$SHARED/peers.py" faiss-ivf --data "$c1m" --nlist 1024 --nprobe 1,4,16,64 --pq-m 16 --nq "$NQ"
		run needle-ivfpq "$needle" bench ann --data "$c1m" --index ivfpq --quantization pq:16 --nlist 1024 --nprobe 1,4,16,64 --on-disk --nq "$NQ"
		;;
	binary)
		run flat-binary-ondisk "$needle" bench ann --data "$u768" --metric ip --index flat --quantization binary --oversampling 3 --on-disk --nq "$NQ"
		run flat-binary-hamming "$needle" bench ann --data "$u768" --metric ip --index flat --quantization binary:hamming --oversampling 3 --nq "$NQ"
		run hnsw-binary-ondisk "$needle" bench ann --data "$u768" --metric ip --index hnsw --quantization binary --oversampling 3 --on-disk --ef 64,128 --nq "$NQ"
		;;
	*)
		echo "unknown step $s" >&2
		exit 2
		;;
	esac
done
echo "# raw lines in $OUT" >&2
