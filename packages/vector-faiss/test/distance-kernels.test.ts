/**
 * The patched binding replaces Debian libfaiss 1.7.3's scalar distance loops with SSE2 / AVX2+FMA kernels
 * (patches/faiss-node@0.5.1.patch, src/simd_distances.cc). Both kernel paths must give the distances faiss
 * would: flat inner product, flat L2 and HNSW, for dimensions that exercise every vector width and tail.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadFaiss } from '../src/index.js';

const probe = fileURLToPath(new URL('./helpers/kernel-probe.mjs', import.meta.url));

interface ProbeResult {
  kernels: string;
  worst: number;
  incomplete: number;
  checked: number;
  dims: number;
}

function runProbe(env: Record<string, string>): ProbeResult {
  const out = execFileSync(process.execPath, [probe], {
    env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE', ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out);
}

describe('distance kernels', () => {
  it('vectorised kernels are in use on x86-64', () => {
    const kernels = loadFaiss().distanceKernels();
    if (process.arch === 'x64') expect(['avx2+fma', 'sse2']).toContain(kernels);
    else expect(kernels).toBe('faiss');
  });

  it('the default kernels compute exact distances (flat IP, flat L2, HNSW; 14 dimensions from 1 to 389)', () => {
    const r = runProbe({});
    expect(r.kernels).toBe(loadFaiss().distanceKernels());
    expect(r.dims).toBe(14);
    // 14 dimensions x (40 flat IP + 40 flat L2 + up to 40 HNSW) distances.
    expect(r.checked).toBeGreaterThan(14 * 80);
    expect(r.incomplete).toBe(0);
    expect(r.worst).toBeLessThan(1e-5);
  });

  it('FAISS_NODE_SIMD=sse2 selects the SSE2 kernels (x86-64), which compute the same', () => {
    const r = runProbe({ FAISS_NODE_SIMD: 'sse2' });
    expect(r.kernels).toBe(process.arch === 'x64' ? 'sse2' : 'faiss');
    expect(r.checked).toBeGreaterThan(14 * 80);
    expect(r.incomplete).toBe(0);
    expect(r.worst).toBeLessThan(1e-5);
  });
});
