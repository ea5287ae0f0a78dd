#!/usr/bin/env python3
"""Writes the query bodies that bench/peers/seed000/query.lua sends with wrk: a Lua chunk
returning a list of Qdrant-shaped JSON bodies, one per query row, each number the shortest
decimal that reads back as the float32. For integer-valued data such as fashion-mnist these are
the bytes `needle bench http` sends; other values are the same numbers, possibly written in
positional rather than exponent form.

    wrk_bodies.py --data /tmp/needle-data/fashion-mnist-784-euclidean.queries.npy \
        --out bodies.lua [--n 1000] [--k 10] [--hnsw-ef 64] [--exact]
"""
import argparse
import json

import numpy as np


def body(v, k, params):
    nums = ",".join(np.format_float_positional(x, unique=True, trim="-") for x in v)
    tail = {"limit": k}
    if params:
        tail["params"] = params
    return '{"query":[' + nums + "]," + json.dumps(tail, separators=(",", ":"))[1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="queries .npy (float32 rows)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--hnsw-ef", type=int, default=0)
    ap.add_argument("--exact", action="store_true")
    a = ap.parse_args()
    q = np.load(a.data, mmap_mode="r")
    params = {}
    if a.hnsw_ef:
        params["hnsw_ef"] = a.hnsw_ef
    if a.exact:
        params["exact"] = True
    with open(a.out, "w") as f:
        f.write("return {\n")
        for v in q[: min(a.n, len(q))]:
            f.write("[[" + body(np.asarray(v, dtype=np.float32), a.k, params) + "]],\n")
        f.write("}\n")


if __name__ == "__main__":
    main()
