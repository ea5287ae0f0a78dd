#!/usr/bin/env python3
"""Create a collection on a Qdrant-compatible server and upload a .npy matrix into it.

    load_qdrant.py --url http://127.0.0.1:6333 --collection fm \
        --data /tmp/needle-data/fashion-mnist-784-euclidean.base.npy [--recreate]

Point i gets id i and the vector of row i, no payload. The collection is created with
{"vectors": {"size": D, "distance": DIST}, "hnsw_config": {"m": M, "ef_construct": EFC}}
(plus "on_disk": true with --on-disk, and --extra's keys).
Batches are sent with wait=true over one keep-alive connection. At the end the script
prints the collection info's points_count and indexed_vectors_count (a server without an
approximate index reports 0 indexed vectors), waiting up to --wait-indexed seconds for
the index to cover every point (but only --no-index-grace seconds while nothing is
indexed). Standard library and numpy only (Debian python3-numpy).
"""
import argparse
import http.client
import json
import sys
import time
import urllib.parse

import numpy as np


def request(conn, method, path, body=None, ok=(200,)):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    headers = {"Content-Type": "application/json"} if data is not None else {}
    conn.request(method, path, body=data, headers=headers)
    resp = conn.getresponse()
    payload = resp.read()
    if resp.status not in ok:
        sys.exit(f"load_qdrant: {method} {path}: HTTP {resp.status}: {payload[:300]!r}")
    return resp.status, (json.loads(payload) if payload else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:6333")
    ap.add_argument("--collection", required=True)
    ap.add_argument("--data", required=True, help="2-D float .npy")
    ap.add_argument("--distance", default="Euclid")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construct", type=int, default=200)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--limit", type=int, default=0, help="upload only the first N rows")
    ap.add_argument("--recreate", action="store_true", help="delete the collection first if it exists")
    ap.add_argument("--on-disk", action="store_true", help='create the vectors with "on_disk": true')
    ap.add_argument("--extra", default="", help="JSON object merged into the collection creation body, "
                    "e.g. '{\"quantization_config\": {\"scalar\": {\"type\": \"int8\"}}}'")
    ap.add_argument("--wait-indexed", type=float, default=0, help="seconds to wait for indexed_vectors_count == points_count")
    ap.add_argument("--wait-segments", type=int, default=0,
                    help="also wait (within --wait-indexed) until segments_count is at most this (background merges done)")
    ap.add_argument("--no-index-grace", type=float, default=120,
                    help="stop waiting if nothing at all is indexed after this many seconds (Needle seals after 30 s, then builds graphs in the background)")
    a = ap.parse_args()

    x = np.load(a.data, mmap_mode="r")
    if a.limit:
        x = x[: a.limit]
    n, d = x.shape
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=600)
    coll = "/collections/" + urllib.parse.quote(a.collection, safe="")
    if a.recreate:
        request(conn, "DELETE", coll, ok=(200, 404))
    body = {
        "vectors": {"size": d, "distance": a.distance},
        "hnsw_config": {"m": a.m, "ef_construct": a.ef_construct},
    }
    if a.on_disk:
        body["vectors"]["on_disk"] = True
    if a.extra:
        body.update(json.loads(a.extra))
    request(conn, "PUT", coll, body)
    t0 = time.time()
    for lo in range(0, n, a.batch):
        rows = np.asarray(x[lo:lo + a.batch], dtype=np.float32).tolist()
        pts = [{"id": lo + i, "vector": v} for i, v in enumerate(rows)]
        request(conn, "PUT", coll + "/points?wait=true", {"points": pts})
        if (lo // a.batch) % 20 == 0:
            print(f"load_qdrant: {lo + len(rows)}/{n} points", file=sys.stderr, flush=True)
    up = time.time() - t0
    start = time.time()
    while True:
        _, info = request(conn, "GET", coll)
        r = info["result"]
        pc, ic = r.get("points_count"), r.get("indexed_vectors_count") or 0
        waited = time.time() - start
        # A server without an approximate index never indexes anything: stop after the grace period.
        settled = not a.wait_segments or (r.get("segments_count") or 0) <= a.wait_segments
        if ic >= n and settled or waited >= a.wait_indexed or (ic == 0 and waited >= a.no_index_grace):
            break
        time.sleep(1)
    print(json.dumps({"points_count": pc, "indexed_vectors_count": ic, "segments_count": r.get("segments_count"),
                      "dim": d, "upload_s": round(up, 1), "points_per_s": round(n / up, 1),
                      "indexed_after_s": round(time.time() - start, 1)}))


if __name__ == "__main__":
    main()
