import { readFileSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import { FFCorruptionError, FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import {
  CborCodec,
  createCodec,
  decompressAuto,
  JsonCodec,
  Lz4Compressor,
  NoneCompressor,
} from '../src/index.js';
import { chatMessages } from './fixtures.js';

const messages = chatMessages(300, 11);

describe.each([
  ['cbor records columnar', new CborCodec()],
  ['cbor records row-wise', new CborCodec({ columnar: false })],
  ['cbor plain columnar', new CborCodec({ records: false })],
  ['cbor plain row-wise', new CborCodec({ records: false, columnar: false })],
  ['json', new JsonCodec()],
] as const)('%s', (_name, codec) => {
  it('round-trips chat messages', () => {
    expect(codec.decode(codec.encode(messages))).toEqual(messages);
  });

  it('round-trips an empty block and odd JSON values', () => {
    expect(codec.decode(codec.encode([]))).toEqual([]);
    const odd = [
      null,
      0,
      -1.5,
      'text',
      true,
      [],
      {},
      { '': 'empty key', 'a.b': [1, [2, [3]]] },
      '\u2028\n\r\t"\\',
    ];
    expect(codec.decode(codec.encode(odd))).toEqual(odd);
  });

  it('round-trips records with many different shapes (beyond cbor-x shared-structure limits)', () => {
    const shapes = Array.from({ length: 600 }, (_, i) => ({
      id: i,
      [`field_${i}`]: `v${i}`,
      meta: { [`k${i % 40}`]: i },
    }));
    expect(codec.decode(codec.encode(shapes))).toEqual(shapes);
  });

  it('rejects foreign bytes with FFCorruptionError', () => {
    const junk = Uint8Array.of(0x89, 0x46, 0x43, 0x42, 1, 1, 0, 0, 255, 255, 0, 0, 1, 2);
    expect(() => codec.decode(junk)).toThrow(FFCorruptionError);
    expect(() => codec.decode(Uint8Array.of(0xff, 0xfe, 0x00, 0x7b))).toThrow(FFCorruptionError);
  });

  it('rejects a non-array with FFValidationError', () => {
    expect(() => codec.encode('nope' as never)).toThrow(FFValidationError);
  });
});

describe('cbor codec', () => {
  it('keeps binary and rich types (Date, Uint8Array, Map, undefined, bigint)', () => {
    const rich = [
      {
        at: new Date(1_700_000_000_000),
        bytes: Uint8Array.of(0, 255),
        map: new Map([[1, 'a']]),
        u: undefined,
        big: 2n ** 70n,
      },
    ];
    const out = new CborCodec().decode(new CborCodec().encode(rich));
    expect(isDeepStrictEqual(out, rich)).toBe(true);
  });

  it('keeps key order, mixed shapes and non-object records in their places (columnar)', () => {
    const mixed: unknown[] = [
      { b: 1, a: 2 },
      { a: 3, b: 4 },
      [1, 2],
      'text',
      null,
      { b: 5, a: 6 },
      new Date(5),
      Object.assign(Object.create(null), { x: 1 }),
      JSON.parse('{"__proto__": {"polluted": true}, "y": 1}'),
      {},
      { b: undefined, a: 7 },
    ];
    const out = new CborCodec().decode(new CborCodec().encode(mixed));
    expect(isDeepStrictEqual(out.slice(0, 7), mixed.slice(0, 7))).toBe(true);
    expect(Object.keys(out[0] as object)).toEqual(['b', 'a']);
    expect(Object.keys(out[1] as object)).toEqual(['a', 'b']);
    expect((out[7] as { x: number }).x).toBe(1);
    // cbor-x renames an own `__proto__` key (its guard against prototype pollution); nothing leaks.
    expect((out[8] as { y: number }).y).toBe(1);
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(out[9]).toEqual({});
    expect(Object.keys(out[10] as object)).toEqual(['b', 'a']);
  });

  it('rejects a block with unknown flags', () => {
    const block = new CborCodec().encode(messages.slice(0, 3));
    block[5] = (block[5] ?? 0) | 0x80;
    expect(() => new CborCodec().decode(block)).toThrow(FFCorruptionError);
  });

  it('rejects an inconsistent columnar body', () => {
    const block = new CborCodec({ records: false }).encode([{ a: 1 }, { a: 2 }]);
    const tampered = new CborCodec({ records: false, columnar: false }).encode([
      [['a'], ['a']],
      [0, 1],
      [[[1]]],
      [],
    ]);
    tampered[5] = 2; // claim columnar: shapes has 2 entries but only one column set
    expect(() => new CborCodec().decode(tampered)).toThrow(FFCorruptionError);
    expect(new CborCodec().decode(block)).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('records make blocks smaller than plain CBOR', () => {
    expect(new CborCodec().encode(messages).length).toBeLessThan(
      new CborCodec({ records: false }).encode(messages).length,
    );
  });

  it('blocks are independent: each decodes with a fresh codec, in any order', () => {
    const writer = new CborCodec();
    const a = writer.encode(messages.slice(0, 100));
    const b = writer.encode([{ other: 1, shape: 2 }, ...messages.slice(100, 150)]);
    expect(new CborCodec().decode(b)).toEqual([{ other: 1, shape: 2 }, ...messages.slice(100, 150)]);
    expect(new CborCodec().decode(a)).toEqual(messages.slice(0, 100));
  });

  it('a fresh process decodes blocks written by an earlier one (golden v1 fixtures)', () => {
    const fixture = (name: string) =>
      new Uint8Array(readFileSync(new URL(`fixtures/${name}`, import.meta.url)));
    const expected = JSON.parse(new TextDecoder().decode(fixture('records-v1.json')));
    expect(new CborCodec().decode(fixture('cbor-v1.bin'))).toEqual(expected);
    expect(new CborCodec().decode(new Lz4Compressor().decompress(fixture('cbor-lz4-v1.bin')))).toEqual(
      expected,
    );
    expect(new JsonCodec().decode(decompressAuto(fixture('json-brotli-v1.bin')))).toEqual(expected);
    expect(new JsonCodec().decode(new NoneCompressor().decompress(fixture('json-none-v1.bin')))).toEqual(
      expected,
    );
  });

  it('re-encoding the fixture records gives the same bytes (the v1 format has not drifted)', () => {
    const fixture = (name: string) =>
      new Uint8Array(readFileSync(new URL(`fixtures/${name}`, import.meta.url)));
    const expected = JSON.parse(new TextDecoder().decode(fixture('records-v1.json')));
    const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));
    expect(same(new CborCodec({ columnar: false }).encode(expected), fixture('cbor-v1.bin'))).toBe(true);
    expect(same(new CborCodec().encode(expected), fixture('cbor-columnar-v1.bin'))).toBe(true);
    expect(new CborCodec().decode(fixture('cbor-columnar-v1.bin'))).toEqual(expected);
  });

  it('a damaged structures table or body is FFCorruptionError, not garbage', () => {
    const block = new CborCodec().encode(messages);
    expect(() => new CborCodec().decode(block.subarray(0, block.length - 10))).toThrow(FFCorruptionError);
    const bad = block.slice();
    bad[8] = 0xff; // table length beyond the block
    expect(() => new CborCodec().decode(bad)).toThrow(FFCorruptionError);
  });
});

describe('json codec', () => {
  it('writes one JSON line per record, readable as text', () => {
    const text = new TextDecoder().decode(new JsonCodec().encode([{ a: 1 }, { b: 'x\ny' }]));
    expect(text).toBe('{"a":1}\n{"b":"x\\ny"}\n');
  });

  it('skips blank lines but treats a missing final newline as truncation', () => {
    expect(new JsonCodec().decode(new TextEncoder().encode('{"a":1}\n\n{"b":2}\n'))).toEqual([
      { a: 1 },
      { b: 2 },
    ]);
    expect(() => new JsonCodec().decode(new TextEncoder().encode('{"a":1}\n{"b":2}'))).toThrow(
      FFCorruptionError,
    );
    expect(() => new JsonCodec().decode(new TextEncoder().encode('{"a":1}\n12'))).toThrow(FFCorruptionError);
  });

  it('names the bad line without echoing its content', () => {
    try {
      new JsonCodec().decode(new TextEncoder().encode('{"a":1}\n{"secret": nope}\n'));
      expect.unreachable();
    } catch (e) {
      expect(FFCorruptionError.isInstance(e)).toBe(true);
      expect((e as Error).message).toContain('line 2');
      expect((e as Error).message).not.toContain('secret');
    }
  });

  it('rejects values JSON cannot hold, naming the record', () => {
    try {
      new JsonCodec().encode([{ ok: 1 }, undefined]);
      expect.unreachable();
    } catch (e) {
      expect((e as FFValidationError).issues[0]?.path).toBe('records.1');
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => new JsonCodec().encode([cyclic])).toThrow(FFValidationError);
  });
});

describe('createCodec', () => {
  it('builds each format and rejects unknown ones', () => {
    expect(createCodec({ format: 'cbor' })).toBeInstanceOf(CborCodec);
    expect(createCodec({ format: 'json' })).toBeInstanceOf(JsonCodec);
    expect(createCodec({ format: 'cbor', records: false }).id).toBe('cbor');
    expect(() => createCodec({ format: 'msgpack' } as never)).toThrow(FFValidationError);
    expect(() => createCodec({ format: 'json', pretty: true } as never)).toThrow(FFValidationError);
  });
});
