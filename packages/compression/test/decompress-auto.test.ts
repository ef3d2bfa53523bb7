import { deflateSync, gzipSync } from 'node:zlib';
import { FFCorruptionError, FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import {
  BrotliCompressor,
  decompressAuto,
  detectCompression,
  detectLegacyFormat,
  GzipReader,
  inflateLegacy,
  Lz4Compressor,
  NoneCompressor,
} from '../src/index.js';
import { chatJsonl } from './fixtures.js';

const data = chatJsonl(200, 5);
const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('legacy gzip/zlib (files of the original Python store)', () => {
  it('detects gzip and every zlib level header, including level 9 (78 da) the original missed', () => {
    expect(detectLegacyFormat(gzipSync(data))).toBe('gzip');
    const seen = new Set<string>();
    for (let level = 1; level <= 9; level++) {
      const z = deflateSync(data, { level });
      expect(detectLegacyFormat(z)).toBe('zlib');
      seen.add(Buffer.from(z.subarray(0, 2)).toString('hex'));
      expect(same(inflateLegacy(z), data)).toBe(true);
    }
    expect([...seen].sort()).toEqual(['7801', '785e', '789c', '78da']);
  });

  it('GzipReader reads what Python gzip/zlib write', () => {
    const reader = new GzipReader();
    expect(same(reader.decompress(gzipSync(data, { level: 6 })), data)).toBe(true);
    expect(same(reader.decompress(deflateSync(data, { level: 9 })), data)).toBe(true);
  });

  it('damaged gzip throws FFCorruptionError', () => {
    const gz = gzipSync(data);
    const bad = Buffer.from(gz);
    bad[bad.length - 5] = (bad[bad.length - 5] ?? 0) ^ 0xff; // CRC/size trailer
    expect(() => inflateLegacy(bad)).toThrow(FFCorruptionError);
    expect(() => inflateLegacy(gz.subarray(0, gz.length / 2))).toThrow(FFCorruptionError);
  });

  it('text starting with "x" is not mistaken for zlib', () => {
    expect(detectLegacyFormat(new TextEncoder().encode('x\u00da hello'))).toBeUndefined();
    expect(detectLegacyFormat(new TextEncoder().encode('xyz'))).toBeUndefined();
  });
});

describe('decompressAuto', () => {
  it('reads every format ffdb writes or imports', () => {
    const cases: [string, Uint8Array][] = [
      ['lz4', new Lz4Compressor().compress(data)],
      ['brotli', new BrotliCompressor({ quality: 6 }).compress(data)],
      ['none', new NoneCompressor().compress(data)],
      ['gzip', gzipSync(data)],
      ['zlib', deflateSync(data, { level: 9 })],
    ];
    for (const [kind, bytes] of cases) {
      expect(detectCompression(bytes)).toBe(kind);
      expect(same(decompressAuto(bytes), data), kind).toBe(true);
    }
  });

  it('passes plain data through by default and rejects it with passthrough: false', () => {
    expect(detectCompression(data)).toBeUndefined();
    expect(same(decompressAuto(data), data)).toBe(true);
    expect(() => decompressAuto(data, { passthrough: false })).toThrow(FFCorruptionError);
  });

  it('never passes a damaged ffdb block through as data', () => {
    const packed = new Lz4Compressor().compress(data);
    packed[20] = (packed[20] ?? 0) ^ 1;
    expect(() => decompressAuto(packed)).toThrow(FFCorruptionError);
    const unknownAlgo = new NoneCompressor().compress(data);
    unknownAlgo[5] = 77;
    expect(() => decompressAuto(unknownAlgo)).toThrow(FFCorruptionError);
    expect(() => decompressAuto(packed.subarray(0, 8))).toThrow(FFCorruptionError);
  });

  it('bounds what gzip input may inflate to (zip bombs)', () => {
    const bomb = gzipSync(new Uint8Array(5_000_000));
    expect(bomb.length).toBeLessThan(10_000);
    expect(() => decompressAuto(bomb, { maxOutputBytes: 1_000_000 })).toThrow(FFCorruptionError);
    expect(decompressAuto(bomb).length).toBe(5_000_000);
  });

  it('validates its argument', () => {
    expect(() => decompressAuto('x' as never)).toThrow(FFValidationError);
  });
});
