/**
 * Typed, lazy access to the patched faiss-node binding (see patches/faiss-node@0.5.1.patch).
 * Loaded on first use so that embedders, chunking and text extraction work without the native module.
 */
import { createRequire } from 'node:module';
import { FFConfigError } from '@ffdb/core-types';

export interface FaissSearchResult {
  distances: number[];
  labels: number[];
}

/** The subset of faiss-node's `Index` that ffdb uses (setParam/getParam/reconstructN come from the patch). */
export interface FaissIndex {
  ntotal(): number;
  getDimension(): number;
  isTrained(): boolean;
  add(x: Float32Array): void;
  train(x: Float32Array): void;
  search(x: Float32Array, k: number): FaissSearchResult;
  toBuffer(): Buffer;
  setParam(name: string, value: number): void;
  getParam(name: string): number | undefined;
  reconstructN(i0: number, n: number): Float32Array;
}

export interface FaissModule {
  IndexFlatIP: { new (d: number): FaissIndex; fromBuffer(buf: Buffer): FaissIndex };
  Index: {
    fromFactory(d: number, descriptor: string, metric?: number): FaissIndex;
    fromBuffer(buf: Buffer): FaissIndex;
  };
  MetricType: { METRIC_INNER_PRODUCT: number; METRIC_L2: number };
  /**
   * The distance kernels the binding runs (patch): "avx2+fma" or "sse2" on x86-64, where Debian's libfaiss
   * 1.7.3 only has scalar loops; "faiss" where the build kept libfaiss's own. FAISS_NODE_SIMD=sse2 forces SSE2.
   */
  distanceKernels(): string;
}

let cached: FaissModule | undefined;

export function loadFaiss(): FaissModule {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // libgomp reads this when the binding is loaded. Spinning OpenMP workers (the default ACTIVE policy)
  // steal the CPU from Node's own thread between queries; on a busy 2-core machine that made single
  // HNSW queries ~20x slower. Users can still override it in the environment.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  try {
    const mod = require('faiss-node') as FaissModule & { Index: { prototype: Record<string, unknown> } };
    if (typeof mod.Index.prototype.setParam !== 'function' || typeof mod.distanceKernels !== 'function') {
      throw new Error('faiss-node is installed without the current ffdb patch (no setParam/distanceKernels)');
    }
    cached = mod;
    return mod;
  } catch (error) {
    throw new FFConfigError(
      'faiss-node (patched, built against the system faiss) could not be loaded: run `apt-get install -y libfaiss-dev libopenblas-dev` and reinstall',
      { code: 'FF_PACKAGE_MISSING', cause: error },
    );
  }
}
