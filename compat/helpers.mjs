// Shared helpers for the compatibility tests: a seeded PRNG, vector maths in
// float64, a brute-force top-k, and the assertion that compares a server's
// search result with that brute force.
import assert from 'node:assert/strict';

export const NEEDLE_URL = process.env.NEEDLE_URL ?? 'http://127.0.0.1:6333';

// mulberry32: small, fast, deterministic 32-bit PRNG.
export function prng(seed) {
  let a = seed >>> 0;
  return function next() {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomVector(rand, dim) {
  const v = new Array(dim);
  for (let i = 0; i < dim; i++) v[i] = rand() * 2 - 1;
  return v;
}

// Deterministic UUID (version-4 shaped) from the PRNG.
export function randomUUID(rand) {
  const hex = [];
  for (let i = 0; i < 32; i++) hex.push(Math.floor(rand() * 16).toString(16));
  hex[12] = '4';
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16);
  const s = hex.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}

export function norm(v) {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

export function normalize(v) {
  const n = norm(v);
  return n === 0 ? v.slice() : v.map((x) => x / n);
}

export function dot(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function euclid(a, b) {
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return Math.sqrt(s);
}

// Metric descriptions as Qdrant defines them: Cosine is the dot product of
// normalised vectors (higher is better), Euclid is the L2 distance (lower is
// better).
export const METRICS = {
  Cosine: {
    score: (q, v) => dot(normalize(q), normalize(v)),
    higherIsBetter: true,
  },
  Dot: { score: (q, v) => dot(q, v), higherIsBetter: true },
  Euclid: { score: (q, v) => euclid(q, v), higherIsBetter: false },
};

export function tolerance(expected) {
  return 1e-4 * Math.max(1, Math.abs(expected));
}

// bruteForce scores every point (a Map id -> {vector, payload}) that passes
// pred and returns them best first. exclude removes one id (query by id).
export function bruteForce(points, query, metric, { pred = () => true, exclude } = {}) {
  const m = METRICS[metric];
  const out = [];
  for (const [id, p] of points) {
    if (exclude !== undefined && id === exclude) continue;
    if (!pred(p.payload ?? {}, id)) continue;
    out.push({ id, score: m.score(query, p.vector) });
  }
  out.sort((a, b) => (m.higherIsBetter ? b.score - a.score : a.score - b.score));
  return out;
}

// assertMatchesBruteForce checks a server result list (items {id, score})
// against the brute force of every candidate (sorted best first):
//  - the length is min(limit, candidates) (after offset);
//  - scores at each rank equal the brute-force scores at that rank, within
//    tolerance, and they are sorted in the metric's direction;
//  - every returned id is a candidate, returned once, and the score reported
//    for it is its true score;
//  - every candidate strictly better than the last returned rank (beyond the
//    tolerance) was returned. Ids tied at the boundary are interchangeable.
export function assertMatchesBruteForce(got, candidates, { limit, offset = 0, metric, label = '' }) {
  const m = METRICS[metric];
  const expected = candidates.slice(offset, offset + limit);
  const where = label ? ` [${label}]` : '';
  assert.equal(got.length, expected.length,
    `result length${where}: got ${got.length}, want ${expected.length}`);
  const trueScore = new Map(candidates.map((c, rank) => [idKey(c.id), { score: c.score, rank }]));
  const seen = new Set();
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const key = idKey(g.id);
    assert.ok(trueScore.has(key), `rank ${i}${where}: id ${key} is not a candidate (filtered out, deleted or excluded)`);
    assert.ok(!seen.has(key), `rank ${i}${where}: id ${key} returned twice`);
    seen.add(key);
    const t = trueScore.get(key).score;
    assert.ok(typeof g.score === 'number', `rank ${i}${where}: score missing`);
    assert.ok(Math.abs(g.score - t) <= tolerance(t),
      `rank ${i}${where}: id ${key} reported score ${g.score}, its true score is ${t}`);
    const e = expected[i].score;
    assert.ok(Math.abs(g.score - e) <= tolerance(e),
      `rank ${i}${where}: score ${g.score} (id ${key}), brute force has ${e} (id ${expected[i].id}) at this rank`);
    if (i > 0) {
      const prev = got[i - 1].score;
      const ordered = m.higherIsBetter ? prev >= g.score - tolerance(g.score) : prev <= g.score + tolerance(g.score);
      assert.ok(ordered, `rank ${i}${where}: scores out of order (${prev} then ${g.score})`);
    }
  }
  if (expected.length > 0) {
    const lo = expected[0].score;
    const hi = expected[expected.length - 1].score;
    for (const c of expected) {
      // Candidates strictly inside the window (not tied with either edge,
      // where a neighbour outside the window may legitimately swap in).
      const tiedHi = Math.abs(c.score - hi) <= tolerance(hi);
      const tiedLo = offset > 0 && Math.abs(c.score - lo) <= tolerance(lo);
      if (tiedHi || tiedLo) continue;
      assert.ok(seen.has(idKey(c.id)), `id ${idKey(c.id)}${where} with score ${c.score} is missing from the result`);
    }
  }
}

export function idKey(id) {
  return typeof id === 'string' ? id.toLowerCase() : String(id);
}

// Qdrant orders point ids with all integers first (numerically), then UUIDs
// (by their 128-bit value, which is the order of their lowercase hex text).
export function compareIds(a, b) {
  const an = typeof a === 'number';
  const bn = typeof b === 'number';
  if (an && bn) return a - b;
  if (an) return -1;
  if (bn) return 1;
  const as = a.toLowerCase().replaceAll('-', '');
  const bs = b.toLowerCase().replaceAll('-', '');
  return as < bs ? -1 : as > bs ? 1 : 0;
}

export function assertVectorClose(got, want, label = '') {
  assert.ok(Array.isArray(got), `vector${label ? ` [${label}]` : ''} is not an array: ${JSON.stringify(got)}`);
  assert.equal(got.length, want.length, `vector length${label ? ` [${label}]` : ''}`);
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i] - want[i]) <= 1e-5,
      `vector${label ? ` [${label}]` : ''}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

// captureConsole records console.warn/console.debug calls (the Qdrant client
// reports version incompatibility through them) and still forwards them.
export function captureConsole() {
  const calls = [];
  const orig = { warn: console.warn, debug: console.debug };
  console.warn = (...args) => {
    calls.push({ level: 'warn', text: args.map(String).join(' ') });
    orig.warn(...args);
  };
  console.debug = (...args) => {
    calls.push({ level: 'debug', text: args.map(String).join(' ') });
    orig.debug(...args);
  };
  return {
    calls,
    restore() {
      console.warn = orig.warn;
      console.debug = orig.debug;
    },
  };
}

// rejectsWithStatus asserts that promise rejects with an HTTP error carrying
// the given status (the client's ApiError has .status).
export async function rejectsWithStatus(promise, status, label) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${label}: expected a rejected promise, it resolved`);
  assert.equal(err.status, status,
    `${label}: expected HTTP ${status}, got ${err.status} (${err.message}) body=${JSON.stringify(err.data)}`);
  return err;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
