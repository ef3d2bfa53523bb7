import { CborCodec, Lz4Compressor } from '@ffdb/compression';
import type { Codec, JsonObject } from '@ffdb/core-types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { countingCbor } from './helpers/counting-codec.js';
import { trackedStores } from './helpers/temp-store.js';

// Pages read from sealed blocks with a codec that has decodeRange: the first read of a block decodes
// only the page, the next one decodes the block whole into the cache. Real files, real cbor + lz4.

const stores = trackedStores();
const LOG = 'u/s/messages';
const TOTAL = 700;
const OPTS = { segmentMaxRecords: 250, blockBytes: 2048 };

/** Records of several shapes (the columnar layout keeps one column set per shape). */
function record(i: number): JsonObject {
  const base = {
    id: `msg_${i.toString(16).padStart(16, '0')}`,
    role: i % 3 === 0 ? 'assistant' : 'user',
    content: `message ${i} ✓ `.repeat(1 + (i % 9)),
  };
  switch (i % 5) {
    case 0:
      return { ...base, metadata: { tokens: i, model: null } };
    case 1:
      return { content: base.content, seq: i, tags: [`t${i % 4}`, { n: i, f: i / 8 }] };
    case 2:
      return { ...base, metadata: { tokens: i, model: 'gpt', extra: [true, false, null] } };
    default:
      return { ...base, timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString() };
  }
}

async function sealedDir(encode?: (records: readonly unknown[], n: number) => Uint8Array): Promise<string> {
  const dir = stores.temp();
  const real = new CborCodec();
  let n = 0;
  const codec: Codec = encode
    ? {
        id: real.id,
        capabilities: real.capabilities,
        encode: (r) => encode(r, n++),
        decode: (d) => real.decode(d),
      }
    : real;
  const writer = await stores.open(dir, { ...OPTS, codec, compressor: new Lz4Compressor() });
  await writer.append(
    LOG,
    Array.from({ length: TOTAL }, (_, i) => record(i)),
  );
  await writer.close();
  return dir;
}

const expected = (from: number, limit: number) =>
  Array.from({ length: Math.max(0, Math.min(limit, TOTAL - from)) }, (_, k) => ({
    seq: from + k,
    data: record(from + k),
  }));

describe('pages of sealed cbor blocks read with decodeRange', () => {
  it('return the requested records on first, second and cached reads, at any offset', async () => {
    const dir = await sealedDir();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: TOTAL - 1 }),
        fc.integer({ min: 1, max: 80 }),
        async (from, limit) => {
          // A fresh store per case: nothing cached, so the first read takes the decodeRange path.
          const { codec } = countingCbor();
          const store = await stores.open(dir, { ...OPTS, codec, compressor: new Lz4Compressor() });
          const want = expected(from, limit);
          for (let round = 0; round < 3; round++) {
            expect(await store.readLog(LOG, { fromSeq: from, limit })).toEqual(want);
          }
          expect(await store.readLog(LOG, { fromSeq: from, limit, reverse: true })).toEqual(
            expected(Math.max(0, from - limit + 1), Math.min(limit, from + 1)).reverse(),
          );
          await store.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('decode only the page on the first read of a block, the whole block on the second, nothing on the third', async () => {
    const dir = await sealedDir();
    const { codec, calls } = countingCbor();
    const store = await stores.open(dir, { ...OPTS, codec, compressor: new Lz4Compressor() });
    const page = { fromSeq: 301, limit: 1 }; // one record: inside one block
    expect(await store.readLog(LOG, page)).toEqual(expected(301, 1));
    expect(calls).toEqual({ decode: 0, decodeRange: 1 });
    expect(await store.readLog(LOG, page)).toEqual(expected(301, 1));
    expect(calls).toEqual({ decode: 1, decodeRange: 1 });
    expect(await store.readLog(LOG, page)).toEqual(expected(301, 1));
    expect(calls).toEqual({ decode: 1, decodeRange: 1 });
    // A read of every record uses whole-block decodes only.
    const all = await store.readLog(LOG, { fromSeq: 0, limit: TOTAL });
    expect(all).toEqual(expected(0, TOTAL));
    expect(calls.decodeRange).toBe(1);
  });

  it('hand out records the caller may change without changing later reads', async () => {
    const dir = await sealedDir();
    const store = await stores.open(dir, {
      ...OPTS,
      codec: new CborCodec(),
      compressor: new Lz4Compressor(),
    });
    for (let round = 0; round < 3; round++) {
      const got = await store.readLog(LOG, { fromSeq: 420, limit: 4 });
      expect(got).toEqual(expected(420, 4));
      for (const e of got) {
        (e.data as Record<string, unknown>).content = 'changed';
        (e.data as Record<string, unknown>).added = true;
      }
    }
    expect(await store.readLog(LOG, { fromSeq: 420, limit: 4 })).toEqual(expected(420, 4));
  });

  it('skip a block whose checksum is right but whose cbor is damaged, and never return wrong records', async () => {
    // Blocks 3 and 8 of the writer lose their last byte before compression: the footer checksums
    // the damaged bytes, so only the codec can notice.
    const real = new CborCodec();
    const damaged = new Set([3, 8]);
    const dir = await sealedDir((records, n) => {
      const bytes = real.encode(records);
      return damaged.has(n) ? bytes.subarray(0, bytes.length - 1) : bytes;
    });
    const check = async (from: number, limit: number) => {
      const store = await stores.open(dir, {
        ...OPTS,
        codec: new CborCodec(),
        compressor: new Lz4Compressor(),
      });
      const got = await store.readLog(LOG, { fromSeq: from, limit });
      for (const e of got) expect(e.data).toEqual(record(e.seq));
      await store.close();
      return got.length;
    };
    let short = 0;
    for (let from = 0; from < TOTAL; from += 7)
      if ((await check(from, 5)) < Math.min(5, TOTAL - from)) short++;
    // Pages that touch a damaged block come back short (its records skipped); the others are whole.
    expect(short).toBeGreaterThan(0);
    expect(short).toBeLessThan(TOTAL / 7 / 2);
    const store = await stores.open(dir, {
      ...OPTS,
      codec: new CborCodec(),
      compressor: new Lz4Compressor(),
    });
    expect((await store.verify()).issues.length).toBeGreaterThan(0);
  });
});
