/**
 * Vector benchmark data: embeddings of real text, not random vectors. The standard Brown chat corpus
 * (corpus.ts, seed 42) is embedded with ffdb's default embedder (hashed word/char n-grams, 384 dims);
 * queries are other corpus messages (seed 99). Exact top-10 comes from the plain-JS brute-force scan.
 */
import { createHashedNgramEmbedder } from '@ffdb/vector-faiss';
import { generateMessages } from '../corpus.js';
import { nowMs } from '../stats.js';

export interface VectorData {
  dimension: number;
  n: number;
  /** n rows of unit vectors, row-major. */
  base: Float32Array;
  queries: Float32Array[];
  embedMs: number;
}

export async function loadVectorData(n: number, nq: number): Promise<VectorData> {
  const embedder = createHashedNgramEmbedder();
  const d = embedder.space.dimension;
  const texts = generateMessages(n).map((m) => m.content);
  const t0 = nowMs();
  const base = new Float32Array(n * d);
  for (let i = 0; i < n; i++) base.set(embedder.embedSync(texts[i] as string), i * d);
  const embedMs = nowMs() - t0;
  const queries = generateMessages(nq, { seed: 99 }).map((m) => embedder.embedSync(m.content));
  return { dimension: d, n, base, queries, embedMs };
}

/** Plain-JS exact search: 4-way unrolled dot products over one Float32Array, top-k by insertion. */
export function bruteForce(
  base: Float32Array,
  n: number,
  d: number,
  q: Float32Array,
  k: number,
): { ids: Int32Array; scores: Float32Array } {
  const ids = new Int32Array(k).fill(-1);
  const scores = new Float32Array(k).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const o = i * d;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let j = 0;
    for (; j + 3 < d; j += 4) {
      s0 += (base[o + j] as number) * (q[j] as number);
      s1 += (base[o + j + 1] as number) * (q[j + 1] as number);
      s2 += (base[o + j + 2] as number) * (q[j + 2] as number);
      s3 += (base[o + j + 3] as number) * (q[j + 3] as number);
    }
    for (; j < d; j++) s0 += (base[o + j] as number) * (q[j] as number);
    const s = s0 + s1 + s2 + s3;
    if (s <= (scores[k - 1] as number)) continue;
    let p = k - 1;
    while (p > 0 && (scores[p - 1] as number) < s) {
      scores[p] = scores[p - 1] as number;
      ids[p] = ids[p - 1] as number;
      p--;
    }
    scores[p] = s;
    ids[p] = i;
  }
  return { ids, scores };
}

/**
 * Tie-aware recall@k (as perf-baselines.md §5): a returned id counts when its exact score reaches the
 * exact k-th score (minus 1e-5); the corpus has exact duplicate messages, so strict ids would under-count.
 */
export function recallAtK(
  data: VectorData,
  truthKth: readonly number[],
  results: readonly number[][],
  k: number,
): number {
  const d = data.dimension;
  let hit = 0;
  results.forEach((ids, qi) => {
    const q = data.queries[qi] as Float32Array;
    const kth = truthKth[qi] as number;
    for (const id of ids.slice(0, k)) {
      if (id < 0) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += (data.base[id * d + j] as number) * (q[j] as number);
      if (s >= kth - 1e-5) hit++;
    }
  });
  return hit / (results.length * k);
}
