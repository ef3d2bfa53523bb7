import { FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { createHashedNgramEmbedder, dot, norm } from '../src/index.js';

describe('HashedNgramEmbedder', () => {
  const e = createHashedNgramEmbedder();

  it('is deterministic, unit length and 384-dimensional by default', async () => {
    const [a, b] = await e.embed(['The quick brown fox.', 'The quick brown fox.']);
    expect(a).toHaveLength(384);
    expect(norm(a as Float32Array)).toBeCloseTo(1, 5);
    expect(Array.from(a as Float32Array)).toEqual(Array.from(b as Float32Array));
    expect(e.space).toEqual({
      provider: 'hashed-ngram',
      model: expect.stringMatching(/^hashed-ngram-v1/),
      dimension: 384,
    });
  });

  it('scores lexical overlap: shared words and word forms above unrelated text', async () => {
    const [q, near, morph, far] = await e.embed([
      'indexing vectors for similarity search',
      'a vector index answers similarity search queries',
      'indexes and indexed vectors',
      'the orchestra played a symphony in the evening',
    ]);
    const s = (x: Float32Array | undefined) => dot(q as Float32Array, x as Float32Array);
    expect(s(near)).toBeGreaterThan(0.3);
    expect(s(morph)).toBeGreaterThan(s(far));
    expect(Math.abs(s(far))).toBeLessThan(0.15);
  });

  it('embeds punctuation-only text and refuses empty text (never a zero vector)', async () => {
    const [p] = await e.embed(['?!']);
    expect(norm(p as Float32Array)).toBeCloseTo(1, 5);
    await expect(e.embed(['   '])).rejects.toBeInstanceOf(FFValidationError);
  });

  it('records its parameters in the model name so different settings never mix', () => {
    expect(createHashedNgramEmbedder({ seed: 7 }).space.model).not.toBe(e.space.model);
    expect(createHashedNgramEmbedder({ dimension: 64 }).space.dimension).toBe(64);
    expect(() => createHashedNgramEmbedder({ dimension: 2 })).toThrow(FFValidationError);
  });
});
