// Compatibility test: the official Qdrant JS client (@qdrant/js-client-rest)
// against a running Needle server (URL in NEEDLE_URL, see run.sh).
//
// Every search result is checked against a brute force computed here, over a
// local mirror of what the collection should hold (vectors and payloads),
// which every write in this file also updates.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { QdrantClient } from '@qdrant/js-client-rest';
import {
  NEEDLE_URL, prng, randomVector, randomUUID, normalize, bruteForce,
  assertMatchesBruteForce, assertVectorClose, captureConsole, rejectsWithStatus,
  compareIds, idKey, sleep,
} from './helpers.mjs';

const COS = 'compat_js_cosine';
const EUC = 'compat_js_euclid';
const DIM = 32;
const N = 2000;
const EDIM = 16;
const EN = 300;

const rand = prng(20240521);
const cos = new Map(); // id -> {vector (as sent), payload}
const euc = new Map();

for (let i = 0; i < N; i++) {
  cos.set(i, {
    vector: randomVector(rand, DIM),
    payload: {
      group: i % 7,
      tag: 't' + (i % 3),
      price: Math.round(rand() * 10000) / 100,
      tags: ['a' + (i % 5), 'b' + (i % 11)],
      meta: { rank: i % 13 },
      items: Array.from({ length: (i % 3) + 1 }, (_, k) => ({ c: (i + k) % 4, d: (i + 2 * k) % 3 === 0 ? 'x' : 'y' })),
      note: i % 10 === 0 ? null : 'n' + (i % 4),
    },
  });
}
for (let i = 0; i < EN; i++) {
  const id = i % 2 === 0 ? 100000 + i : randomUUID(rand);
  euc.set(id, {
    vector: randomVector(rand, EDIM),
    payload: { kind: i % 2 === 0 ? 'int' : 'uuid', bucket: i % 4 },
  });
}
// Named vectors; "text" and "image" are the names people actually use.
const NV = 'compat_js_named';
const NV_TEXT = 8;
const NV_IMAGE = 4;
const nvText = new Map(); // id -> {vector, payload}
const nvImage = new Map();
function addNamed(id) {
  const payload = { shard: id % 3 };
  nvText.set(id, { vector: randomVector(rand, NV_TEXT), payload });
  nvImage.set(id, { vector: randomVector(rand, NV_IMAGE), payload });
}
for (let i = 0; i < 200; i++) addNamed(i);
const queries = Array.from({ length: 8 }, () => randomVector(rand, DIM));
const equeries = Array.from({ length: 4 }, () => randomVector(rand, EDIM));

const clone = (x) => JSON.parse(JSON.stringify(x));

// Filters as sent to the server, each with the same condition written as a
// JavaScript predicate over one payload.
const FILTERS = [
  {
    name: 'must match value (integer, indexed)',
    filter: { must: [{ key: 'group', match: { value: 3 } }] },
    pred: (p) => p.group === 3,
  },
  {
    name: 'must match any (keyword, indexed)',
    filter: { must: [{ key: 'tag', match: { any: ['t0', 't2'] } }] },
    pred: (p) => p.tag === 't0' || p.tag === 't2',
  },
  {
    name: 'must_not match any',
    filter: { must_not: [{ key: 'group', match: { any: [0, 1] } }] },
    pred: (p) => !(p.group === 0 || p.group === 1),
  },
  {
    name: 'should + must range',
    filter: {
      should: [{ key: 'group', match: { value: 1 } }, { key: 'group', match: { value: 2 } }],
      must: [{ key: 'price', range: { gte: 20, lt: 60 } }],
    },
    pred: (p) => (p.group === 1 || p.group === 2) && p.price >= 20 && p.price < 60,
  },
  {
    name: 'range gt (selective)',
    filter: { must: [{ key: 'price', range: { gt: 97.5 } }] },
    pred: (p) => p.price > 97.5,
  },
  {
    name: 'match value in an array field',
    filter: { must: [{ key: 'tags', match: { value: 'b4' } }] },
    pred: (p) => Array.isArray(p.tags) && p.tags.includes('b4'),
  },
  {
    name: 'nested key range',
    filter: { must: [{ key: 'meta.rank', range: { lte: 2 } }] },
    pred: (p) => p.meta !== undefined && p.meta.rank <= 2,
  },
  {
    name: 'match except',
    filter: { must: [{ key: 'group', match: { except: [0, 1, 2, 3] } }] },
    pred: (p) => p.group !== undefined && ![0, 1, 2, 3].includes(p.group),
  },
  {
    name: 'must + must_not + should combined',
    filter: {
      must: [{ key: 'tag', match: { value: 't1' } }],
      must_not: [{ key: 'tags', match: { any: ['a0', 'a1'] } }],
      should: [{ key: 'price', range: { lt: 30 } }, { key: 'group', match: { value: 6 } }],
    },
    pred: (p) => p.tag === 't1' && !(p.tags.includes('a0') || p.tags.includes('a1')) &&
      (p.price < 30 || p.group === 6),
  },
  {
    name: 'is_null',
    filter: { must: [{ is_null: { key: 'note' } }] },
    pred: (p) => p.note === null,
  },
  {
    name: 'values_count',
    filter: { must: [{ key: 'items', values_count: { gte: 2 } }] },
    pred: (p) => Array.isArray(p.items) && p.items.length >= 2,
  },
  {
    name: 'array of objects: items[].c',
    filter: { must: [{ key: 'items[].c', match: { value: 2 } }] },
    pred: (p) => Array.isArray(p.items) && p.items.some((it) => it.c === 2),
  },
  {
    name: 'nested (same element)',
    filter: {
      must: [{
        nested: { key: 'items', filter: { must: [{ key: 'c', match: { value: 3 } }, { key: 'd', match: { value: 'x' } }] } },
      }],
    },
    pred: (p) => Array.isArray(p.items) && p.items.some((it) => it.c === 3 && it.d === 'x'),
  },
  {
    name: 'min_should',
    filter: {
      min_should: {
        conditions: [
          { key: 'group', match: { value: 1 } },
          { key: 'tag', match: { value: 't1' } },
          { key: 'price', range: { lt: 50 } },
        ],
        min_count: 2,
      },
    },
    pred: (p) => [p.group === 1, p.tag === 't1', p.price < 50].filter(Boolean).length >= 2,
  },
  {
    name: 'has_id',
    filter: { must: [{ has_id: [1, 5, 77, 500, 1999, 123456] }] },
    pred: (_p, id) => [1, 5, 77, 500, 1999].includes(id),
  },
  {
    name: 'matches nothing',
    filter: { must: [{ key: 'tag', match: { value: 'no-such-tag' } }] },
    pred: () => false,
  },
];

function checkPayload(got, id, label) {
  assert.deepEqual(got, cos.get(id).payload, `payload of ${id} [${label}]`);
}

describe('Qdrant JS client against Needle', () => {
  let client;
  let console_;

  before(async () => {
    console_ = captureConsole();
    client = new QdrantClient({ url: NEEDLE_URL });
    // Let the constructor's version check settle.
    await client.versionInfo();
    await sleep(200);
    for (const name of [COS, EUC, NV]) {
      if (await client.collectionExists(name).then((r) => r.exists)) await client.deleteCollection(name);
    }
  });

  after(async () => {
    console_?.restore();
  });

  it('is accepted by the client version check without warnings', async () => {
    const info = await client.versionInfo();
    assert.equal(info.version, '1.19.0');
    assert.equal(typeof info.title, 'string');
    const versionMsgs = console_.calls.filter((c) => /version/i.test(c.text));
    assert.deepEqual(versionMsgs, [], 'the client warned about the server version');
  });

  it('creates collections (Cosine and Euclid)', async () => {
    assert.equal(await client.createCollection(COS, { vectors: { size: DIM, distance: 'Cosine' } }), true);
    assert.equal(await client.createCollection(EUC, { vectors: { size: EDIM, distance: 'Euclid' } }), true);
    assert.deepEqual(await client.collectionExists(COS), { exists: true });
    assert.deepEqual(await client.collectionExists('compat_js_no_such'), { exists: false });
    const { collections } = await client.getCollections();
    const names = collections.map((c) => c.name);
    assert.ok(names.includes(COS) && names.includes(EUC), `getCollections: ${JSON.stringify(names)}`);
  });

  it('upserts 2,000 points in batches (list and batch forms)', async () => {
    const ids = [...cos.keys()];
    for (let start = 0, b = 0; start < N; start += 250, b++) {
      const chunk = ids.slice(start, start + 250);
      let res;
      if (b % 2 === 0) {
        res = await client.upsert(COS, {
          wait: true,
          points: chunk.map((id) => ({ id, vector: cos.get(id).vector, payload: cos.get(id).payload })),
        });
      } else {
        res = await client.upsert(COS, {
          wait: true,
          batch: {
            ids: chunk,
            vectors: chunk.map((id) => cos.get(id).vector),
            payloads: chunk.map((id) => cos.get(id).payload),
          },
        });
      }
      assert.equal(res.status, 'completed', `upsert batch ${b}: ${JSON.stringify(res)}`);
      assert.equal(typeof res.operation_id, 'number', `upsert batch ${b}: operation_id`);
    }
    // The Euclid collection mixes integer and UUID ids.
    const eids = [...euc.keys()];
    await client.upsert(EUC, {
      batch: {
        ids: eids.slice(0, 150),
        vectors: eids.slice(0, 150).map((id) => euc.get(id).vector),
        payloads: eids.slice(0, 150).map((id) => euc.get(id).payload),
      },
    });
    await client.upsert(EUC, {
      points: eids.slice(150).map((id) => ({ id, vector: euc.get(id).vector, payload: euc.get(id).payload })),
    });
    assert.equal((await client.count(COS)).count, N);
    assert.equal((await client.count(EUC)).count, EN);
  });

  it('creates payload indexes (integer, keyword, float)', async () => {
    for (const [field_name, field_schema] of [['group', 'integer'], ['tag', 'keyword'], ['price', 'float']]) {
      const res = await client.createPayloadIndex(COS, { field_name, field_schema, wait: true });
      assert.equal(res.status, 'completed', `index ${field_name}: ${JSON.stringify(res)}`);
    }
    const info = await client.getCollection(COS);
    for (const [field, type] of [['group', 'integer'], ['tag', 'keyword'], ['price', 'float']]) {
      assert.equal(info.payload_schema?.[field]?.data_type, type,
        `payload_schema.${field}: ${JSON.stringify(info.payload_schema)}`);
    }
  });

  it('getCollection reports config and points_count', async () => {
    const info = await client.getCollection(COS);
    assert.equal(info.points_count, N);
    assert.ok(['green', 'yellow'].includes(info.status), `status ${info.status}`);
    assert.deepEqual(
      { size: info.config.params.vectors.size, distance: info.config.params.vectors.distance },
      { size: DIM, distance: 'Cosine' });
    const einfo = await client.getCollection(EUC);
    assert.equal(einfo.points_count, EN);
    assert.equal(einfo.config.params.vectors.distance, 'Euclid');
  });

  it('query by vector (plain array) with payloads', async () => {
    for (const [qi, q] of queries.entries()) {
      const res = await client.query(COS, { query: q, limit: 10, with_payload: true });
      assert.ok(Array.isArray(res.points), `query result shape: ${JSON.stringify(res).slice(0, 200)}`);
      assertMatchesBruteForce(res.points, bruteForce(cos, q, 'Cosine'), { limit: 10, metric: 'Cosine', label: `q${qi}` });
      for (const p of res.points) checkPayload(p.payload, p.id, `q${qi}`);
    }
  });

  it('query defaults to limit 10 and no payload', async () => {
    const res = await client.query(COS, { query: queries[0] });
    assertMatchesBruteForce(res.points, bruteForce(cos, queries[0], 'Cosine'), { limit: 10, metric: 'Cosine' });
    for (const p of res.points) {
      assert.ok(p.payload === undefined || p.payload === null || Object.keys(p.payload).length === 0,
        `payload should be absent by default: ${JSON.stringify(p.payload)}`);
      assert.ok(p.vector === undefined || p.vector === null, 'vector should be absent by default');
    }
  });

  it('query with {nearest} and a larger limit', async () => {
    const res = await client.query(COS, { query: { nearest: queries[1] }, limit: 50 });
    assertMatchesBruteForce(res.points, bruteForce(cos, queries[1], 'Cosine'), { limit: 50, metric: 'Cosine' });
  });

  it('query with offset', async () => {
    const res = await client.query(COS, { query: queries[2], limit: 10, offset: 7 });
    assertMatchesBruteForce(res.points, bruteForce(cos, queries[2], 'Cosine'), { limit: 10, offset: 7, metric: 'Cosine' });
  });

  it('query with score_threshold', async () => {
    const bf = bruteForce(cos, queries[3], 'Cosine');
    const thr = (bf[14].score + bf[15].score) / 2; // between ranks 15 and 16
    const res = await client.query(COS, { query: queries[3], limit: 100, score_threshold: thr });
    assertMatchesBruteForce(res.points, bf.filter((c) => c.score >= thr), { limit: 100, metric: 'Cosine' });
    assert.equal(res.points.length, 15);
  });

  it('query with with_vector returns the normalised vector', async () => {
    const res = await client.query(COS, { query: queries[4], limit: 5, with_vector: true });
    assertMatchesBruteForce(res.points, bruteForce(cos, queries[4], 'Cosine'), { limit: 5, metric: 'Cosine' });
    for (const p of res.points) assertVectorClose(p.vector, normalize(cos.get(p.id).vector), `id ${p.id}`);
  });

  it('query with with_payload as a list of keys', async () => {
    const res = await client.query(COS, { query: queries[5], limit: 5, with_payload: ['tag', 'price'] });
    assertMatchesBruteForce(res.points, bruteForce(cos, queries[5], 'Cosine'), { limit: 5, metric: 'Cosine' });
    for (const p of res.points) {
      const want = cos.get(p.id).payload;
      assert.deepEqual(p.payload, { tag: want.tag, price: want.price }, `payload selection of ${p.id}`);
    }
  });

  it('query by point id excludes the point itself', async () => {
    for (const id of [0, 123, 1999]) {
      const res = await client.query(COS, { query: id, limit: 10 });
      assert.ok(!res.points.some((p) => p.id === id), `query by id ${id} returned itself`);
      assertMatchesBruteForce(res.points, bruteForce(cos, cos.get(id).vector, 'Cosine', { exclude: id }),
        { limit: 10, metric: 'Cosine', label: `by id ${id}` });
    }
    // {nearest: id} as well.
    const res = await client.query(COS, { query: { nearest: 42 }, limit: 10 });
    assertMatchesBruteForce(res.points, bruteForce(cos, cos.get(42).vector, 'Cosine', { exclude: 42 }),
      { limit: 10, metric: 'Cosine', label: 'nearest id 42' });
  });

  for (const fc of FILTERS) {
    it(`filtered query and count: ${fc.name}`, async () => {
      const expectCount = [...cos].filter(([id, p]) => fc.pred(p.payload, id)).length;
      const { count } = await client.count(COS, { filter: fc.filter, exact: true });
      assert.equal(count, expectCount, `count with filter ${JSON.stringify(fc.filter)}`);
      for (const [qi, q] of queries.slice(0, 3).entries()) {
        const res = await client.query(COS, { query: q, filter: fc.filter, limit: 20, with_payload: true });
        assertMatchesBruteForce(res.points, bruteForce(cos, q, 'Cosine', { pred: fc.pred }),
          { limit: 20, metric: 'Cosine', label: `${fc.name} q${qi}` });
        for (const p of res.points) checkPayload(p.payload, p.id, fc.name);
      }
      // Query by id with the same filter.
      const res = await client.query(COS, { query: 7, filter: fc.filter, limit: 10 });
      assertMatchesBruteForce(res.points, bruteForce(cos, cos.get(7).vector, 'Cosine', { pred: fc.pred, exclude: 7 }),
        { limit: 10, metric: 'Cosine', label: `${fc.name} by id 7` });
    });
  }

  it('query/batch', async () => {
    const searches = [
      { query: queries[0], limit: 5 },
      { query: queries[1], filter: FILTERS[0].filter, limit: 8, with_payload: true },
      { query: 99, limit: 6 },
      { query: { nearest: queries[2] }, filter: FILTERS[3].filter, limit: 12 },
    ];
    const res = await client.queryBatch(COS, { searches });
    assert.equal(res.length, searches.length);
    assertMatchesBruteForce(res[0].points, bruteForce(cos, queries[0], 'Cosine'), { limit: 5, metric: 'Cosine', label: 'batch 0' });
    assertMatchesBruteForce(res[1].points, bruteForce(cos, queries[1], 'Cosine', { pred: FILTERS[0].pred }),
      { limit: 8, metric: 'Cosine', label: 'batch 1' });
    for (const p of res[1].points) checkPayload(p.payload, p.id, 'batch 1');
    assertMatchesBruteForce(res[2].points, bruteForce(cos, cos.get(99).vector, 'Cosine', { exclude: 99 }),
      { limit: 6, metric: 'Cosine', label: 'batch 2' });
    assertMatchesBruteForce(res[3].points, bruteForce(cos, queries[2], 'Cosine', { pred: FILTERS[3].pred }),
      { limit: 12, metric: 'Cosine', label: 'batch 3' });
  });

  it('legacy search()', {
    skip: typeof QdrantClient.prototype.search === 'function' ? false
      : 'this client version has no search() method (removed in favour of query())',
  }, async () => {
    const res = await client.search(COS, { vector: queries[0], limit: 10, filter: FILTERS[1].filter });
    assertMatchesBruteForce(res, bruteForce(cos, queries[0], 'Cosine', { pred: FILTERS[1].pred }), { limit: 10, metric: 'Cosine' });
  });

  it('Euclid collection: query by vector, filter, integer id and UUID id', async () => {
    for (const [qi, q] of equeries.entries()) {
      const res = await client.query(EUC, { query: q, limit: 15 });
      assertMatchesBruteForce(res.points, bruteForce(euc, q, 'Euclid'), { limit: 15, metric: 'Euclid', label: `eq${qi}` });
      for (let i = 1; i < res.points.length; i++) {
        assert.ok(res.points[i - 1].score <= res.points[i].score, 'Euclid scores must ascend');
      }
    }
    const filter = { must: [{ key: 'bucket', match: { any: [1, 2] } }] };
    const pred = (p) => p.bucket === 1 || p.bucket === 2;
    const res = await client.query(EUC, { query: equeries[0], filter, limit: 10, with_payload: true });
    assertMatchesBruteForce(res.points, bruteForce(euc, equeries[0], 'Euclid', { pred }), { limit: 10, metric: 'Euclid', label: 'filtered' });
    for (const p of res.points) assert.deepEqual(p.payload, euc.get(p.id).payload);
    const uuid = [...euc.keys()].find((k) => typeof k === 'string');
    const intId = [...euc.keys()].find((k) => typeof k === 'number');
    for (const id of [uuid, intId]) {
      const r = await client.query(EUC, { query: id, limit: 10 });
      assertMatchesBruteForce(r.points, bruteForce(euc, euc.get(id).vector, 'Euclid', { exclude: id }),
        { limit: 10, metric: 'Euclid', label: `by id ${id}` });
    }
  });

  it('Euclid collection: UUID ids round-trip in retrieve with vectors', async () => {
    const ids = [...euc.keys()].slice(0, 10);
    const got = await client.retrieve(EUC, { ids, with_vector: true, with_payload: true });
    assert.equal(got.length, ids.length);
    for (const p of got) {
      assert.ok(euc.has(p.id), `unexpected id ${JSON.stringify(p.id)} (UUIDs must come back as sent, lowercase with hyphens)`);
      assertVectorClose(p.vector, euc.get(p.id).vector, `id ${p.id}`); // Euclid: stored as sent
      assert.deepEqual(p.payload, euc.get(p.id).payload);
    }
  });

  it('Euclid collection: score_threshold is an upper bound on the distance', async () => {
    const bf = bruteForce(euc, equeries[1], 'Euclid');
    const thr = (bf[9].score + bf[10].score) / 2; // between ranks 10 and 11
    const res = await client.query(EUC, { query: equeries[1], limit: 50, score_threshold: thr });
    assertMatchesBruteForce(res.points, bf.filter((c) => c.score <= thr), { limit: 50, metric: 'Euclid' });
    assert.equal(res.points.length, 10);
  });

  it('query with only a filter returns matching points by ascending id', async () => {
    const fc = FILTERS[0];
    const res = await client.query(COS, { filter: fc.filter, limit: 20, with_payload: true });
    const want = [...cos].filter(([id, p]) => fc.pred(p.payload, id)).map(([id]) => id).sort((a, b) => a - b).slice(0, 20);
    assert.deepEqual(res.points.map((p) => p.id), want);
    for (const p of res.points) checkPayload(p.payload, p.id, 'filter-only query');
  });

  it('query accepts search params (hnsw_ef, exact)', async () => {
    for (const params of [{ hnsw_ef: 128 }, { exact: true }, { hnsw_ef: 16, exact: false, indexed_only: false }]) {
      const res = await client.query(COS, { query: queries[5], limit: 10, params });
      assertMatchesBruteForce(res.points, bruteForce(cos, queries[5], 'Cosine'),
        { limit: 10, metric: 'Cosine', label: JSON.stringify(params) });
    }
  });

  it('named vectors: create, batch upsert, getCollection', async () => {
    assert.equal(await client.createCollection(NV, {
      vectors: { text: { size: NV_TEXT, distance: 'Cosine' }, image: { size: NV_IMAGE, distance: 'Dot' } },
    }), true);
    const ids = [...nvText.keys()];
    const res = await client.upsert(NV, {
      batch: {
        ids,
        vectors: { text: ids.map((id) => nvText.get(id).vector), image: ids.map((id) => nvImage.get(id).vector) },
        payloads: ids.map((id) => nvText.get(id).payload),
      },
    });
    assert.equal(res.status, 'completed');
    const info = await client.getCollection(NV);
    assert.equal(info.points_count, ids.length);
    assert.deepEqual(info.config.params.vectors, {
      text: { size: NV_TEXT, distance: 'Cosine' }, image: { size: NV_IMAGE, distance: 'Dot' },
    });
  });

  it('named vectors: list-form upsert with vectors named "text" and "image"', async () => {
    // Qdrant reads {"text": [..], "image": [..]} as named dense vectors.
    const ids = Array.from({ length: 20 }, (_, k) => 1000 + k);
    const extra = new Map(ids.map((id) => [id, {
      text: randomVector(rand, NV_TEXT), image: randomVector(rand, NV_IMAGE), payload: { shard: id % 3 },
    }]));
    const res = await client.upsert(NV, {
      points: ids.map((id) => ({ id, vector: { text: extra.get(id).text, image: extra.get(id).image }, payload: extra.get(id).payload })),
    });
    assert.equal(res.status, 'completed');
    for (const [id, e] of extra) {
      nvText.set(id, { vector: e.text, payload: e.payload });
      nvImage.set(id, { vector: e.image, payload: e.payload });
    }
    const got = await client.retrieve(NV, { ids, with_vector: true });
    assert.equal(got.length, ids.length);
    for (const p of got) {
      assertVectorClose(p.vector.text, normalize(extra.get(p.id).text), `text of ${p.id}`);
      assertVectorClose(p.vector.image, extra.get(p.id).image, `image of ${p.id}`);
    }
  });

  it('named vectors: query with using (Cosine and Dot), by id, filtered', async () => {
    const qt = randomVector(rand, NV_TEXT);
    const qi = randomVector(rand, NV_IMAGE);
    let res = await client.query(NV, { query: qt, using: 'text', limit: 10 });
    assertMatchesBruteForce(res.points, bruteForce(nvText, qt, 'Cosine'), { limit: 10, metric: 'Cosine', label: 'text' });
    res = await client.query(NV, { query: qi, using: 'image', limit: 10 });
    assertMatchesBruteForce(res.points, bruteForce(nvImage, qi, 'Dot'), { limit: 10, metric: 'Dot', label: 'image' });
    res = await client.query(NV, { query: 17, using: 'image', limit: 8 });
    assertMatchesBruteForce(res.points, bruteForce(nvImage, nvImage.get(17).vector, 'Dot', { exclude: 17 }),
      { limit: 8, metric: 'Dot', label: 'image by id' });
    const filter = { must: [{ key: 'shard', match: { value: 2 } }] };
    res = await client.query(NV, { query: { nearest: qt }, using: 'text', filter, limit: 12 });
    assertMatchesBruteForce(res.points, bruteForce(nvText, qt, 'Cosine', { pred: (p) => p.shard === 2 }),
      { limit: 12, metric: 'Cosine', label: 'text filtered' });
    const batch = await client.queryBatch(NV, { searches: [{ query: qt, using: 'text', limit: 5 }, { query: qi, using: 'image', limit: 5 }] });
    assertMatchesBruteForce(batch[0].points, bruteForce(nvText, qt, 'Cosine'), { limit: 5, metric: 'Cosine', label: 'batch text' });
    assertMatchesBruteForce(batch[1].points, bruteForce(nvImage, qi, 'Dot'), { limit: 5, metric: 'Dot', label: 'batch image' });
    await rejectsWithStatus(client.query(NV, { query: qt, limit: 3 }), 400, 'query without using on named vectors');
  });

  it('named vectors: an unknown vector name is a 400 (bad input)', async () => {
    // Qdrant: 400 "Wrong input: Not existing vector name error: nope".
    await rejectsWithStatus(client.query(NV, { query: randomVector(rand, NV_TEXT), using: 'nope', limit: 3 }), 400,
      'query with an unknown vector name');
    await rejectsWithStatus(client.upsert(NV, { batch: { ids: [5000], vectors: { nope: [randomVector(rand, NV_TEXT)] } } }), 400,
      'upsert with an unknown vector name');
  });

  it('named vectors: with_vector selects vectors by name', async () => {
    let [p] = await client.retrieve(NV, { ids: [3], with_vector: ['image'] });
    assert.deepEqual(Object.keys(p.vector), ['image']);
    assertVectorClose(p.vector.image, nvImage.get(3).vector, 'image');
    [p] = await client.retrieve(NV, { ids: [3], with_vector: true });
    assert.deepEqual(Object.keys(p.vector).sort(), ['image', 'text']);
    assertVectorClose(p.vector.text, normalize(nvText.get(3).vector), 'text');
    const res = await client.query(NV, { query: nvImage.get(4).vector, using: 'image', limit: 3, with_vector: ['text'] });
    for (const r of res.points) {
      assert.deepEqual(Object.keys(r.vector), ['text']);
      assertVectorClose(r.vector.text, normalize(nvText.get(r.id).vector), `text of ${r.id}`);
    }
  });

  it('payload round-trip of awkward JSON and payload selectors', async () => {
    const payload = {
      unicode: 'héllo wörld — 🌍 日本語',
      empty: '',
      nul: null,
      yes: true,
      no: false,
      big: 9007199254740991,
      neg: -42,
      small: 1e-300,
      frac: 0.1,
      arr: [1, 'two', null, { three: [3] }],
      emptyArr: [],
      emptyObj: {},
      deep: { a: { b: { c: { d: [{ e: 'f' }] } } } },
    };
    const v = randomVector(rand, DIM);
    await client.upsert(COS, { points: [{ id: 31, vector: v, payload }] });
    cos.set(31, { vector: v, payload: clone(payload) });
    const [p] = await client.retrieve(COS, { ids: [31] });
    checkPayload(p.payload, 31, 'round-trip');
    const [inc] = await client.retrieve(COS, { ids: [31], with_payload: { include: ['unicode', 'deep.a.b'] } });
    assert.deepEqual(inc.payload, { unicode: payload.unicode, deep: { a: { b: payload.deep.a.b } } });
    const [exc] = await client.retrieve(COS, { ids: [31], with_payload: { exclude: ['deep', 'arr', 'big'] } });
    const want = clone(payload);
    delete want.deep; delete want.arr; delete want.big;
    assert.deepEqual(exc.payload, want);
    for (const [filter, n] of [
      [{ must: [{ key: 'unicode', match: { value: payload.unicode } }] }, 1],
      [{ must: [{ key: 'big', match: { value: 9007199254740991 } }] }, 1],
      [{ must: [{ key: 'deep.a.b.c.d[].e', match: { value: 'f' } }] }, 1],
      [{ must: [{ key: 'yes', match: { value: true } }, { key: 'no', match: { value: false } }] }, 1],
    ]) {
      assert.equal((await client.count(COS, { filter })).count, n, `count ${JSON.stringify(filter)}`);
    }
  });

  it('scroll visits every id exactly once, in ascending order', async () => {
    for (const [name, mirror, pageSize] of [[COS, cos, 137], [EUC, euc, 41]]) {
      const seen = [];
      let offset;
      for (let page = 0; page < 1000; page++) {
        const res = await client.scroll(name, { limit: pageSize, offset, with_payload: false, with_vector: false });
        assert.ok(res.points.length <= pageSize);
        seen.push(...res.points.map((p) => p.id));
        offset = res.next_page_offset;
        if (offset === null || offset === undefined) break;
      }
      assert.equal(offset ?? null, null, `${name}: scroll did not finish`);
      const want = [...mirror.keys()].sort(compareIds);
      assert.equal(seen.length, want.length, `${name}: scroll returned ${seen.length} points, want ${want.length}`);
      assert.equal(new Set(seen.map(idKey)).size, seen.length, `${name}: scroll returned duplicates`);
      assert.deepEqual(seen, want, `${name}: scroll order`);
    }
  });

  it('scroll with a filter and payloads', async () => {
    const fc = FILTERS[3];
    const want = [...cos].filter(([id, p]) => fc.pred(p.payload, id)).map(([id]) => id).sort((a, b) => a - b);
    const seen = [];
    let offset;
    for (let page = 0; page < 100; page++) {
      const res = await client.scroll(COS, { filter: fc.filter, limit: 23, offset, with_payload: true });
      for (const p of res.points) checkPayload(p.payload, p.id, 'filtered scroll');
      seen.push(...res.points.map((p) => p.id));
      offset = res.next_page_offset;
      if (offset === null || offset === undefined) break;
    }
    assert.deepEqual(seen, want);
  });

  it('scroll with order_by on an indexed numeric field', async () => {
    const prices = [...cos.values()].map((p) => p.payload.price).filter((x) => typeof x === 'number').sort((a, b) => a - b);
    for (const direction of ['asc', 'desc']) {
      const res = await client.scroll(COS, { limit: 40, order_by: { key: 'price', direction }, with_payload: true });
      const got = res.points.map((p) => p.payload.price);
      const want = direction === 'asc' ? prices.slice(0, 40) : prices.slice().reverse().slice(0, 40);
      assert.deepEqual(got, want, `order_by price ${direction}`);
      for (const p of res.points) checkPayload(p.payload, p.id, 'order_by');
    }
  });

  it('retrieve by ids with and without vectors', async () => {
    const ids = [0, 5, 1999, 777];
    const noVec = await client.retrieve(COS, { ids: [...ids, 987654] });
    assert.deepEqual(noVec.map((p) => p.id).sort((a, b) => a - b), ids.slice().sort((a, b) => a - b),
      'missing ids are left out');
    for (const p of noVec) {
      checkPayload(p.payload, p.id, 'retrieve');
      assert.ok(p.vector === undefined || p.vector === null, 'no vector unless asked');
    }
    const withVec = await client.retrieve(COS, { ids, with_vector: true, with_payload: false });
    assert.equal(withVec.length, ids.length);
    for (const p of withVec) {
      assertVectorClose(p.vector, normalize(cos.get(p.id).vector), `retrieve ${p.id}`);
      assert.ok(p.payload === undefined || p.payload === null, `payload should be absent: ${JSON.stringify(p.payload)}`);
    }
  });

  it('GET /points/{id} through the generated API', async () => {
    const { data } = await client.api().getPoint({ collection_name: COS, id: 5 });
    assert.equal(data.status, 'ok');
    assert.equal(data.result.id, 5);
    checkPayload(data.result.payload, 5, 'getPoint');
    assertVectorClose(data.result.vector, normalize(cos.get(5).vector), 'getPoint');
    await rejectsWithStatus(client.api().getPoint({ collection_name: COS, id: 987654 }), 404, 'getPoint missing id');
  });

  it('setPayload by ids and by filter', async () => {
    let res = await client.setPayload(COS, { points: [1, 2, 3], payload: { extra: 'x', group: 100 } });
    assert.equal(res.status, 'completed');
    for (const id of [1, 2, 3]) Object.assign(cos.get(id).payload, { extra: 'x', group: 100 });
    const f = { must: [{ key: 'group', match: { value: 5 } }] };
    res = await client.setPayload(COS, { filter: f, payload: { flag: true } });
    assert.equal(res.status, 'completed');
    for (const p of cos.values()) if (p.payload.group === 5) p.payload.flag = true;

    const got = await client.retrieve(COS, { ids: [1, 2, 3, 5] });
    for (const p of got) checkPayload(p.payload, p.id, 'after setPayload');
    // The integer index on group must see the new value.
    const c100 = await client.count(COS, { filter: { must: [{ key: 'group', match: { value: 100 } }] } });
    assert.equal(c100.count, 3);
    const cflag = await client.count(COS, { filter: { must: [{ key: 'flag', match: { value: true } }] } });
    assert.equal(cflag.count, [...cos.values()].filter((p) => p.payload.flag === true).length);
    const q = await client.query(COS, { query: queries[6], filter: { must: [{ key: 'group', match: { value: 100 } }] }, limit: 10 });
    assertMatchesBruteForce(q.points, bruteForce(cos, queries[6], 'Cosine', { pred: (p) => p.group === 100 }),
      { limit: 10, metric: 'Cosine' });
  });

  it('setPayload with a nested key', async () => {
    const res = await client.setPayload(COS, { points: [8], key: 'meta', payload: { extra: 1 } });
    assert.equal(res.status, 'completed');
    cos.get(8).payload.meta.extra = 1;
    const [p] = await client.retrieve(COS, { ids: [8] });
    checkPayload(p.payload, 8, 'nested set');
  });

  it('overwritePayload, deletePayload (keys) and clearPayload', async () => {
    let res = await client.overwritePayload(COS, { points: [4], payload: { only: 1 } });
    assert.equal(res.status, 'completed');
    cos.get(4).payload = { only: 1 };
    res = await client.deletePayload(COS, { points: [5, 6], keys: ['tags', 'price'] });
    assert.equal(res.status, 'completed');
    for (const id of [5, 6]) {
      delete cos.get(id).payload.tags;
      delete cos.get(id).payload.price;
    }
    res = await client.clearPayload(COS, { points: [9, 10] });
    assert.equal(res.status, 'completed');
    cos.get(9).payload = {};
    cos.get(10).payload = {};

    const got = await client.retrieve(COS, { ids: [4, 5, 6, 9, 10] });
    assert.equal(got.length, 5);
    for (const p of got) checkPayload(p.payload ?? {}, p.id, 'after overwrite/delete/clear');

    // Indexes follow the payload changes: group (integer), tag (keyword), price (float).
    const preds = [
      [{ must: [{ key: 'group', match: { value: 4 } }] }, (p) => p.group === 4],
      [{ must: [{ key: 'tag', match: { value: 't0' } }] }, (p) => p.tag === 't0'],
      [{ must: [{ key: 'price', range: { gte: 0 } }] }, (p) => typeof p.price === 'number'],
      [{ must: [{ is_empty: { key: 'tags' } }] }, (p) => p.tags === undefined],
      [{ must_not: [{ key: 'group', match: { any: [0, 1, 2, 3, 4, 5, 6] } }] }, (p) => ![0, 1, 2, 3, 4, 5, 6].includes(p.group)],
    ];
    for (const [filter, pred] of preds) {
      const want = [...cos].filter(([, p]) => pred(p.payload)).length;
      const { count } = await client.count(COS, { filter });
      assert.equal(count, want, `count ${JSON.stringify(filter)}`);
      const q = await client.query(COS, { query: queries[7], filter, limit: 15 });
      assertMatchesBruteForce(q.points, bruteForce(cos, queries[7], 'Cosine', { pred }),
        { limit: 15, metric: 'Cosine', label: JSON.stringify(filter) });
    }
  });

  it('delete by filter and by ids', async () => {
    const filter = { must: [{ key: 'tag', match: { value: 't1' } }, { key: 'group', match: { value: 6 } }] };
    const pred = (p) => p.tag === 't1' && p.group === 6;
    const doomed = [...cos].filter(([, p]) => pred(p.payload)).map(([id]) => id);
    assert.ok(doomed.length > 50);
    let res = await client.delete(COS, { filter, wait: true });
    assert.equal(res.status, 'completed');
    for (const id of doomed) cos.delete(id);
    assert.equal((await client.count(COS, { filter })).count, 0);

    const ids = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 987654];
    res = await client.delete(COS, { points: ids, wait: true });
    assert.equal(res.status, 'completed');
    for (const id of ids) cos.delete(id);

    assert.equal((await client.count(COS)).count, cos.size);
    assert.equal((await client.getCollection(COS)).points_count, cos.size);
    assert.deepEqual(await client.retrieve(COS, { ids: [11, 12, doomed[0]] }), []);

    // Searches see the deletions.
    for (const [qi, q] of queries.slice(0, 4).entries()) {
      const r = await client.query(COS, { query: q, limit: 30 });
      assertMatchesBruteForce(r.points, bruteForce(cos, q, 'Cosine'), { limit: 30, metric: 'Cosine', label: `after delete q${qi}` });
      const rf = await client.query(COS, { query: q, filter: FILTERS[1].filter, limit: 30 });
      assertMatchesBruteForce(rf.points, bruteForce(cos, q, 'Cosine', { pred: FILTERS[1].pred }),
        { limit: 30, metric: 'Cosine', label: `after delete filtered q${qi}` });
    }
    // Scroll skips deleted points.
    const seen = [];
    let offset;
    for (let page = 0; page < 100; page++) {
      const r = await client.scroll(COS, { limit: 250, offset, with_payload: false });
      seen.push(...r.points.map((p) => p.id));
      offset = r.next_page_offset;
      if (offset === null || offset === undefined) break;
    }
    assert.deepEqual(seen, [...cos.keys()].sort((a, b) => a - b));
  });

  it('re-upsert overwrites vector and payload', async () => {
    const v = randomVector(rand, DIM);
    cos.set(30, { vector: v, payload: { group: 3, tag: 't9', price: 1.5, tags: [], meta: { rank: 0 } } });
    await client.upsert(COS, { points: [{ id: 30, vector: v, payload: cos.get(30).payload }] });
    const [p] = await client.retrieve(COS, { ids: [30], with_vector: true });
    checkPayload(p.payload, 30, 're-upsert');
    assertVectorClose(p.vector, normalize(v), 're-upsert');
    const r = await client.query(COS, { query: v, limit: 3 });
    assert.equal(r.points[0].id, 30);
    assertMatchesBruteForce(r.points, bruteForce(cos, v, 'Cosine'), { limit: 3, metric: 'Cosine' });
    assert.equal((await client.count(COS)).count, cos.size);
  });

  it('errors: wrong dimension is 400, unknown collection is 404', async () => {
    const wrong = randomVector(rand, DIM - 1);
    let err = await rejectsWithStatus(client.upsert(COS, { points: [{ id: 1, vector: wrong }] }), 400, 'upsert wrong dim');
    assert.equal(typeof err.data?.status?.error, 'string', `error body: ${JSON.stringify(err.data)}`);
    await rejectsWithStatus(client.upsert(COS, { batch: { ids: [1], vectors: [wrong] } }), 400, 'batch upsert wrong dim');
    err = await rejectsWithStatus(client.query(COS, { query: wrong, limit: 3 }), 400, 'query wrong dim');
    assert.equal(typeof err.data?.status?.error, 'string');
    await rejectsWithStatus(client.queryBatch(COS, { searches: [{ query: queries[0] }, { query: wrong }] }), 400, 'query/batch wrong dim');
    // The failed upserts changed nothing.
    const [p1] = await client.retrieve(COS, { ids: [1], with_vector: true });
    assertVectorClose(p1.vector, normalize(cos.get(1).vector), 'point 1 after rejected upserts');

    err = await rejectsWithStatus(client.getCollection('compat_js_no_such'), 404, 'getCollection unknown');
    assert.equal(typeof err.data?.status?.error, 'string');
    await rejectsWithStatus(client.query('compat_js_no_such', { query: queries[0] }), 404, 'query unknown collection');
    await rejectsWithStatus(client.upsert('compat_js_no_such', { points: [{ id: 1, vector: queries[0] }] }), 404, 'upsert unknown collection');
    await rejectsWithStatus(client.count('compat_js_no_such'), 404, 'count unknown collection');
    await rejectsWithStatus(client.scroll('compat_js_no_such'), 404, 'scroll unknown collection');
    await rejectsWithStatus(client.retrieve('compat_js_no_such', { ids: [1] }), 404, 'retrieve unknown collection');
    await rejectsWithStatus(client.query(COS, { query: 987654 }), 404, 'query by a missing point id');
    err = await rejectsWithStatus(client.createCollection(COS, { vectors: { size: DIM, distance: 'Cosine' } }), 409,
      'create an existing collection');
    await rejectsWithStatus(client.query(COS, { query: queries[0], filter: { must: [{ key: 'group', match: { valeu: 1 } }] } }),
      400, 'malformed filter');
    await rejectsWithStatus(client.count(COS, { filter: { must: [{ key: 'price', range: { gt: 'cheap' } }] } }), 400, 'range on a string');
  });

  it('deletes the collections', async () => {
    assert.equal(await client.deleteCollection(COS), true);
    assert.equal(await client.deleteCollection(EUC), true);
    assert.equal(await client.deleteCollection(NV), true);
    assert.deepEqual(await client.collectionExists(COS), { exists: false });
    assert.deepEqual(await client.collectionExists(EUC), { exists: false });
    const { collections } = await client.getCollections();
    assert.ok(!collections.some((c) => c.name === COS || c.name === EUC));
  });

  it('produced no client warnings at all', () => {
    const warns = console_.calls.filter((c) => c.level === 'warn');
    assert.deepEqual(warns, []);
  });
});
