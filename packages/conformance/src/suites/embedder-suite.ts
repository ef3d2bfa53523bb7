import type { Embedder } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';

export interface EmbedderSuiteOptions {
  /** The same text always gives the same vector (default true). Batch == singles is checked only then. */
  deterministic?: boolean;
  /** Tolerance for comparing vectors (default 1e-5). */
  tolerance?: number;
}

const TEXTS = [
  'Hello world',
  'The quick brown fox jumps over the lazy dog.',
  'a',
  '!!!',
  '日本語のテキスト',
  'Emoji 🚀 and naïve café',
  'x'.repeat(2000),
];

export function runEmbedderSuite(
  name: string,
  factory: () => Embedder | Promise<Embedder>,
  options: EmbedderSuiteOptions = {},
): void {
  const { deterministic = true, tolerance = 1e-5 } = options;
  const close = (a: Float32Array | undefined, b: Float32Array | undefined) =>
    a !== undefined &&
    b !== undefined &&
    a.length === b.length &&
    a.every((v, i) => Math.abs(v - (b[i] ?? Number.NaN)) <= tolerance);

  describe(`Embedder conformance: ${name}`, () => {
    it('declares its space', async () => {
      const e = await factory();
      expect(typeof e.space.provider).toBe('string');
      expect(typeof e.space.model).toBe('string');
      expect(Number.isSafeInteger(e.space.dimension) && e.space.dimension > 0).toBe(true);
    });

    it('returns one vector of the declared dimension per text, finite and non-zero', async () => {
      const e = await factory();
      const vectors = await e.embed(TEXTS);
      expect(vectors.length).toBe(TEXTS.length);
      vectors.forEach((v, i) => {
        expect(v, TEXTS[i]).toBeInstanceOf(Float32Array);
        expect(v.length, TEXTS[i]).toBe(e.space.dimension);
        expect(v.every(Number.isFinite), TEXTS[i]).toBe(true);
        expect(
          v.some((x) => x !== 0),
          `zero vector for ${JSON.stringify(TEXTS[i]?.slice(0, 20))}`,
        ).toBe(true);
      });
    });

    it('embeds an empty batch as []', async () => {
      expect(await (await factory()).embed([])).toEqual([]);
    });

    if (deterministic) {
      it('is deterministic, also across instances', async () => {
        const a = await (await factory()).embed(TEXTS);
        const b = await (await factory()).embed(TEXTS);
        a.forEach((v, i) => {
          expect(close(v, b[i]), TEXTS[i]).toBe(true);
        });
      });

      it('gives the same vectors in a batch as one by one', async () => {
        const e = await factory();
        const batch = await e.embed(TEXTS);
        for (let i = 0; i < TEXTS.length; i++) {
          const [single] = await e.embed([TEXTS[i] as string]);
          expect(close(single, batch[i]), TEXTS[i]).toBe(true);
        }
      });

      it('tells different texts apart', async () => {
        const [a, b] = await (await factory()).embed(['completely different', 'nothing alike at all']);
        expect(close(a, b)).toBe(false);
      });
    }
  });
}
