import type { EmbeddingSpace, VectorIndex, VectorItem } from '@ffdb/core-types';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { caught, hasCode, seededRandom } from './helpers.js';

export interface VectorIndexFixture {
  /** An opened index. */
  index: VectorIndex;
  cleanup: () => Promise<void>;
}

export interface VectorIndexSuiteOptions {
  capabilities?: Partial<VectorIndex['capabilities']>;
  /** For approximate indexes: minimal recall@k against brute force (default 1 = exact). */
  minRecall?: number;
  reopen?: (index: VectorIndex) => Promise<VectorIndex>;
}

export const TEST_SPACE: EmbeddingSpace = { provider: 'conformance', model: 'random-unit', dimension: 16 };

export function randomUnitVectors(n: number, dimension: number, seed = 1): Float32Array[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => {
    const v = Float32Array.from({ length: dimension }, () => rnd() * 2 - 1);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] ?? 0) * (b[i] ?? 0);
    na += (a[i] ?? 0) ** 2;
    nb += (b[i] ?? 0) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

function items(n: number, seed = 1): VectorItem[] {
  return randomUnitVectors(n, TEST_SPACE.dimension, seed).map((vector, i) => ({
    id: `item_${i}`,
    vector,
    metadata: { i, even: i % 2 === 0, sessionId: i < n / 2 ? 's1' : 's2' },
  }));
}

export function runVectorIndexSuite(
  name: string,
  factory: () => Promise<VectorIndexFixture>,
  options: VectorIndexSuiteOptions = {},
): void {
  const caps = { persistent: false, exact: true, ann: false, ...options.capabilities };
  const minRecall = options.minRecall ?? (caps.exact ? 1 : 0.9);
  const data = items(200, 3);
  const queries = randomUnitVectors(10, TEST_SPACE.dimension, 99);
  const bruteForce = (q: Float32Array, k: number, pool = data) =>
    pool
      .map((it) => ({ id: it.id, score: cosine(q, it.vector) }))
      .sort((a, b) => b.score - a.score)
      .slice(0, k);

  describe(`VectorIndex conformance: ${name}`, () => {
    let fixture: VectorIndexFixture | undefined;
    const ix = (): VectorIndex => {
      if (!fixture) throw new Error('fixture not ready');
      return fixture.index;
    };
    beforeEach(async () => {
      fixture = await factory();
      await fixture.index.upsert('alice', TEST_SPACE, data);
    });
    afterEach(async () => {
      const f = fixture;
      fixture = undefined;
      await f?.cleanup();
    });

    it('finds the same neighbours as brute force, with cosine scores', async () => {
      let found = 0;
      let wanted = 0;
      for (const q of queries) {
        const expected = bruteForce(q, 5);
        const hits = await ix().search('alice', TEST_SPACE, q, { k: 5 });
        expect(hits).toHaveLength(5);
        wanted += 5;
        found += hits.filter((h) => expected.some((e) => e.id === h.id)).length;
        for (const h of hits) {
          const item = data.find((d) => d.id === h.id);
          expect(item).toBeDefined();
          expect(Math.abs(h.score - cosine(q, item?.vector ?? q))).toBeLessThan(1e-4);
          expect(h.metadata).toEqual(item?.metadata);
        }
        for (let i = 1; i < hits.length; i++)
          expect(hits[i - 1]?.score ?? 0).toBeGreaterThanOrEqual((hits[i]?.score ?? 0) - 1e-6);
        if (caps.exact) expect(hits.map((h) => h.id)).toEqual(expected.map((e) => e.id));
      }
      expect(found / wanted).toBeGreaterThanOrEqual(minRecall);
    });

    it('returns an item as its own nearest neighbour with score ~1, also unnormalised', async () => {
      const target = data[17] as VectorItem;
      const scaled = target.vector.map((x) => x * 3.5);
      const [hit] = await ix().search('alice', TEST_SPACE, scaled, { k: 1 });
      expect(hit?.id).toBe(target.id);
      expect(hit?.score ?? 0).toBeGreaterThan(0.999);
    });

    it('honours k, threshold and filter', async () => {
      const q = queries[0] as Float32Array;
      expect(await ix().search('alice', TEST_SPACE, q, { k: 1 })).toHaveLength(1);
      expect(await ix().search('alice', TEST_SPACE, q, { k: 1000 })).toHaveLength(200);
      const threshold = 0.3;
      const above = await ix().search('alice', TEST_SPACE, q, { k: 200, threshold });
      expect(above.every((h) => h.score >= threshold)).toBe(true);
      if (caps.exact) expect(above.length).toBe(data.filter((d) => cosine(q, d.vector) >= threshold).length);
      const even = await ix().search('alice', TEST_SPACE, q, { k: 5, filter: (m) => m.even === true });
      expect(even.length).toBe(5);
      expect(even.every((h) => h.metadata.even === true)).toBe(true);
      if (caps.exact) {
        expect(even.map((h) => h.id)).toEqual(
          bruteForce(
            q,
            5,
            data.filter((d) => d.metadata.even === true),
          ).map((e) => e.id),
        );
      }
    });

    it('replaces an item on upsert with the same id', async () => {
      const q = queries[1] as Float32Array;
      await ix().upsert('alice', TEST_SPACE, [{ id: 'item_3', vector: q, metadata: { replaced: true } }]);
      const [hit] = await ix().search('alice', TEST_SPACE, q, { k: 1 });
      expect(hit?.id).toBe('item_3');
      expect(hit?.metadata).toEqual({ replaced: true });
      expect((await ix().stats('alice')).count).toBe(200);
    });

    it('removes by id and by predicate, counting what it removed', async () => {
      expect(await ix().remove('alice', ['item_0', 'item_1', 'missing'])).toBe(2);
      expect(await ix().removeWhere('alice', (m) => m.sessionId === 's2')).toBe(100);
      expect((await ix().stats('alice')).count).toBe(98);
      const hits = await ix().search('alice', TEST_SPACE, queries[2] as Float32Array, { k: 500 });
      expect(hits).toHaveLength(98);
      expect(hits.some((h) => h.id === 'item_0' || h.metadata.sessionId === 's2')).toBe(false);
      expect(await ix().remove('nobody', ['item_5'])).toBe(0);
    });

    it('lists every live item with its metadata (entries)', async () => {
      const all = await ix().entries('alice');
      expect(all.map((e) => e.id).sort()).toEqual(data.map((d) => d.id).sort());
      for (const d of data.slice(0, 5)) expect(all.find((e) => e.id === d.id)?.metadata).toEqual(d.metadata);
      await ix().remove('alice', ['item_7']);
      await ix().removeWhere('alice', (m) => m.sessionId === 's2');
      const left = await ix().entries('alice');
      expect(left.some((e) => e.id === 'item_7' || e.metadata.sessionId === 's2')).toBe(false);
      expect(left).toHaveLength((await ix().stats('alice')).count);
      expect(await ix().entries('nobody')).toEqual([]);
    });

    it('keeps users apart', async () => {
      await ix().upsert('bob', TEST_SPACE, [
        { id: 'item_0', vector: queries[3] as Float32Array, metadata: { owner: 'bob' } },
      ]);
      const bob = await ix().search('bob', TEST_SPACE, queries[3] as Float32Array, { k: 10 });
      expect(bob.map((h) => h.metadata)).toEqual([{ owner: 'bob' }]);
      expect(await ix().search('carol', TEST_SPACE, queries[3] as Float32Array, { k: 10 })).toEqual([]);
      await ix().removeUser('bob');
      expect(await ix().search('bob', TEST_SPACE, queries[3] as Float32Array, { k: 10 })).toEqual([]);
      expect((await ix().stats('alice')).count).toBe(200);
    });

    it('refuses to mix embedding spaces', async () => {
      const other: EmbeddingSpace = { ...TEST_SPACE, model: 'another-model' };
      const vector = queries[0] as Float32Array;
      for (const call of [
        () => ix().upsert('alice', other, [{ id: 'x', vector, metadata: {} }]),
        () => ix().search('alice', other, vector, { k: 1 }),
      ]) {
        const error = await caught(call);
        expect(hasCode(error, 'FF_SPACE_MISMATCH')).toBe(true);
      }
      const wider: EmbeddingSpace = { ...TEST_SPACE, dimension: 32 };
      expect(
        hasCode(
          await caught(() =>
            ix().upsert('alice', wider, [{ id: 'x', vector: new Float32Array(32).fill(1), metadata: {} }]),
          ),
          'FF_SPACE_MISMATCH',
        ),
      ).toBe(true);
      expect((await ix().stats('alice')).count).toBe(200);
    });

    it('rejects vectors of the wrong dimension', async () => {
      const error = await caught(() =>
        ix().upsert('alice', TEST_SPACE, [
          { id: 'short', vector: new Float32Array(3).fill(1), metadata: {} },
        ]),
      );
      expect(hasCode(error, 'FF_VALIDATION') || hasCode(error, 'FF_SPACE_MISMATCH')).toBe(true);
      expect((await ix().stats('alice')).count).toBe(200);
    });

    it('reports stats', async () => {
      const stats = await ix().stats('alice');
      expect(stats).toMatchObject({ userId: 'alice', space: TEST_SPACE, count: 200 });
      expect(typeof stats.indexType).toBe('string');
      expect(typeof stats.bytesOnDisk).toBe('number');
      expect(await ix().stats('nobody')).toMatchObject({ userId: 'nobody', space: null, count: 0 });
      await ix().flush();
    });

    it('rejects hostile user ids', async () => {
      for (const userId of ['../x', 'a/b', '']) {
        expect(
          hasCode(await caught(() => ix().upsert(userId, TEST_SPACE, data.slice(0, 1))), 'FF_VALIDATION'),
          userId,
        ).toBe(true);
        expect(
          hasCode(
            await caught(() => ix().search(userId, TEST_SPACE, queries[0] as Float32Array, { k: 1 })),
            'FF_VALIDATION',
          ),
          userId,
        ).toBe(true);
      }
    });

    if (caps.persistent && options.reopen) {
      const reopen = options.reopen;
      it('keeps vectors, metadata and space across a reopen', async () => {
        await ix().flush();
        const again = await reopen(ix());
        try {
          const q = queries[4] as Float32Array;
          const hits = await again.search('alice', TEST_SPACE, q, { k: 3 });
          if (caps.exact) expect(hits.map((h) => h.id)).toEqual(bruteForce(q, 3).map((e) => e.id));
          expect((await again.stats('alice')).space).toEqual(TEST_SPACE);
        } finally {
          await again.close();
        }
      });
    }
  });
}
