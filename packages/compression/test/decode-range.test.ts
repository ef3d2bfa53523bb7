import { readFileSync } from 'node:fs';
import { inspect, isDeepStrictEqual } from 'node:util';
import { FFCorruptionError, FFError, FFValidationError } from '@ffdb/core-types';
import { encode as encodePlain } from 'cbor-x';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CborCodec, Lz4Compressor } from '../src/index.js';
import { chatMessages, mulberry32 } from './fixtures.js';

/** Records of several shapes, non-object records and values that make the walker defer to decode. */
function mixedRecords(n: number, seed: number): unknown[] {
  const rand = mulberry32(seed);
  const chat = chatMessages(n, seed);
  return chat.map((m, i) => {
    switch (Math.floor(rand() * 9)) {
      case 0:
        return { ...m, extra: i % 7 === 0 ? [1, { deep: 'x' }] : null };
      case 1:
        return { role: m.role, content: m.content };
      case 2:
        return i % 2 ? null : `plain string ${i} ✓`;
      case 3:
        return [i, 'array record', { a: i }];
      case 4:
        return -i * 1.5;
      case 5:
        return { ...m, metadata: { tokens: i, scores: [0.25, -1e300, 2 ** 40] } };
      default:
        return m;
    }
  });
}

/** Deep equality that also holds for two invalid Dates (a damaged tag can make one; NaN !== NaN). */
function same(a: unknown, b: unknown): boolean {
  const opts = { depth: Number.POSITIVE_INFINITY, maxArrayLength: Number.POSITIVE_INFINITY };
  return isDeepStrictEqual(a, b) || inspect(a, opts) === inspect(b, opts);
}

const variants = [
  ['records, columnar', new CborCodec()],
  ['records, row-wise', new CborCodec({ columnar: false })],
  ['plain, columnar', new CborCodec({ records: false })],
  ['plain, row-wise', new CborCodec({ records: false, columnar: false })],
] as const;

describe.each(variants)('CborCodec.decodeRange (%s)', (_name, codec) => {
  const records = mixedRecords(300, 7);
  const block = codec.encode(records);

  it('equals decode().slice() at the block edges', () => {
    const n = records.length;
    for (const [from, count] of [
      [0, 1],
      [0, n],
      [n - 1, 1],
      [0, 0],
      [n, 0],
      [1, n - 1],
      [0, n - 1],
      [n - 50, 50],
    ] as const) {
      expect(codec.decodeRange(block, from, count)).toEqual(records.slice(from, from + count));
    }
  });

  it('equals decode().slice() over random ranges of random blocks', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.nat(),
        fc.nat(),
        (n, seed, a, b) => {
          const recs = mixedRecords(n, seed);
          const bytes = codec.encode(recs);
          const from = n === 0 ? 0 : a % (n + 1);
          const count = b % (n - from + 1);
          const got = codec.decodeRange(bytes, from, count);
          return isDeepStrictEqual(got, codec.decode(bytes).slice(from, from + count));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('returns fresh records (changing one does not change a later decode)', () => {
    const first = codec.decodeRange(block, 0, 5) as Record<string, unknown>[];
    (first[0] as Record<string, unknown>).content = 'changed';
    expect(codec.decodeRange(block, 0, 5)).toEqual(records.slice(0, 5));
  });

  it('rejects a range outside the block and bad arguments with FFValidationError', () => {
    const n = records.length;
    expect(() => codec.decodeRange(block, n, 1)).toThrow(FFValidationError);
    expect(() => codec.decodeRange(block, 0, n + 1)).toThrow(FFValidationError);
    expect(() => codec.decodeRange(block, n + 1, 0)).toThrow(FFValidationError);
    for (const [from, count] of [
      [-1, 1],
      [0, -1],
      [0.5, 1],
      [0, Number.NaN],
      [Number.POSITIVE_INFINITY, 0],
    ])
      expect(() => codec.decodeRange(block, from as number, count as number)).toThrow(FFValidationError);
    expect(() => codec.decodeRange('nope' as never, 0, 1)).toThrow(FFValidationError);
  });

  it('throws FFCorruptionError on every truncation of a block', () => {
    const small = codec.encode(mixedRecords(12, 3));
    for (let len = 0; len < small.length; len++) {
      expect(() => codec.decodeRange(small.subarray(0, len), 0, 1)).toThrow(FFCorruptionError);
    }
  });

  it('never returns records that differ from a full decode of damaged bytes', () => {
    const small = codec.encode(mixedRecords(16, 5));
    fc.assert(
      fc.property(
        fc.integer({ min: 12, max: small.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.integer({ min: 0, max: 15 }),
        fc.integer({ min: 1, max: 16 }),
        (at, xor, from, want) => {
          const bad = small.slice();
          bad[at] = (bad[at] as number) ^ xor;
          const count = Math.min(want, 16 - from);
          let full: unknown[] | undefined;
          try {
            full = codec.decode(bad);
          } catch {
            full = undefined;
          }
          let part: unknown[];
          try {
            part = codec.decodeRange(bad, from, count);
          } catch (err) {
            // Typed errors only (a range past a damaged block's end is the caller's range error).
            return err instanceof FFCorruptionError || err instanceof FFValidationError;
          }
          return full !== undefined && same(part, full.slice(from, from + count));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('CborCodec.decodeRange on blocks the walker leaves to decode', () => {
  const codec = new CborCodec();

  it('handles more record shapes than cbor-x shares (inline record definitions)', () => {
    const shapes = Array.from({ length: 600 }, (_, i) => ({
      id: i,
      [`field_${i}`]: `v${i}`,
      meta: { [`k${i}`]: i },
    }));
    const block = codec.encode(shapes);
    expect(codec.decodeRange(block, 590, 10)).toEqual(shapes.slice(590, 600));
    expect(codec.decodeRange(block, 0, 3)).toEqual(shapes.slice(0, 3));
  });

  it('handles tagged values (dates) and records with an own __proto__ key', () => {
    const odd = JSON.parse('{"__proto__": {"x": 1}, "a": 2}') as unknown;
    const recs = [{ at: new Date(0) }, odd, { a: 1 }, Object.create(null) as unknown];
    const block = codec.encode(recs);
    expect(codec.decodeRange(block, 0, 4)).toEqual(codec.decode(block));
    const [back] = codec.decodeRange(block, 1, 1) as Record<string, unknown>[];
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    // cbor-x renames an own `__proto__` key (to `__proto_`) in decode too: the range read agrees.
    expect(back).toEqual(codec.decode(block)[1]);
  });

  it('reads the v1 fixture blocks (columnar and row-wise) like decode', () => {
    const lz4 = new Lz4Compressor();
    const dir = new URL('./fixtures/', import.meta.url);
    const blocks = [
      readFileSync(new URL('cbor-v1.bin', dir)),
      readFileSync(new URL('cbor-columnar-v1.bin', dir)),
      lz4.decompress(readFileSync(new URL('cbor-lz4-v1.bin', dir))),
    ];
    for (const raw of blocks) {
      const bytes = new Uint8Array(raw);
      const all = codec.decode(bytes);
      expect(all.length).toBeGreaterThan(2);
      for (let from = 0; from < all.length; from++)
        expect(codec.decodeRange(bytes, from, all.length - from)).toEqual(all.slice(from));
    }
  });
});

describe('CborCodec.decodeRange on hostile blocks', () => {
  const codec = new CborCodec();
  const header = (table: Uint8Array, flags = 3) => {
    const h = new Uint8Array(12);
    h.set([0x89, 0x46, 0x43, 0x42, 1, flags]);
    new DataView(h.buffer).setUint32(8, table.length, true);
    return h;
  };
  const block = (body: unknown, flags = 3) => {
    const table = encodePlain([]);
    const b = encodePlain(body);
    const out = new Uint8Array(12 + table.length + b.length);
    out.set(header(table, flags));
    out.set(table, 12);
    out.set(b, 12 + table.length);
    return out;
  };

  it.each([
    ['a shape index out of range', [[['a']], [0, 5], [[[1, 2]]], []]],
    ['a negative shape index', [[['a']], [0, -2], [[[1, 2]]], []]],
    ['a column shorter than its shape', [[['a']], [0, 0, 0], [[[1, 2]]], []]],
    ['a missing column set', [[['a']], [0], [], []]],
    ['too few others', [[['a']], [-1, -1], [[[]]], [1]]],
    ['unused others', [[['a']], [0], [[[1]]], [1, 2]]],
    ['a __proto__ key', [[['__proto__']], [0], [[[{ polluted: true }]]], []]],
    ['not four parts', [[['a']], [0], [[[1]]]]],
    ['a non-array order', [[['a']], 'x', [[[1]]], []]],
  ])('rejects %s with FFCorruptionError (as decode does)', (_name, body) => {
    const bytes = block(body);
    expect(() => codec.decode(bytes)).toThrow(FFCorruptionError);
    expect(() => codec.decodeRange(bytes, 0, 1)).toThrow(FFCorruptionError);
  });

  it('rejects bytes after the body and a huge declared count', () => {
    const good = block([[['a']], [0, 0], [[[1, 2]]], []]);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good);
    expect(() => codec.decode(trailing)).toThrow(FFCorruptionError);
    expect(() => codec.decodeRange(trailing, 0, 1)).toThrow(FFCorruptionError);
    // The order array claims 2^32-1 records: a typed error, no huge allocation or long loop.
    const at = good.indexOf(0x82, 14);
    const huge = new Uint8Array([
      ...good.subarray(0, at),
      0x9a,
      0xff,
      0xff,
      0xff,
      0xff,
      ...good.subarray(at + 1),
    ]);
    expect(() => codec.decodeRange(huge, 0, 1)).toThrow(FFError);
  });

  it('rejects foreign bytes and a wrong version', () => {
    expect(() => codec.decodeRange(Uint8Array.of(1, 2, 3), 0, 1)).toThrow(FFCorruptionError);
    const bytes = codec.encode(chatMessages(3));
    bytes[4] = 9;
    expect(() => codec.decodeRange(bytes, 0, 1)).toThrow(FFCorruptionError);
  });
});
