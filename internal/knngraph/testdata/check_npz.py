#!/usr/bin/python3
"""Checks a knn-graph .npz against brute force computed independently with numpy.

  check_npz.py --npz G.npz --k K --metric cosine|ip|l2 [--exclude-self] [--min-score S]
               [--max-distance D] INPUT.npy[:WEIGHT] ...

Run with Debian's /usr/bin/python3 (python3-numpy, python3-scipy). Exit status: 0 ok, 1 mismatch,
3 numpy or scipy missing (the Go test skips). The brute force is float64 and independent of
Needle's code: per input, normalise (cosine), score all pairs with one matrix product, sum with
the weights, then take each row's top k (ties: smaller column first).
"""
import argparse, sys, zipfile

try:
    import numpy as np
    import scipy.sparse
except ImportError as e:
    print(f"missing: {e}", file=sys.stderr)
    sys.exit(3)

TOL = 2e-4  # float32 kernels vs float64 reference, scores of magnitude ~1


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--npz", required=True)
    p.add_argument("--k", type=int, required=True)
    p.add_argument("--metric", default="cosine")
    p.add_argument("--exclude-self", action="store_true")
    p.add_argument("--min-score", type=float)
    p.add_argument("--max-distance", type=float)
    p.add_argument("inputs", nargs="+")
    a = p.parse_args()

    # The archive is what scipy.sparse.save_npz(compressed=False) writes.
    with zipfile.ZipFile(a.npz) as z:
        names = [i.filename for i in z.infolist()]
        assert names == ["indices.npy", "indptr.npy", "format.npy", "shape.npy", "data.npy"], names
        assert all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist())
    with np.load(a.npz, allow_pickle=False) as f:
        assert f["indices"].dtype == np.int32, f["indices"].dtype
        assert f["indptr"].dtype == np.int64, f["indptr"].dtype
        assert f["data"].dtype == np.float32, f["data"].dtype
        assert f["format"].item() == b"csr"
    g = scipy.sparse.load_npz(a.npz)
    assert g.format == "csr"

    mats = []
    for spec in a.inputs:
        path, _, w = spec.rpartition(":")
        try:
            w = float(w)
        except ValueError:
            path, w = spec, 1.0
        x = np.load(path).astype(np.float64)
        if a.metric == "cosine":
            nrm = np.linalg.norm(x, axis=1, keepdims=True)
            x = x / np.where(nrm == 0, 1, nrm)
        mats.append((w, x, (x * x).sum(1)))
    n = mats[0][1].shape[0]
    assert g.shape == (n, n), (g.shape, n)
    limit = np.inf
    if a.min_score is not None:
        limit = -a.min_score
    if a.max_distance is not None:
        limit = a.max_distance

    def rank_rows(lo, hi):
        """Rank distances (smaller is better) of rows [lo, hi) against every row, float64."""
        out = np.zeros((hi - lo, n))
        for w, x, sq in mats:
            dots = x[lo:hi] @ x.T
            out += w * (sq[lo:hi, None] + sq[None, :] - 2 * dots if a.metric == "l2" else -dots)
        if a.exclude_self:
            out[np.arange(hi - lo), np.arange(lo, hi)] = np.inf
        return out

    bad = 0
    edges = 0
    chunk = 256
    for i in range(n):
        if i % chunk == 0:
            ranks = rank_rows(i, min(n, i + chunk))
        cols = g.indices[g.indptr[i]:g.indptr[i + 1]]
        got = g.data[g.indptr[i]:g.indptr[i + 1]].astype(np.float64)
        r = ranks[i % chunk]
        part = np.argpartition(r, min(a.k, n - 1))[: a.k + 1]
        order = part[np.lexsort((part, r[part]))]  # best first, ties by column
        want = [j for j in order[: a.k] if r[j] <= limit + TOL]
        edges += len(cols)
        got_rank = got if a.metric == "l2" else -got
        msgs = []
        if len(np.unique(cols)) != len(cols):
            msgs.append("duplicate columns")
        if np.any(np.abs(got_rank - r[cols]) > TOL):
            msgs.append(f"scores differ from brute force by {np.max(np.abs(got_rank - r[cols])):.2e}")
        if np.any(np.diff(got_rank) < -TOL):
            msgs.append("row not sorted best first")
        if a.exclude_self and i in cols:
            msgs.append("self listed")
        if len(cols) != len(want):
            # Rows may differ in length only through scores within TOL of the limit.
            near = [j for j in order[: a.k] if abs(r[j] - limit) <= TOL]
            if abs(len(cols) - len(want)) > len(near):
                msgs.append(f"{len(cols)} neighbours, want {len(want)}")
        if len(want) and len(cols):
            # Same neighbour set, except columns tied (within TOL) with the k-th best.
            kth = r[want[-1]]
            have = set(cols.tolist())
            missing = [j for j in want if j not in have and r[j] < kth - TOL]
            extra = [j for j in cols if r[j] > kth + TOL]
            if missing or extra:
                msgs.append(f"missing {missing[:5]} extra {extra[:5]}")
        if msgs:
            bad += 1
            if bad <= 10:
                print(f"row {i}: " + "; ".join(msgs), file=sys.stderr)
    print(f"checked {n} rows, {edges} edges, {bad} bad")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
