import type { Compressor } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { bytesEqual, caught, hasCode, seededBytes } from './helpers.js';

export interface CompressorSuiteOptions {
  /** `decompress` rejects bytes it did not produce with a typed ffdb error (default true). */
  detectsGarbage?: boolean;
  /** `decompress` rejects its own output cut short (default true). */
  detectsTruncation?: boolean;
  /** Highly compressible input must shrink (default true; false for `none`). */
  shrinksCompressible?: boolean;
}

function isTypedError(error: unknown): boolean {
  return ['FF_CORRUPTION', 'FF_VALIDATION', 'FF_STORAGE'].some((code) => hasCode(error, code));
}

export function runCompressorSuite(
  name: string,
  factory: () => Compressor | Promise<Compressor>,
  options: CompressorSuiteOptions = {},
): void {
  const { detectsGarbage = true, detectsTruncation = true, shrinksCompressible = true } = options;
  const text = new TextEncoder().encode('the quick brown fox jumps over the lazy dog. '.repeat(5000));

  describe(`Compressor conformance: ${name}`, () => {
    const roundTrip = async (data: Uint8Array) => {
      const c = await factory();
      const packed = c.compress(data);
      expect(packed).toBeInstanceOf(Uint8Array);
      // A fresh instance must read it: nothing may be kept per instance.
      const out = (await factory()).decompress(packed);
      expect(out.byteLength).toBe(data.byteLength);
      expect(bytesEqual(out, data)).toBe(true);
      return packed;
    };

    it('declares an id and capabilities', async () => {
      const c = await factory();
      expect(typeof c.id).toBe('string');
      expect(c.id.length).toBeGreaterThan(0);
      expect(typeof c.capabilities.streaming).toBe('boolean');
    });

    it('round-trips empty input', async () => {
      await roundTrip(new Uint8Array(0));
    });

    it('round-trips a single byte, and every byte value', async () => {
      await roundTrip(new Uint8Array([7]));
      await roundTrip(Uint8Array.from({ length: 256 }, (_, i) => i));
    });

    it('round-trips 1 MiB of random bytes', async () => {
      await roundTrip(seededBytes(1024 * 1024, 7));
    });

    it('round-trips highly compressible text', async () => {
      const packed = await roundTrip(text);
      if (shrinksCompressible) expect(packed.byteLength).toBeLessThan(text.byteLength / 4);
    });

    it('does not let callers mutate the result of another call', async () => {
      const c = await factory();
      const data = seededBytes(1000, 3);
      const packed = c.compress(data);
      const first = c.decompress(packed);
      first.fill(0);
      expect(bytesEqual(c.decompress(packed), data)).toBe(true);
    });

    if (detectsGarbage) {
      it('rejects garbage input with a typed error', async () => {
        const c = await factory();
        for (const garbage of [
          seededBytes(64, 11),
          new Uint8Array(0),
          new Uint8Array([0]),
          new TextEncoder().encode('plain text, not compressed'),
        ]) {
          expect(
            isTypedError(await caught(() => c.decompress(garbage))),
            `garbage of ${garbage.byteLength} bytes`,
          ).toBe(true);
        }
      });
    }

    if (detectsTruncation) {
      it('rejects its own output cut short with a typed error', async () => {
        const c = await factory();
        const packed = c.compress(seededBytes(4096, 5));
        const cut = packed.slice(0, Math.floor(packed.byteLength / 2));
        expect(isTypedError(await caught(() => c.decompress(cut)))).toBe(true);
      });
    }
  });
}
