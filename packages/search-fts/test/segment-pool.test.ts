import { createCompressor } from '@ffdb/compression';
import { MemoryStorageBackend } from '@ffdb/conformance';
import type { IndexQuery } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';
import { createLunrSearchIndex, type LunrSearchIndex } from '../src/index.js';
import { Segment } from '../src/segment.js';
import { buildSegment } from '../src/segment-builder.js';
import { decodeSegment, encodeSegment, packSegment, unpackSegment } from '../src/segment-codec.js';
import { Tail } from '../src/tail.js';
import { msg } from './helpers.js';

const lz4 = createCompressor({ algorithm: 'lz4' });
const opened: LunrSearchIndex[] = [];
afterEach(async () => {
  for (const idx of opened.splice(0)) await idx.close().catch(() => undefined);
});

// Vocabulary with multi-byte and astral characters (where UTF-8 byte order and JS string order
// disagree: U+FF46 sorts before U+1D4B3 in UTF-16 but after it in UTF-8).
const VOCAB = [
  'alpha',
  'bravo',
  'charlie',
  'delta',
  'echo',
  'foxtrot',
  'kubernetes',
  'kube',
  'café',
  'über',
  'ｆｕｌｌ',
  'naïve',
  '日本語',
  '𝒳mark',
  'zulu',
  'testing',
  'tested',
  'tests',
  'yankee',
  'xray',
];

/** `count` documents of `userId`; every document also carries a word only this user has. */
function docs(userId: string, count: number) {
  return Array.from({ length: count }, (_, i) => {
    const words = [0, 1, 2, 3].map((k) => VOCAB[(i * 7 + k * 3 + userId.length) % VOCAB.length]);
    return msg(userId, `s${i % 4}`, `${userId}-m${i}`, `${words.join(' ')} only${userId}word number${i}`, {
      role: i % 2 ? 'user' : 'assistant',
    });
  });
}

async function segmentBlob(userId: string, count: number): Promise<{ seg: Segment; blob: Uint8Array }> {
  const tail = new Tail();
  for (const d of docs(userId, count)) tail.add({ ...d, tsMs: Date.parse(d.timestamp) } as never);
  const { segment } = await buildSegment('seg-000000', [tail]);
  return { seg: segment, blob: await packSegment(encodeSegment(segment.data), lz4) };
}

function loadWith(blob: Uint8Array, pool: BufferPool | undefined): Segment {
  const raw = unpackSegment(blob, lz4, 'k', pool);
  return new Segment(decodeSegment(raw, 'k', pool), undefined, raw.owned, raw.deleted);
}

describe('pooled segment loads', () => {
  it('answer every term lookup exactly like the segment they were built from', async () => {
    const { seg: built, blob } = await segmentBlob('alice', 400);
    const pool = new BufferPool();
    for (const loaded of [loadWith(blob, undefined), loadWith(blob, pool)]) {
      const terms = [...built.allTerms()];
      expect([...loaded.allTerms()]).toEqual(terms);
      for (const t of [...terms, 'nope', '', 'zzzz', 'a', '\uffff']) {
        expect(loaded.termIndex(t)).toBe(built.termIndex(t));
        expect(loaded.df(t)).toBe(built.df(t));
      }
      for (const p of ['k', 'kube', 'caf', 'ｆ', '日', '𝒳', 'only', 'x', 'q'])
        expect(loaded.termsWithPrefix(p, 50)).toEqual(built.termsWithPrefix(p, 50));
      for (let d = 0; d < built.size; d += 37) expect(loaded.record(d)).toEqual(built.record(d));
    }
    expect(pool.allocated).toBeGreaterThan(0);
  });

  it('a reused buffer never shows the previous user: isolation across release and reload', async () => {
    const a = await segmentBlob('alice', 400);
    const b = await segmentBlob('bob', 300);
    const pool = new BufferPool();
    const segA = loadWith(a.blob, pool);
    expect(segA.record(5).content).toContain('onlyalice');
    segA.release(pool);
    expect(segA.isReleased).toBe(true);
    expect(() => segA.record(5)).toThrow(); // a released segment cannot be read any more
    const reusedBefore = pool.reused;
    const segB = loadWith(b.blob, pool);
    expect(pool.reused).toBeGreaterThan(reusedBefore); // bob's load really went into alice's buffers
    expect(segB.termIndex('onlyalic')).toBe(-1);
    expect(segB.termIndex(segB.data.terms.get(0))).toBe(0);
    for (let d = 0; d < segB.size; d++) {
      const r = segB.record(d);
      expect(r).toEqual(b.seg.record(d));
      expect(r.content).not.toContain('alice');
    }
    expect(segB.liveCount).toBe(300); // the deletion bitmap came back zeroed
  });

  it('the pool zeroes reused buffers, bounds slack and never hands one buffer to two owners', () => {
    const pool = new BufferPool(1 << 20);
    const x = pool.acquire(100_000);
    x.fill(7);
    pool.release(x);
    pool.release(x);
    const y = pool.acquire(90_000);
    expect(y.buffer).toBe(x.buffer);
    expect(y.every((v) => v === 0)).toBe(true);
    const z = pool.acquire(90_000);
    expect(z.buffer).not.toBe(x.buffer);
    pool.release(y);
    expect(pool.acquire(10_000).buffer).not.toBe(x.buffer); // too large a buffer for a small request
  });

  it('an index with a one-user cache returns the same hits as one that keeps every user', async () => {
    const users = ['ann', 'ben', 'cat', 'dan'];
    const items = new Map(users.map((u) => [u, docs(u, 320)])); // same timestamps for both indexes
    const make = async (cacheMaxUsers: number) => {
      const storage = new MemoryStorageBackend();
      await storage.open();
      const opts = { storage, compressor: lz4, flushIntervalMs: 0, flushThreshold: 150, cacheMaxUsers };
      let idx = createLunrSearchIndex(opts);
      await idx.open();
      for (const u of users) await idx.add(items.get(u) ?? []);
      await idx.close();
      idx = createLunrSearchIndex({ ...opts, segmentCacheSize: cacheMaxUsers * 4 });
      await idx.open();
      opened.push(idx);
      return idx;
    };
    const small = await make(1);
    const big = await make(100);
    const queries: Omit<IndexQuery, 'userId'>[] = [
      { text: 'kubernetes' },
      { text: 'alpha bravo charlie' },
      { text: 'kube*' },
      { text: 'caf~1' },
      { text: '日本語 𝒳mark', mode: 'or' },
      { text: 'testing', roles: ['user'], sessionIds: ['s1', 's2'] },
      { text: '', limit: 5 },
    ];
    for (let round = 0; round < 3; round++) {
      for (const u of users) {
        for (const q of queries) {
          const got = await small.search({ ...q, userId: u });
          expect(got).toEqual(await big.search({ ...q, userId: u }));
          for (const h of got) expect(h.id.startsWith(`${u}-`)).toBe(true);
        }
        // Every other user's private word is absent from this user's results.
        for (const other of users)
          if (other !== u) expect(await small.search({ userId: u, text: `only${other}word` })).toEqual([]);
        expect((await small.search({ userId: u, text: `only${u}word` })).length).toBeGreaterThan(0);
      }
    }
    const pool = (small as unknown as { pool: BufferPool }).pool;
    expect(pool.reused).toBeGreaterThan(0); // the reloads above went through reused buffers
  });
});

describe('cacheMaxBytes', () => {
  it('bounds the bytes of loaded users next to the counts, never unloading the user being queried', async () => {
    const users = ['ann', 'ben', 'cat', 'dan'];
    const storage = new MemoryStorageBackend();
    await storage.open();
    const base = { storage, compressor: lz4, flushIntervalMs: 0, flushThreshold: 150 };
    const writer = createLunrSearchIndex(base);
    await writer.open();
    for (const u of users) await writer.add(docs(u, 320));
    await writer.close();
    const open = async (cacheMaxBytes: number) => {
      const idx = createLunrSearchIndex({
        ...base,
        cacheMaxUsers: 100,
        segmentCacheSize: 100,
        cacheMaxBytes,
      });
      await idx.open();
      opened.push(idx);
      return idx;
    };
    const tight = await open(0);
    const roomy = await open(256 * 1024 * 1024);
    for (const u of users) {
      const q = { userId: u, text: 'kubernetes alpha', mode: 'or' as const };
      const got = await tight.search(q);
      expect(got.length).toBeGreaterThan(0);
      expect(got).toEqual(await roomy.search(q));
      expect((await tight.stats()).loadedUsers).toBe(1); // only the user just queried
    }
    expect((await roomy.stats()).loadedUsers).toBe(users.length);
    expect(() => createLunrSearchIndex({ ...base, cacheMaxBytes: -1 })).toThrow(/cacheMaxBytes/);
  });
});
