/**
 * IVF and HNSW at their default parameters must find >= 95% of the exact top-10 on 20k embeddings of real
 * text (Brown corpus, default hashed n-gram embedder). Recall is tie-aware: a returned id counts when its
 * exact score reaches the exact 10th score (the corpus repeats some sentences).
 */
import { MemoryStorageBackend } from '@ffdb/conformance';
import { beforeAll, describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder } from '../src/index.js';
import { brownTexts } from './helpers/brown-texts.js';

const N = 20_000;
const Q = 200;
const embedder = createHashedNgramEmbedder();
const space = embedder.space;
let vectors: Float32Array[];
let queries: Float32Array[];
let exact: { id: string; score: number }[][];

function dotp(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

beforeAll(async () => {
  const texts = brownTexts(N + Q, 2);
  const all = await embedder.embed(texts);
  vectors = all.slice(0, N);
  queries = all.slice(N);
  const storage = new MemoryStorageBackend();
  const flat = createFaissVectorIndex({ storage, indexType: 'flat' });
  await flat.upsert(
    'u',
    space,
    vectors.map((v, i) => ({ id: String(i), vector: v, metadata: {} })),
  );
  exact = await flat.searchBatch('u', space, queries, { k: 10 });
});

function recall(got: { id: string }[][]): number {
  let hit = 0;
  let total = 0;
  got.forEach((hits, q) => {
    const truth = exact[q] as { id: string; score: number }[];
    const tenth = (truth[truth.length - 1] as { score: number }).score;
    total += truth.length;
    for (const h of hits) {
      if (dotp(vectors[Number(h.id)] as Float32Array, queries[q] as Float32Array) >= tenth - 1e-5) hit++;
    }
  });
  return hit / total;
}

describe('approximate indexes at default parameters', () => {
  for (const indexType of ['ivf', 'hnsw'] as const) {
    it(`${indexType}: recall@10 >= 0.95 vs exact on ${N} real-text embeddings`, async () => {
      const storage = new MemoryStorageBackend();
      const index = createFaissVectorIndex({ storage, indexType });
      await index.upsert(
        'u',
        space,
        vectors.map((v, i) => ({ id: String(i), vector: v, metadata: {} })),
      );
      expect((await index.stats('u')).indexType).toBe(indexType);
      const got = await index.searchBatch('u', space, queries, { k: 10 });
      const r = recall(got);
      console.log(`${indexType} recall@10 = ${r.toFixed(3)}`);
      expect(r).toBeGreaterThanOrEqual(0.95);
      // Persisted and reloaded, it answers the same.
      await index.close();
      const again = createFaissVectorIndex({ storage, indexType });
      expect(await again.searchBatch('u', space, queries.slice(0, 20), { k: 10 })).toEqual(got.slice(0, 20));
    });
  }

  it('auto switches from flat to the ANN kind above the threshold', async () => {
    const storage = new MemoryStorageBackend();
    const index = createFaissVectorIndex({ storage, indexType: 'auto', rebuildThreshold: 5_000 });
    await index.upsert(
      'u',
      space,
      vectors.slice(0, 4_000).map((v, i) => ({ id: String(i), vector: v, metadata: {} })),
    );
    expect((await index.stats('u')).indexType).toBe('flat');
    await index.upsert(
      'u',
      space,
      vectors.slice(4_000, 8_000).map((v, i) => ({ id: String(i + 4_000), vector: v, metadata: {} })),
    );
    expect((await index.stats('u')).indexType).toBe('ivf');
    const hits = await index.search('u', space, vectors[123] as Float32Array, { k: 1 });
    expect(hits[0]?.id).toBe('123');
  });
});
