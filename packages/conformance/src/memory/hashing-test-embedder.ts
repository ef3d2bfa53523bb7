import { type Embedder, type EmbeddingSpace, FFEmbeddingError, FFValidationError } from '@ffdb/core-types';

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A deterministic, offline test embedder: words and character trigrams hashed (FNV-1a) into signed
 * buckets, then L2-normalised. Similar texts share features, so nearest neighbours are meaningful,
 * but it is NOT a semantic model. Empty text is rejected rather than embedded as a zero vector.
 */
export class HashingTestEmbedder implements Embedder {
  readonly id = 'hashing-test';
  readonly capabilities = { local: true, batch: true };
  readonly space: EmbeddingSpace;

  constructor(options: { dimension?: number } = {}) {
    const dimension = options.dimension ?? 64;
    if (!Number.isSafeInteger(dimension) || dimension < 2 || dimension > 4096) {
      throw new FFValidationError([
        { path: 'dimension', message: 'must be an integer in 2..4096', limit: 4096 },
      ]);
    }
    this.space = { provider: 'hashing-test', model: 'fnv1a-word-trigram', dimension };
  }

  async embed(texts: readonly string[], options: { signal?: AbortSignal } = {}): Promise<Float32Array[]> {
    if (!Array.isArray(texts))
      throw new FFValidationError([{ path: 'texts', message: 'must be an array of strings' }]);
    texts.forEach((t, i) => {
      if (typeof t !== 'string' || t.length === 0)
        throw new FFValidationError([{ path: `texts.${i}`, message: 'must be a non-empty string' }]);
    });
    if (options.signal?.aborted)
      throw new FFEmbeddingError(this.space.provider, 'aborted', { cause: options.signal.reason });
    return texts.map((t) => this.embedOne(t));
  }

  private embedOne(text: string): Float32Array {
    const dim = this.space.dimension;
    const v = new Float32Array(dim);
    const lower = text.toLowerCase();
    const add = (feature: string, weight: number) => {
      const h = fnv1a(feature);
      v[h % dim] = (v[h % dim] ?? 0) + ((h >>> 31) & 1 ? -weight : weight);
    };
    for (const word of lower.match(/[\p{L}\p{N}_]+/gu) ?? []) add(`w:${word}`, 1);
    const padded = ` ${lower} `;
    for (let i = 0; i + 3 <= padded.length; i++) add(`t:${padded.slice(i, i + 3)}`, 0.5);
    let norm = 0;
    for (const x of v) norm += x * x;
    if (norm === 0) {
      // Features cancelled out (possible for tiny inputs): fall back to one bucket of the whole text.
      v[fnv1a(`x:${text}`) % dim] = 1;
      norm = 1;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let i = 0; i < dim; i++) v[i] = (v[i] ?? 0) * scale;
    return v;
  }
}

export function createHashingTestEmbedder(options: { dimension?: number } = {}): HashingTestEmbedder {
  return new HashingTestEmbedder(options);
}
