import fs from 'node:fs';
import path from 'node:path';
import { CborCodec, Lz4Compressor } from '@ffdb/compression';
import type { JsonObject } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import type { FsStorageBackend } from '../src/index.js';
import { cloneRecord } from '../src/json-clone.js';
import { type SealedFooter, readFooter } from '../src/sealed-segment.js';
import { openStore, tempDir } from './helpers/temp-store.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const LOG = 'u/s/messages';
const TOTAL = 600;

function record(i: number): JsonObject {
  return {
    id: `msg_${i.toString(16).padStart(8, '0')}`,
    role: i % 3 === 0 ? 'assistant' : 'user',
    content: `message ${i} `.repeat(3 + (i % 7)),
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
    metadata: { tokens: i % 50, tags: [`t${i % 4}`, { n: i }] },
  };
}

/** A store whose records all lie in sealed segments of several small blocks, plus their footers. */
async function sealedStore(
  options: Parameters<typeof openStore>[1],
): Promise<{ store: FsStorageBackend; footers: SealedFooter[] }> {
  const t = tempDir();
  const opts = { segmentMaxRecords: 200, blockBytes: 1024, ...options };
  const writer = await openStore(t.dir, opts);
  await writer.append(
    LOG,
    Array.from({ length: TOTAL }, (_, i) => record(i)),
  );
  await writer.close();
  // A fresh store: no block is in its cache, so every read below decodes from disk.
  const store = await openStore(t.dir, opts);
  cleanups.push(async () => {
    await store.close();
    t.cleanup();
  });
  const dir = path.join(t.dir, `${LOG}.fflog`);
  const footers = fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.sseg'))
    .sort()
    .map((n) => {
      const fd = fs.openSync(path.join(dir, n), 'r');
      try {
        return readFooter(fd);
      } finally {
        fs.closeSync(fd);
      }
    });
  return { store, footers };
}

const seqs = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe.each([
  ['json codec, raw blocks', {}],
  ['cbor codec, lz4 blocks', { codec: new CborCodec(), compressor: new Lz4Compressor() }],
] as const)('ranged reads inside sealed blocks (%s)', (_name, adapters) => {
  it('return exactly the requested records at block and segment boundaries, forward and reverse', async () => {
    const { store, footers } = await sealedStore(adapters);
    // Every record is sealed (3 segments of 200), in blocks of a few records each.
    expect(footers.map((f) => [f.first, f.last])).toEqual([
      [0, 199],
      [200, 399],
      [400, 599],
    ]);
    const blocks = footers.flatMap((f) => f.blocks);
    expect(blocks.length).toBeGreaterThan(20);
    const b = blocks[5] as SealedFooter['blocks'][number];
    const bFirst = b.first;
    const bLast = b.first + b.count - 1;
    const cases: [from: number, limit: number][] = [
      [bFirst, 1], // first record of a block
      [bLast, 1], // last record of a block
      [bFirst, b.count], // exactly one block
      [bLast, 2], // last of one block + first of the next
      [bFirst + 1, b.count * 3], // spans several blocks
      [195, 10], // spans two sealed segments
      [0, 1],
      [599, 1],
      [590, 50], // runs past the end
    ];
    for (const [fromSeq, limit] of cases) {
      const fwd = await store.readLog(LOG, { fromSeq, limit });
      const to = Math.min(TOTAL - 1, fromSeq + limit - 1);
      expect(fwd.map((e) => e.seq)).toEqual(seqs(fromSeq, to));
      expect(fwd.map((e) => e.data)).toEqual(seqs(fromSeq, to).map(record));
      const rev = await store.readLog(LOG, { fromSeq, limit, reverse: true });
      const lo = Math.max(0, fromSeq - limit + 1);
      expect(rev.map((e) => e.seq)).toEqual(seqs(lo, fromSeq).reverse());
      expect(rev.map((e) => e.data)).toEqual(seqs(lo, fromSeq).reverse().map(record));
    }
  });

  it('hands out copies: changing a returned record does not change the cached block', async () => {
    const { store, footers } = await sealedStore(adapters);
    const b = (footers[1] as SealedFooter).blocks[2] as SealedFooter['blocks'][number];
    const first = await store.readLog(LOG, { fromSeq: b.first, limit: b.count });
    const data = first[0]?.data as { content: string; metadata: { tags: unknown[] } };
    data.content = 'changed';
    data.metadata.tags.push('added');
    const again = await store.readLog(LOG, { fromSeq: b.first, limit: b.count });
    expect(again.map((e) => e.data)).toEqual(seqs(b.first, b.first + b.count - 1).map(record));
  });
});

describe('cloneRecord', () => {
  it('deep-copies JSON values and keeps odd values intact', () => {
    const src = JSON.parse(
      '{"a":1,"b":[1,{"c":"x"},null],"d":{"e":true,"f":null},"__proto__":{"polluted":1}}',
    ) as Record<string, unknown>;
    const copy = cloneRecord(src);
    expect(copy).toEqual(src);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: unknown }).polluted).toBeUndefined();
    const plain = { a: [1, { b: 2 }], c: { d: 'e' }, n: null, s: 's' };
    const c2 = cloneRecord(plain);
    expect(c2).toEqual(plain);
    expect(c2.a).not.toBe(plain.a);
    expect(c2.a[1]).not.toBe(plain.a[1]);
    expect(c2.c).not.toBe(plain.c);
    const withDate = { when: new Date(0), bytes: new Uint8Array([1, 2]) };
    const c3 = cloneRecord(withDate);
    expect(c3.when).toBeInstanceOf(Date);
    expect(c3.when).not.toBe(withDate.when);
    expect(c3.bytes).toEqual(withDate.bytes);
    expect(cloneRecord('x')).toBe('x');
    expect(cloneRecord(null)).toBe(null);
  });
});
