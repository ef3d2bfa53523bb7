/** Small Float32Array helpers shared by the index, the embedders and the tests. */
import { FFValidationError } from '@ffdb/core-types';

/** L2 norm. */
export function norm(v: Float32Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    s += x * x;
  }
  return Math.sqrt(s);
}

/** A unit-length copy of `v` written into `out` (cosine == inner product afterwards). Throws on zero/non-finite. */
export function normalizeInto(v: Float32Array, out: Float32Array, offset: number, field: string): void {
  const n = norm(v);
  if (!Number.isFinite(n))
    throw new FFValidationError([{ path: field, message: 'vector contains NaN or Infinity' }]);
  if (n === 0)
    throw new FFValidationError([{ path: field, message: 'vector is all zeros (cannot be normalised)' }]);
  // Embedders already return unit vectors: copy those as they are (a memcpy instead of a division loop).
  if (Math.abs(n - 1) < 1e-6) {
    out.set(v, offset);
    return;
  }
  for (let i = 0; i < v.length; i++) out[offset + i] = (v[i] as number) / n;
}

export function dot(a: Float32Array, b: Float32Array, bOffset = 0): number {
  let s = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) s += (a[i] as number) * (b[bOffset + i] as number);
  return s;
}
