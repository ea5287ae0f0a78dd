#!/usr/bin/env python3
"""Seed 000's architecture as a benchmark peer.

The user of seed 000 serves Faiss search from FastAPI with ONE uvicorn worker (ten
workers each loaded the index and ran out of memory), async handlers, and the
CPU-bound search moved off the event loop with `loop.run_in_executor`. This app is
that architecture, reduced to what a load test touches, and shaped like Qdrant so
that `needle bench http` drives it and Needle unchanged:

    POST /collections/{name}/points/query   {"query": [...], "limit": 10, ...}
         -> {"result": {"points": [{"id", "version", "score"}]}, "status": "ok", "time": s}
    GET  /collections/{name}                 Qdrant-shaped info (size, distance, counts)
    GET  /health                             {"status": "ok", ...}

The request body is parsed and validated by FastAPI's pydantic model, the search runs
in the event loop's default executor (a ThreadPoolExecutor), and the answer is a dict
that FastAPI serialises: what a FastAPI service written the usual way does.

    server.py --data /tmp/needle-data/fashion-mnist-784-euclidean.base.npy \
        [--index hnsw|flat] [--m 16] [--ef-construction 200] [--ef-search 64] \
        [--index-cache FILE] [--host 127.0.0.1] [--port 2727] [--collection fm]

Index: IndexHNSWFlat(M=16, efConstruction=200, efSearch=64) by default, the settings
Needle's HNSW uses; --index flat for exact search (IndexFlatL2). Euclid scores are the
distance (square root of Faiss's squared L2), as Qdrant returns them. Point ids are row
numbers. `params` (hnsw_ef, exact) is accepted and ignored: the index chosen at start
answers every query with its own efSearch. Filters are not supported (400).

Debian packages: python3-fastapi python3-uvicorn python3-faiss python3-numpy (run with
/usr/bin/python3). The access log is off (seed 000 ran with --log-level info, which logs
every request; turning it off favours the peer).
"""
import argparse
import asyncio
import os
import sys
import time
from typing import Any, Dict, List, Optional

import faiss
import numpy as np
import uvicorn
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel


class SearchParams(BaseModel):
    hnsw_ef: Optional[int] = None
    exact: bool = False


class QueryRequest(BaseModel):
    query: List[float]
    limit: int = 10
    params: Optional[SearchParams] = None
    filter: Optional[Dict[str, Any]] = None
    with_payload: Optional[Any] = None
    with_vector: Optional[Any] = None


def build_index(a):
    x = np.ascontiguousarray(np.load(a.data), dtype=np.float32)
    n, d = x.shape
    if a.index == "flat":
        idx = faiss.IndexFlatL2(d)
        idx.add(x)
        return idx, 0.0
    if a.index_cache and os.path.exists(a.index_cache):
        idx = faiss.read_index(a.index_cache)
        if idx.ntotal == n and idx.d == d:
            idx.hnsw.efSearch = a.ef_search
            return idx, 0.0
    t0 = time.time()
    idx = faiss.IndexHNSWFlat(d, a.m)
    idx.hnsw.efConstruction = a.ef_construction
    idx.add(x)
    build = time.time() - t0
    if a.index_cache:
        faiss.write_index(idx, a.index_cache + ".tmp")
        os.replace(a.index_cache + ".tmp", a.index_cache)
    idx.hnsw.efSearch = a.ef_search
    return idx, build


def make_app(index, collection, kind, ef_search):
    app = FastAPI(title="seed000 peer")
    dim = index.d

    @app.get("/health")
    async def health():
        return {"status": "ok", "ntotal": int(index.ntotal), "index": kind}

    @app.get("/collections/{name}")
    async def info(name: str):
        if name != collection:
            raise HTTPException(status_code=404, detail=f"Collection `{name}` doesn't exist!")
        hnsw = {"m": int(index.hnsw.nb_neighbors(1)), "ef": ef_search} if kind == "hnsw" else None
        return {"result": {"status": "green", "points_count": int(index.ntotal),
                           "indexed_vectors_count": int(index.ntotal) if kind == "hnsw" else 0,
                           "config": {"params": {"vectors": {"size": dim, "distance": "Euclid"}},
                                      "hnsw_config": hnsw}},
                "status": "ok", "time": 0}

    @app.post("/collections/{name}/points/query")
    async def query(name: str, req: QueryRequest):
        t0 = time.perf_counter()
        if name != collection:
            raise HTTPException(status_code=404, detail=f"Collection `{name}` doesn't exist!")
        if req.filter:
            raise HTTPException(status_code=400, detail="filters are not supported")
        if len(req.query) != dim or req.limit < 1:
            raise HTTPException(status_code=400, detail=f"want a {dim}-dimensional query and limit >= 1")
        q = np.asarray(req.query, dtype=np.float32).reshape(1, dim)
        loop = asyncio.get_running_loop()
        dist, ids = await loop.run_in_executor(None, index.search, q, req.limit)
        points = [{"id": int(i), "version": 0, "score": float(np.sqrt(max(float(s), 0.0)))}
                  for s, i in zip(dist[0], ids[0]) if i >= 0]
        return {"result": {"points": points}, "status": "ok", "time": time.perf_counter() - t0}

    return app


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="base vectors, 2-D float .npy")
    ap.add_argument("--index", choices=("hnsw", "flat"), default="hnsw")
    ap.add_argument("--m", type=int, default=16)
    ap.add_argument("--ef-construction", type=int, default=200)
    ap.add_argument("--ef-search", type=int, default=64)
    ap.add_argument("--index-cache", default="", help="HNSW: read the index from FILE if it matches, else build and write it")
    ap.add_argument("--omp-threads", type=int, default=0, help="faiss OpenMP threads (0: faiss's default, all cores)")
    ap.add_argument("--collection", default="fm")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=2727)
    a = ap.parse_args()
    if a.omp_threads > 0:
        faiss.omp_set_num_threads(a.omp_threads)
    t0 = time.time()
    index, build = build_index(a)
    print(f"seed000 peer: {a.index} index of {index.ntotal} x {index.d} ready in {time.time() - t0:.1f} s "
          f"(build {build:.1f} s), pid {os.getpid()}", file=sys.stderr, flush=True)
    app = make_app(index, a.collection, a.index, a.ef_search)
    uvicorn.run(app, host=a.host, port=a.port, workers=1, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
