// Hybrid (dense + sparse BM25) flow: LangChain's QdrantVectorStore writes the documents and their
// dense embeddings; the Qdrant JS client adds a server-side BM25 vector to every point (a Document
// {text, model: "qdrant/bm25"}, embedded by Needle) and runs hybrid queries — prefetch of a dense
// and a BM25 search fused with RRF and DBSF. @langchain/qdrant (JS) has no sparse or hybrid API of
// its own, so the hybrid part goes through the client. Each fused result is checked against the
// fusion computed here from the two prefetch searches run separately.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Embeddings } from '@langchain/core/embeddings';
import { Document } from '@langchain/core/documents';
import { QdrantVectorStore } from '@langchain/qdrant';
import { QdrantClient } from '@qdrant/js-client-rest';
import { NEEDLE_URL, normalize, dot, idKey } from './helpers.mjs';

const COLL = 'compat_hybrid';
const DIM = 32;

// TEST DOUBLE for an embedding model (no model can run here): word hashes into 32 signed buckets.
class HashEmbeddings extends Embeddings {
  constructor() { super({}); }
  embedText(text) {
    const v = new Array(DIM).fill(0);
    for (const w of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
      let h = 0x811c9dc5;
      for (let i = 0; i < w.length; i++) { h ^= w.charCodeAt(i); h = Math.imul(h, 0x01000193) >>> 0; }
      v[h % DIM] += (h & 0x80000000) ? -1 : 1;
    }
    if (v.every((x) => x === 0)) v[0] = 1;
    return normalize(v);
  }
  async embedDocuments(texts) { return texts.map((t) => this.embedText(t)); }
  async embedQuery(text) { return this.embedText(text); }
}

const TOPICS = ['apple orchard harvest', 'river boat fishing', 'mountain snow skiing', 'city traffic jam',
  'garden roses bloom', 'ocean waves surfing', 'forest trail hiking', 'desert sand dunes'];

function corpus() {
  const docs = [];
  for (let i = 0; i < 120; i++) {
    const a = TOPICS[i % TOPICS.length];
    const b = TOPICS[(i * 3 + 1) % TOPICS.length];
    docs.push(new Document({ pageContent: `${a} and ${b} note ${i}`, metadata: { idx: i, even: i % 2 === 0 } }));
  }
  return docs;
}

function rrf(lists, k = 2) {
  const s = new Map();
  for (const l of lists) l.forEach((p, pos) => s.set(idKey(p.id), (s.get(idKey(p.id)) ?? 0) + 1 / (pos + k)));
  return s;
}

function dbsf(lists) {
  const s = new Map();
  for (const l of lists) {
    // Welford's mean and sample variance, as Qdrant computes them: exact (zero) for a list of
    // equal scores, where a two-pass sum leaves rounding noise that the division would amplify.
    const xs = l.map((p) => p.score);
    const n = xs.length;
    let mean = 0;
    let agg = 0;
    xs.forEach((x, k) => { const d0 = x - mean; mean += d0 / (k + 1); agg += d0 * (x - mean); });
    const sd = n > 1 ? Math.sqrt(agg / (n - 1)) : 0;
    l.forEach((p, j) => {
      const v = n < 2 || sd === 0 ? 0.5 : (xs[j] - (mean - 3 * sd)) / (6 * sd);
      s.set(idKey(p.id), (s.get(idKey(p.id)) ?? 0) + v);
    });
  }
  return s;
}

function checkFused(got, expected, label) {
  const ranked = [...expected.entries()].sort((a, b) => b[1] - a[1]);
  assert.equal(got.length, Math.min(10, ranked.length), `${label}: result count`);
  got.forEach((p, i) => {
    assert.ok(Math.abs(p.score - ranked[i][1]) < 1e-4, `${label} rank ${i}: score ${p.score}, expected ${ranked[i][1]}`);
    assert.ok(Math.abs(expected.get(idKey(p.id)) - p.score) < 1e-4, `${label} rank ${i}: id ${p.id} has fused score ${expected.get(idKey(p.id))}`);
  });
}

describe('hybrid search: LangChain documents, server-side BM25, fusion', () => {
  const client = new QdrantClient({ url: NEEDLE_URL, checkCompatibility: true });
  const embedder = new HashEmbeddings();
  let store;

  before(async () => {
    await client.deleteCollection(COLL).catch(() => {});
    store = new QdrantVectorStore(embedder, {
      client, collectionName: COLL,
      collectionConfig: { vectors: { size: DIM, distance: 'Cosine' }, sparse_vectors: { bm25: { modifier: 'idf' } } },
    });
    await store.addDocuments(corpus());
    const all = await client.scroll(COLL, { limit: 1000, with_payload: true });
    assert.equal(all.points.length, 120);
    await client.updateVectors(COLL, {
      wait: true,
      points: all.points.map((p) => ({ id: p.id, vector: { bm25: { text: p.payload.content, model: 'qdrant/bm25' } } })),
    });
  });

  after(async () => { await client.deleteCollection(COLL).catch(() => {}); });

  for (const query of ['apple harvest', 'snow skiing mountain', 'ocean fishing boat']) {
    it(`RRF and DBSF of dense + BM25 for "${query}"`, async () => {
      const dense = embedder.embedText(query);
      const filter = { must: [{ key: 'metadata.even', match: { value: true } }] };
      const d = (await client.query(COLL, { query: dense, limit: 20, filter })).points;
      const s = (await client.query(COLL, { query: { text: query, model: 'qdrant/bm25' }, using: 'bm25', limit: 20, filter })).points;
      assert.ok(s.length > 0, 'BM25 found matches');
      for (const p of s) assert.ok(p.score > 0);
      const prefetch = [
        { query: dense, limit: 20 },
        { query: { text: query, model: 'qdrant/bm25' }, using: 'bm25', limit: 20 },
      ];
      const fusedRRF = (await client.query(COLL, { prefetch, query: { fusion: 'rrf' }, limit: 10, filter, with_payload: true })).points;
      checkFused(fusedRRF, rrf([d, s]), `rrf/${query}`);
      for (const p of fusedRRF) assert.equal(p.payload.metadata.even, true);
      const fusedDBSF = (await client.query(COLL, { prefetch, query: { fusion: 'dbsf' }, limit: 10, filter })).points;
      checkFused(fusedDBSF, dbsf([d, s]), `dbsf/${query}`);
    });
  }

  it('LangChain similaritySearch still answers with the dense vectors', async () => {
    const q = 'garden roses';
    const res = await store.similaritySearchWithScore(q, 5);
    const qv = embedder.embedText(q);
    for (const [doc, score] of res) {
      assert.ok(Math.abs(dot(qv, embedder.embedText(doc.pageContent)) - score) < 1e-4, 'score is the dense cosine');
    }
  });
});
