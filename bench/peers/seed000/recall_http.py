#!/usr/bin/env python3
"""Recall@k of a Qdrant-compatible server's POST /collections/{name}/points/query, one query
at a time over one keep-alive connection, against ground-truth ids (point id = row number).

    recall_http.py --url http://127.0.0.1:6333 --collection fm \
        --data /tmp/needle-data/fashion-mnist-784-euclidean [--n 500] [--k 10] [--hnsw-ef 64] [--exact]

Reads DATA.queries.npy and DATA.gt.npy; prints one JSON line {"recall": r, "n": n, "k": k}.
"""
import argparse
import http.client
import json
import sys
import urllib.parse

import numpy as np


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default="http://127.0.0.1:6333")
    ap.add_argument("--collection", required=True)
    ap.add_argument("--data", required=True, help="dataset prefix: PREFIX.queries.npy, PREFIX.gt.npy")
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--hnsw-ef", type=int, default=0)
    ap.add_argument("--exact", action="store_true")
    a = ap.parse_args()
    q = np.load(a.data + ".queries.npy", mmap_mode="r")
    gt = np.load(a.data + ".gt.npy", mmap_mode="r")
    n = min(a.n, len(q))
    u = urllib.parse.urlsplit(a.url)
    conn = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=120)
    path = "/collections/" + urllib.parse.quote(a.collection, safe="") + "/points/query"
    params = {}
    if a.hnsw_ef:
        params["hnsw_ef"] = a.hnsw_ef
    if a.exact:
        params["exact"] = True
    hits = 0
    for i in range(n):
        body = {"query": np.asarray(q[i], dtype=np.float32).tolist(), "limit": a.k}
        if params:
            body["params"] = params
        conn.request("POST", path, body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        payload = resp.read()
        if resp.status != 200:
            sys.exit(f"recall_http: query {i}: HTTP {resp.status}: {payload[:300]!r}")
        ids = {int(p["id"]) for p in json.loads(payload)["result"]["points"]}
        hits += len(ids & {int(x) for x in gt[i, :a.k]})
    print(json.dumps({"recall": round(hits / (n * a.k), 4), "n": n, "k": a.k}))


if __name__ == "__main__":
    main()
