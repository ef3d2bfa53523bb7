import { readFileSync } from 'node:fs';
import { createCompressor } from '@ffdb/compression';
import { type Compressor, FFCorruptionError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { BufferPool } from '../src/buffer-pool.js';
import { Segment } from '../src/segment.js';
import { buildSegment } from '../src/segment-builder.js';
import { decodeSegment, encodeSegment, packSegment, unpackSegment } from '../src/segment-codec.js';
import { Tail } from '../src/tail.js';

const lz4 = createCompressor({ algorithm: 'lz4' });

/** The real lz4 compressor, counting its decompressions (to see which chunks a load touches). */
function counting(inner: Compressor): Compressor & { calls: number } {
  return {
    id: inner.id,
    capabilities: inner.capabilities,
    calls: 0,
    compress: (d) => inner.compress(d),
    decompress(d) {
      this.calls++;
      return inner.decompress(d);
    },
  };
}

const VOCAB = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'kubernetes', 'kube', 'café', 'über'];
const MORE = ['ｆｕｌｌ', 'naïve', '日本語', '𝒳mark', 'zulu', 'testing', 'tested', 'tests', 'yankee', 'xray'];

/** The documents of test/fixtures/segment-format1.lz4.ffseg (written by the format-1 code, commit 1931bba). */
async function fixtureTwin(): Promise<Segment> {
  const all = [...VOCAB, ...MORE];
  const tail = new Tail();
  for (let i = 0; i < 300; i++) {
    const words = [0, 1, 2, 3].map((k) => all[(i * 7 + k * 3) % all.length]);
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    tail.add({
      id: `v1-m${i}`,
      sessionId: `s${i % 4}`,
      type: 'message',
      role: i % 2 ? 'user' : 'assistant',
      timestamp,
      tsMs: Date.parse(timestamp),
      content: `${words.join(' ')} number${i} repeated ${'testing '.repeat(i % 5)}`,
      title: undefined,
      metadata: undefined,
    });
  }
  return (await buildSegment('seg-000000', [tail])).segment;
}

async function bigSegment(count: number): Promise<Segment> {
  const tail = new Tail();
  for (let i = 0; i < count; i++) {
    const words = Array.from({ length: 12 }, (_, k) => VOCAB[(i * 3 + k * 7) % VOCAB.length]);
    const timestamp = new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString();
    tail.add({
      id: `m${i}`,
      sessionId: `s${i % 3}`,
      type: 'message',
      role: 'user',
      timestamp,
      tsMs: Date.parse(timestamp),
      content: `${words.join(' ')} item${i} ${'some longer filler text so contents span many chunks '.repeat(2)}`,
      title: undefined,
      metadata: undefined,
    });
  }
  return (await buildSegment('seg-000001', [tail])).segment;
}

function load(blob: Uint8Array, c: Compressor, pool?: BufferPool): Segment {
  const raw = unpackSegment(blob, c, 'k', pool);
  return new Segment(decodeSegment(raw, 'k', pool), undefined, raw.owned, raw.deleted);
}

/** Every lookup, posting and record of `got` equals `want`'s (compared in bulk: one expect each). */
function expectSame(got: Segment, want: Segment): void {
  const terms = [...want.allTerms()];
  expect([...got.allTerms()]).toEqual(terms);
  const lookups = (s: Segment) =>
    [...terms, 'nope', '', '\uffff'].map((t) => {
      const p = s.postings(t);
      return [
        s.termIndex(t),
        p ? Array.from({ length: p.end - p.start }, (_, i) => p.docs[p.start + i]) : null,
        p ? Array.from({ length: p.end - p.start }, (_, i) => p.tfs[p.start + i]) : null,
      ];
    });
  expect(lookups(got)).toEqual(lookups(want));
  const prefixes = (s: Segment) =>
    ['k', 'caf', 'ｆ', '日', '𝒳', 'te', 'x'].map((p) => s.termsWithPrefix(p, 50));
  expect(prefixes(got)).toEqual(prefixes(want));
  const records = (s: Segment) => Array.from({ length: want.size }, (_, d) => s.record(d));
  expect(records(got)).toEqual(records(want));
}

describe('segment format', () => {
  it('a format-1 blob (all chunks compressed, wide postings) still loads and answers like a new build', async () => {
    const blob = new Uint8Array(
      readFileSync(new URL('./fixtures/segment-format1.lz4.ffseg', import.meta.url)),
    );
    expect(new DataView(blob.buffer, blob.byteOffset).getUint32(4, true)).toBe(1); // really format 1
    const twin = await fixtureTwin();
    expectSame(load(blob, lz4), twin);
    expectSame(load(blob, lz4, new BufferPool()), twin);
  });

  it('stores postings narrow and the index part as is: a load decompresses nothing, a hit one content chunk', async () => {
    const built = await bigSegment(2000);
    const blob = await packSegment(encodeSegment(built.data), lz4);
    const c = counting(lz4);
    const pool = new BufferPool();
    const loaded = load(blob, c, pool);
    expect(loaded.data.postDocs).toBeInstanceOf(Uint16Array);
    expect(loaded.data.postTf).toBeInstanceOf(Uint8Array);
    expect(loaded.df('kubernetes')).toBe(built.df('kubernetes'));
    expect(c.calls).toBe(0); // terms, postings and columns were read without decompressing
    expect(loaded.record(1000)).toEqual(built.record(1000));
    expect(c.calls).toBe(1); // only the small chunk holding that content
    expectSame(loaded, built);
    const contentChunks = c.calls;
    expect(contentChunks).toBeGreaterThan(4);
    expect(loaded.record(3)).toEqual(built.record(3));
    expect(c.calls).toBe(contentChunks); // decompressed once, kept
    // The blob is still compressed overall (contents are most of it).
    expect(blob.byteLength).toBeLessThan(encodeSegment(built.data).byteLength * 0.8);
  });

  it('compressIndex compresses the index part too and answers the same', async () => {
    const built = await bigSegment(600);
    const plain = await packSegment(encodeSegment(built.data), lz4);
    const packed = await packSegment(encodeSegment(built.data), lz4, { compressIndex: true });
    expect(packed.byteLength).toBeLessThan(plain.byteLength);
    const c = counting(lz4);
    const loaded = load(packed, c);
    expect(c.calls).toBeGreaterThan(0);
    expectSame(loaded, built);
  });

  it('a blob of an unknown version or with a damaged chunk is a corruption error', async () => {
    const built = await bigSegment(300);
    const blob = await packSegment(encodeSegment(built.data), lz4);
    const future = blob.slice();
    new DataView(future.buffer).setUint32(4, 3, true);
    expect(() => load(future, lz4)).toThrow(FFCorruptionError);
    const damaged = blob.slice(0, blob.byteLength - 10);
    expect(() => load(damaged, lz4)).toThrow(FFCorruptionError);
  });
});
