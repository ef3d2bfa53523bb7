/** Creates empty faiss indexes of each kind and decides IVF list counts. */
import { type FaissIndex, loadFaiss } from './faiss-binding.js';
import type { IndexKind, ResolvedFaissVectorIndexOptions } from './options.js';

/** ~4·sqrt(n) lists, but never so many that a list gets fewer than ~39 training points (faiss' own floor). */
export function chooseNlist(n: number, override?: number): number {
  if (override) return Math.max(1, Math.min(override, Math.floor(n / 39) || 1));
  return Math.max(1, Math.min(Math.round(4 * Math.sqrt(n)), Math.floor(n / 39) || 1, 65_536));
}

export function createEmptyIndex(
  kind: 'flat' | 'hnsw',
  dimension: number,
  opts: ResolvedFaissVectorIndexOptions,
): FaissIndex {
  const faiss = loadFaiss();
  if (kind === 'flat') return new faiss.IndexFlatIP(dimension);
  const index = faiss.Index.fromFactory(
    dimension,
    `HNSW${opts.hnswM},Flat`,
    faiss.MetricType.METRIC_INNER_PRODUCT,
  );
  index.setParam('efConstruction', opts.efConstruction);
  index.setParam('efSearch', opts.efSearch);
  return index;
}

/** Trains an IVF index on (a sample of) `vectors` — n unit vectors of `dimension` floats — and adds them all. */
export function buildIvf(
  vectors: Float32Array,
  n: number,
  dimension: number,
  opts: ResolvedFaissVectorIndexOptions,
): { index: FaissIndex; nlist: number } {
  const faiss = loadFaiss();
  const nlist = chooseNlist(n, opts.nlist);
  const index = faiss.Index.fromFactory(dimension, `IVF${nlist},Flat`, faiss.MetricType.METRIC_INNER_PRODUCT);
  // faiss samples 256 points per list at most; a strided sample of 64 per list trains as well and faster.
  const sampleSize = Math.min(n, nlist * 64);
  let sample = vectors.subarray(0, n * dimension);
  if (sampleSize < n) {
    sample = new Float32Array(sampleSize * dimension);
    const stride = n / sampleSize;
    for (let i = 0; i < sampleSize; i++) {
      const src = Math.floor(i * stride) * dimension;
      sample.set(vectors.subarray(src, src + dimension), i * dimension);
    }
  }
  index.train(sample);
  index.setParam('nprobe', Math.min(opts.nprobe, nlist));
  if (n > 0) index.add(vectors.subarray(0, n * dimension));
  return { index, nlist };
}

/** Applies the query-time parameters (they are not all persisted by faiss, and options may have changed). */
export function applySearchParams(
  index: FaissIndex,
  kind: IndexKind,
  opts: ResolvedFaissVectorIndexOptions,
): void {
  if (kind === 'hnsw') index.setParam('efSearch', opts.efSearch);
  if (kind === 'ivf') {
    const nlist = index.getParam('nlist') ?? opts.nprobe;
    index.setParam('nprobe', Math.min(opts.nprobe, nlist));
  }
}
