import type { Codec } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { caught, hasCode, seededRandom } from './helpers.js';

export interface CodecSuiteOptions {
  /** `decode` rejects bytes that are not a block of this codec with a typed error (default true). */
  detectsGarbage?: boolean;
}

/** Records like the ones ffdb stores: messages with nested metadata, unicode, empty arrays. */
export function sampleRecords(n: number, seed = 1): Record<string, unknown>[] {
  const rnd = seededRandom(seed);
  const words = ['hello', 'wörld', '日本語', '🌍', 'naïve', 'line\nbreak', 'tab\tand "quotes"', '\\', ''];
  return Array.from({ length: n }, (_, i) => ({
    messageId: `msg_${i.toString(16).padStart(12, '0')}`,
    role: i % 3 === 0 ? 'user' : i % 3 === 1 ? 'assistant' : 'persona_expert',
    content: Array.from(
      { length: 1 + Math.floor(rnd() * 8) },
      () => words[Math.floor(rnd() * words.length)],
    ).join(' '),
    timestamp: new Date(Date.UTC(2025, 0, 1) + i * 1000).toISOString(),
    seq: i,
    score: Math.round(rnd() * 1e6) / 1e3,
    negative: -i - 1,
    flag: i % 2 === 0,
    nothing: null,
    attachments: [],
    metadata:
      i % 4 === 0 ? {} : { nested: { deep: { value: i, list: [1, 'two', { three: 3 }] } }, tags: ['a', 'b'] },
  }));
}

export function runCodecSuite(
  name: string,
  factory: () => Codec | Promise<Codec>,
  options: CodecSuiteOptions = {},
): void {
  const { detectsGarbage = true } = options;

  describe(`Codec conformance: ${name}`, () => {
    // Every decode happens in a fresh instance: a block must carry everything its decoder needs.
    const roundTrip = async (records: unknown[]) => {
      const bytes = (await factory()).encode(records);
      expect(bytes).toBeInstanceOf(Uint8Array);
      expect((await factory()).decode(bytes)).toEqual(records);
    };

    it('declares an id and capabilities', async () => {
      const c = await factory();
      expect(typeof c.id).toBe('string');
      expect(c.id.length).toBeGreaterThan(0);
      expect(typeof c.capabilities.binary).toBe('boolean');
    });

    it('round-trips an empty block', async () => {
      await roundTrip([]);
    });

    it('round-trips one record and many records', async () => {
      await roundTrip(sampleRecords(1));
      await roundTrip(sampleRecords(2000, 9));
    });

    it('round-trips strings, numbers, nested objects, unicode and empty containers', async () => {
      await roundTrip([
        {
          s: '',
          u: 'ünïcødé 🚀 \u2028 \u{1F600}',
          n: 0,
          f: Math.PI,
          neg: -42,
          big: Number.MAX_SAFE_INTEGER,
        },
        { empty: [], emptyObj: {}, nested: { a: { b: { c: [[], [{}], [1, [2, [3]]]] } } } },
        { mixed: [1, 'a', null, true, false, { x: 1 }] },
      ]);
    });

    it('decodes blocks of the same shape in a fresh instance after encoding another shape', async () => {
      // cbor record structures must be in the block, not remembered by the encoder.
      const encoder = await factory();
      const first = encoder.encode(sampleRecords(50, 1));
      const second = encoder.encode(sampleRecords(50, 2));
      expect((await factory()).decode(second)).toEqual(sampleRecords(50, 2));
      expect((await factory()).decode(first)).toEqual(sampleRecords(50, 1));
    });

    it('decodeRange (when implemented) equals decode().slice for every kind of range', async () => {
      const c = await factory();
      if (!c.decodeRange) return; // optional on the port: nothing to check for this codec
      const records = [
        ...sampleRecords(120, 4),
        'a bare string',
        42,
        null,
        [1, { two: 2 }],
        ...sampleRecords(30, 5),
      ];
      const bytes = c.encode(records);
      const fresh = await factory();
      const ranges: [number, number][] = [
        [0, 0],
        [0, 1],
        [0, records.length],
        [records.length - 1, 1],
        [records.length, 0],
        [119, 6],
        [50, 50],
      ];
      const rnd = seededRandom(11);
      for (let i = 0; i < 40; i++) {
        const from = Math.floor(rnd() * records.length);
        ranges.push([from, Math.floor(rnd() * (records.length - from + 1))]);
      }
      for (const [from, count] of ranges) {
        expect(fresh.decodeRange?.(bytes, from, count)).toEqual(records.slice(from, from + count));
      }
      const past = await caught(() => fresh.decodeRange?.(bytes, records.length - 2, 3));
      expect(['FF_CORRUPTION', 'FF_VALIDATION'].some((code) => hasCode(past, code))).toBe(true);
    });

    if (detectsGarbage) {
      it('rejects garbage with a typed error', async () => {
        const c = await factory();
        const garbage = Uint8Array.from({ length: 64 }, (_, i) => (i * 131 + 7) & 0xff);
        const error = await caught(() => c.decode(garbage));
        expect(['FF_CORRUPTION', 'FF_VALIDATION'].some((code) => hasCode(error, code))).toBe(true);
      });
    }
  });
}
