import { MemoryStorageBackend } from '@ffdb/conformance';
import { type EmbeddingSpace, FFEmbeddingError, FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { createFaissVectorIndex, createHashedNgramEmbedder, type FaissVectorIndex } from '../src/index.js';
import { brownTexts } from './helpers/brown-texts.js';
import { bruteForceTopK } from './helpers/brute-force.js';

const embedder = createHashedNgramEmbedder();
const space = embedder.space;

async function fresh(opts: Partial<ConstructorParameters<typeof FaissVectorIndex>[0]> = {}) {
  const storage = new MemoryStorageBackend();
  await storage.open();
  const index = createFaissVectorIndex({ storage, ...opts });
  await index.open();
  return { storage, index };
}

const TINY = [
  'The cat sat on the mat and purred at the cat next door.',
  'Faiss builds vector indexes for nearest neighbour search over embeddings.',
  'The stock market fell sharply after the central bank raised interest rates.',
  'A recipe for bread: flour, water, salt and yeast, baked in a hot oven.',
  'Nearest neighbour search with an inverted file index probes a few lists.',
  'Kittens and cats love to sleep on warm mats in the sun.',
];

describe('FaissVectorIndex', () => {
  it('finds the expected nearest chunks of a tiny corpus', async () => {
    const { index } = await fresh();
    const vectors = await embedder.embed(TINY);
    await index.upsert(
      'alice',
      space,
      TINY.map((_t, i) => ({ id: `c${i}`, vector: vectors[i] as Float32Array, metadata: { i } })),
    );
    const [q1, q2, q3] = await embedder.embed([
      'nearest neighbour vector index',
      'cats sleeping on a mat',
      'baking bread with yeast',
    ]);
    const h1 = await index.search('alice', space, q1 as Float32Array, { k: 2 });
    expect(h1.map((h) => h.id).sort()).toEqual(['c1', 'c4']);
    const h2 = await index.search('alice', space, q2 as Float32Array, { k: 2 });
    expect(h2.map((h) => h.id).sort()).toEqual(['c0', 'c5']);
    const h3 = await index.search('alice', space, q3 as Float32Array, { k: 1 });
    expect(h3[0]?.id).toBe('c3');
    expect(h3[0]?.metadata).toEqual({ i: 3 });
    // Scores are cosines, best first, and a threshold drops the weak ones.
    expect(h1[0]?.score).toBeGreaterThanOrEqual(h1[1]?.score ?? 1);
    const strict = await index.search('alice', space, q3 as Float32Array, { k: 6, threshold: 0.2 });
    expect(strict.every((h) => h.score >= 0.2)).toBe(true);
    expect(strict.length).toBeLessThan(6);
  });

  it('threshold 1 finds a text identical to the query (float32 rounding is not a miss)', async () => {
    const { index } = await fresh();
    const texts = [...TINY, 'The database connection failed while running migrations', ...brownTexts(40, 5)];
    const vectors = await embedder.embed(texts);
    await index.upsert(
      'alice',
      space,
      texts.map((_t, i) => ({ id: `t${i}`, vector: vectors[i] as Float32Array, metadata: {} })),
    );
    let roundedBelowOne = 0;
    for (let i = 0; i < texts.length; i++) {
      const v = vectors[i] as Float32Array;
      let self = 0;
      for (let j = 0; j < v.length; j++) self += Math.fround((v[j] as number) * (v[j] as number));
      if (Math.fround(self) < 1) roundedBelowOne++;
      const hits = await index.search('alice', space, v, { k: 1, threshold: 1 });
      expect(hits.map((h) => [h.id, h.score])).toEqual([[`t${i}`, 1]]);
    }
    // Some of these texts' vectors really do score below 1 against themselves in float32.
    expect(roundedBelowOne).toBeGreaterThan(0);
  });

  it('exact search equals a brute-force computation', async () => {
    const { index } = await fresh();
    const texts = brownTexts(2000, 2);
    const vectors = await embedder.embed(texts);
    await index.upsert(
      'bob',
      space,
      vectors.map((v, i) => ({ id: `v${i}`, vector: v, metadata: {} })),
    );
    const queries = await embedder.embed(brownTexts(2030, 1).slice(2000));
    for (const q of queries) {
      const got = await index.search('bob', space, q, { k: 10 });
      const want = bruteForceTopK(vectors, q, 10);
      expect(got.map((h) => h.score)).toEqual(want.map((w) => expect.closeTo(w.score, 5)));
      // Ids agree except where scores tie.
      got.forEach((h, i) => {
        const w = want[i] as { index: number; score: number };
        if (
          Math.abs(((want[i + 1]?.score ?? -2) as number) - w.score) > 1e-6 &&
          Math.abs((want[i - 1]?.score ?? 2) - w.score) > 1e-6
        ) {
          expect(h.id).toBe(`v${w.index}`);
        }
      });
    }
    const batch = await index.searchBatch('bob', space, queries.slice(0, 5), { k: 10 });
    for (const [i, hits] of batch.entries()) {
      expect(hits).toEqual(await index.search('bob', space, queries[i] as Float32Array, { k: 10 }));
    }
  });

  it('persists across a restart (journal replay and checkpoints)', async () => {
    const { storage, index } = await fresh({ checkpointEvery: 5 });
    const vectors = await embedder.embed(TINY);
    await index.upsert(
      'carol',
      space,
      vectors.slice(0, 3).map((v, i) => ({ id: `c${i}`, vector: v, metadata: { i } })),
    );
    await index.upsert(
      'carol',
      space,
      vectors.slice(3).map((v, i) => ({ id: `c${i + 3}`, vector: v, metadata: { i: i + 3 } })),
    );
    await index.remove('carol', ['c2']);
    // A second instance over the same storage (as after a crash: no flush, no close).
    const reopened = createFaissVectorIndex({ storage });
    const q = vectors[3] as Float32Array;
    const before = await index.search('carol', space, q, { k: 10 });
    const after = await reopened.search('carol', space, q, { k: 10 });
    expect(after).toEqual(before);
    expect(after.map((h) => h.id)).not.toContain('c2');
    expect((await reopened.stats('carol')).count).toBe(5);
    await index.close();
    const third = createFaissVectorIndex({ storage });
    expect(await third.search('carol', space, q, { k: 10 })).toEqual(before);
    const keys = await storage.list('index/vectors/carol');
    expect(keys.some((k) => k.endsWith('manifest.json'))).toBe(true);
  });

  it('deletes: remove, replace by id, removeWhere, and rebuild after many tombstones', async () => {
    const { index } = await fresh({ tombstoneRebuildRatio: 0.5 });
    const texts = brownTexts(200, 2);
    const vectors = await embedder.embed(texts);
    await index.upsert(
      'dave',
      space,
      vectors.map((v, i) => ({ id: `v${i}`, vector: v, metadata: { doc: i % 4 } })),
    );
    expect(await index.remove('dave', ['v0', 'v1', 'missing'])).toBe(2);
    expect(await index.remove('dave', ['v0'])).toBe(0);
    const hit = await index.search('dave', space, vectors[0] as Float32Array, { k: 5 });
    expect(hit.map((h) => h.id)).not.toContain('v0');
    // Replacing an id keeps one copy with the new vector.
    await index.upsert('dave', space, [
      { id: 'v5', vector: vectors[0] as Float32Array, metadata: { doc: 9 } },
    ]);
    const top = await index.search('dave', space, vectors[0] as Float32Array, { k: 3 });
    expect(top[0]).toMatchObject({ id: 'v5', metadata: { doc: 9 } });
    expect(top.filter((h) => h.id === 'v5')).toHaveLength(1);
    // doc 1 had 50 items: v1 was removed and v5 now belongs to doc 9.
    expect(await index.removeWhere('dave', (m) => m.doc === 1)).toBe(48);
    expect((await index.stats('dave')).count).toBe(150);
    // Crossing the tombstone ratio compacts the index; results stay the same.
    await index.removeWhere('dave', (m) => m.doc === 2);
    const stats = await index.stats('dave');
    expect(stats.count).toBe(100);
    const filtered = await index.search('dave', space, vectors[3] as Float32Array, {
      k: 5,
      filter: (m) => m.doc === 3,
    });
    expect(filtered.length).toBe(5);
    expect(filtered.every((h) => h.metadata.doc === 3)).toBe(true);
    expect(filtered[0]?.id).toBe('v3');
  });

  it('keeps users apart', async () => {
    const { index } = await fresh();
    const [a, b] = await embedder.embed(['apples and pears', 'apples and pears too']);
    await index.upsert('u1', space, [{ id: 'x', vector: a as Float32Array, metadata: { owner: 'u1' } }]);
    await index.upsert('u2', space, [{ id: 'y', vector: b as Float32Array, metadata: { owner: 'u2' } }]);
    expect((await index.search('u1', space, a as Float32Array, { k: 10 })).map((h) => h.id)).toEqual(['x']);
    expect((await index.search('u2', space, a as Float32Array, { k: 10 })).map((h) => h.id)).toEqual(['y']);
    expect(await index.search('u3', space, a as Float32Array, { k: 10 })).toEqual([]);
    await index.removeUser('u1');
    expect(await index.search('u1', space, a as Float32Array, { k: 10 })).toEqual([]);
    expect((await index.search('u2', space, a as Float32Array, { k: 10 })).length).toBe(1);
    await expect(index.search('../etc', space, a as Float32Array, { k: 1 })).rejects.toBeInstanceOf(
      FFValidationError,
    );
  });

  it('throws on a different embedding space, and validates input', async () => {
    const { index } = await fresh();
    const [a] = await embedder.embed(['hello world']);
    await index.upsert('eve', space, [{ id: 'x', vector: a as Float32Array, metadata: {} }]);
    const other: EmbeddingSpace = { provider: 'openai', model: 'text-embedding-3-small', dimension: 384 };
    const err = await index
      .upsert('eve', other, [{ id: 'y', vector: a as Float32Array, metadata: {} }])
      .catch((e) => e);
    expect(FFEmbeddingError.isInstance(err)).toBe(true);
    expect(err.code).toBe('FF_SPACE_MISMATCH');
    await expect(index.search('eve', other, a as Float32Array, { k: 1 })).rejects.toMatchObject({
      code: 'FF_SPACE_MISMATCH',
    });
    await expect(
      index.upsert('eve', space, [{ id: 'z', vector: new Float32Array(10), metadata: {} }]),
    ).rejects.toMatchObject({
      code: 'FF_VALIDATION',
      issues: [expect.objectContaining({ path: 'items[0].vector', limit: 384 })],
    });
    await expect(
      index.upsert('eve', space, [{ id: 'z', vector: new Float32Array(384), metadata: {} }]),
    ).rejects.toMatchObject({ code: 'FF_VALIDATION' });
    await expect(index.search('eve', space, a as Float32Array, { k: -1 })).rejects.toMatchObject({
      code: 'FF_VALIDATION',
    });
    expect((await index.stats('eve')).count).toBe(1);
    expect(() => createFaissVectorIndex({ storage: {} as never })).toThrow(FFValidationError);
  });

  it('bounds memory with an LRU of loaded indexes and reloads evicted ones lazily', async () => {
    const { index } = await fresh({ cacheMaxIndexes: 2 });
    const vectors = await embedder.embed(['one fish', 'two fish', 'red fish', 'blue fish']);
    for (const [i, v] of vectors.entries()) {
      await index.upsert(`user${i}`, space, [{ id: `v${i}`, vector: v, metadata: {} }]);
    }
    expect(index.loadedIndexes).toBeLessThanOrEqual(2);
    for (const [i, v] of vectors.entries()) {
      expect((await index.search(`user${i}`, space, v, { k: 1 }))[0]?.id).toBe(`v${i}`);
    }
    expect(index.loadedIndexes).toBeLessThanOrEqual(2);
  });

  it('converts an index to a newly configured kind on load, and reports a corrupted manifest', async () => {
    const { storage, index } = await fresh();
    const vectors = await embedder.embed(brownTexts(300, 1));
    await index.upsert(
      'gina',
      space,
      vectors.map((v, i) => ({ id: `v${i}`, vector: v, metadata: {} })),
    );
    await index.close();
    const hnsw = createFaissVectorIndex({ storage, indexType: 'hnsw' });
    expect((await hnsw.stats('gina')).indexType).toBe('hnsw');
    expect((await hnsw.search('gina', space, vectors[7] as Float32Array, { k: 1 }))[0]?.id).toBe('v7');
    // Persisted as HNSW: a third instance does not convert again.
    const third = createFaissVectorIndex({ storage, indexType: 'hnsw' });
    expect((await third.stats('gina')).indexType).toBe('hnsw');
    await storage.write('index/vectors/gina/manifest.json', new TextEncoder().encode('{"format":"nope"'));
    const broken = createFaissVectorIndex({ storage });
    await expect(broken.stats('gina')).rejects.toMatchObject({ code: 'FF_CORRUPTION' });
  });
});

describe('ANN indexes asked for every item', () => {
  it('an HNSW index returns every live item, in exact order, when k covers the whole index', async () => {
    const { index } = await fresh({ indexType: 'hnsw' });
    const texts = brownTexts(300);
    const vectors = await embedder.embed(texts);
    await index.upsert(
      'hana',
      space,
      texts.map((_t, i) => ({ id: `m${i}`, vector: vectors[i] as Float32Array, metadata: { i } })),
    );
    await index.remove('hana', ['m0', 'm1']);
    expect((await index.stats('hana')).indexType).toBe('hnsw');
    const [q] = await embedder.embed(['the jury said the election was conducted']);
    const hits = await index.search('hana', space, q as Float32Array, { k: 1000 });
    expect(hits).toHaveLength(298);
    expect(new Set(hits.map((h) => h.id)).size).toBe(298);
    expect(hits.some((h) => h.id === 'm0' || h.id === 'm1')).toBe(false);
    const scores = hits.map((h) => h.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});
