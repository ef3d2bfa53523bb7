/**
 * The default embedder: works offline, needs no model download, and is deterministic.
 *
 * It is a LEXICAL-SEMANTIC embedding, not a language model: texts are similar when they share words,
 * word pairs and word fragments (character trigrams, so "index"/"indexing" overlap). It does not know
 * that "car" and "automobile" mean the same thing. Each feature is hashed (signed feature hashing) into
 * `dimension` buckets, weighted by 1 + log(tf), and the vector is L2-normalised so inner product = cosine.
 * Scores between unrelated texts sit near 0; related texts typically score 0.2-0.6 (lower than a neural
 * model would give), so use a lower similarity threshold with it.
 */
import { type Embedder, type EmbeddingSpace, FFValidationError } from '@ffdb/core-types';
import { z } from 'zod';
import { zodToValidationError } from '../index/zod-error.js';
import { STOPWORDS } from './stopwords.js';

export const HashedNgramEmbedderOptionsSchema = z.object({
  dimension: z.number().int().min(8).max(8192).default(384),
  /** Weight of word unigrams, word bigrams and character trigrams. */
  wordWeight: z.number().nonnegative().default(1),
  bigramWeight: z.number().nonnegative().default(0.25),
  charWeight: z.number().nonnegative().default(0.6),
  /** Drop common English function words from word features (they carry no topic). */
  removeStopwords: z.boolean().default(true),
  /** Seed of the feature hash: two seeds give unrelated spaces (recorded in the model name). */
  seed: z.number().int().nonnegative().max(0xffffffff).default(0),
});
export type HashedNgramEmbedderOptions = z.input<typeof HashedNgramEmbedderOptionsSchema>;

export const HASHED_NGRAM_PROVIDER = 'hashed-ngram';

// 32-bit FNV-1a over UTF-16 code units, fed incrementally so features are hashed without building
// strings, then a murmur3 finaliser for good low bits.
const FNV_OFFSET = 0x811c9dc5;
const fnv = (h: number, code: number): number => Math.imul(h ^ code, 0x01000193);
function fnvString(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = fnv(h, s.charCodeAt(i));
  return h;
}
function finalize(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
const LT = 60; // '<'
const GT = 62; // '>'
const SP = 32;

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)*/gu;

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

export class HashedNgramEmbedder implements Embedder {
  readonly id = HASHED_NGRAM_PROVIDER;
  readonly capabilities = { local: true, batch: true };
  readonly space: EmbeddingSpace;
  private readonly o: z.output<typeof HashedNgramEmbedderOptionsSchema>;

  constructor(options: HashedNgramEmbedderOptions = {}) {
    const parsed = HashedNgramEmbedderOptionsSchema.safeParse(options);
    if (!parsed.success) throw zodToValidationError(parsed.error, 'options');
    this.o = parsed.data;
    const { wordWeight, bigramWeight, charWeight, seed, removeStopwords } = this.o;
    // The model name pins every parameter that changes the vectors, so spaces never silently mix.
    const model = `hashed-ngram-v1(w${wordWeight},b${bigramWeight},c${charWeight},s${seed}${removeStopwords ? '' : ',all'})`;
    this.space = { provider: HASHED_NGRAM_PROVIDER, model, dimension: this.o.dimension };
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts))
      throw new FFValidationError([{ path: 'texts', message: 'must be an array of strings' }]);
    return texts.map((t, i) => this.embedOne(t, i));
  }

  /** Synchronous form (the embedding is pure computation). */
  embedSync(text: string): Float32Array {
    return this.embedOne(text, 0);
  }

  private embedOne(text: unknown, i: number): Float32Array {
    if (typeof text !== 'string')
      throw new FFValidationError([{ path: `texts[${i}]`, message: 'must be a string' }]);
    const { dimension, wordWeight, bigramWeight, charWeight, seed, removeStopwords } = this.o;
    // Feature hash -> term frequency, and -> the weight of its kind (word, bigram, char trigram).
    const tf = new Map<number, number>();
    const kindWeight = new Map<number, number>();
    const add = (h: number, w: number) => {
      if (w <= 0) return;
      const key = finalize(h);
      const c = tf.get(key);
      if (c === undefined) {
        tf.set(key, 1);
        kindWeight.set(key, w);
      } else tf.set(key, c + 1);
    };
    const base = (FNV_OFFSET ^ seed) | 0;
    const wordBase = fnv(fnv(base, 119 /* w */), 58 /* : */);
    const bigramBase = fnv(fnv(base, 98 /* b */), 58);
    const charBase = fnv(fnv(base, 99 /* c */), 58);
    const tokens = tokenize(text);
    const content = removeStopwords ? tokens.filter((t) => !STOPWORDS.has(t)) : tokens;
    const words = content.length ? content : tokens;
    for (let j = 0; j < words.length; j++) {
      const w = words[j] as string;
      add(fnvString(wordBase, w), wordWeight);
      const next = words[j + 1];
      if (next !== undefined) add(fnvString(fnv(fnvString(bigramBase, w), SP), next), bigramWeight);
      // Character trigrams of "<word>".
      const len = w.length + 2;
      const code = (p: number) => (p === 0 ? LT : p === len - 1 ? GT : w.charCodeAt(p - 1));
      for (let c = 0; c + 3 <= len; c++)
        add(fnv(fnv(fnv(charBase, code(c)), code(c + 1)), code(c + 2)), charWeight);
    }
    if (!tokens.length) {
      // No letters or digits (e.g. "--" or "!!!"): fall back to character trigrams of the raw symbols.
      const raw = `<${text.replace(/\s+/g, ' ').trim()}>`;
      if (raw.length > 2) {
        for (let c = 0; c + 3 <= Math.max(3, raw.length); c++) {
          add(fnvString(charBase, raw.slice(c, c + 3)), 1);
        }
      }
    }
    if (tf.size === 0) {
      throw new FFValidationError([{ path: `texts[${i}]`, message: 'is empty (nothing to embed)' }]);
    }
    const v = new Float32Array(dimension);
    const accumulate = (signed: boolean) => {
      for (const [h, count] of tf) {
        // Sublinear term frequency; the sign bit spreads collisions so they cancel instead of piling up.
        const weight = (kindWeight.get(h) as number) * (1 + Math.log(count));
        const b = h % dimension;
        v[b] = (v[b] as number) + (signed && h & 0x80000000 ? -weight : weight);
      }
    };
    accumulate(true);
    let n = 0;
    for (let j = 0; j < dimension; j++) n += (v[j] as number) * (v[j] as number);
    if (n === 0) {
      // Every feature cancelled out (possible but vanishingly rare): fall back to unsigned buckets.
      accumulate(false);
      for (let j = 0; j < dimension; j++) n += (v[j] as number) * (v[j] as number);
    }
    n = Math.sqrt(n);
    for (let j = 0; j < dimension; j++) v[j] = (v[j] as number) / n;
    return v;
  }
}

export function createHashedNgramEmbedder(options: HashedNgramEmbedderOptions = {}): HashedNgramEmbedder {
  return new HashedNgramEmbedder(options);
}
