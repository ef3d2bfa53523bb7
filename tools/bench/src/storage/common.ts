import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../harness.js';

/** Sizes per benchmark, full and `--quick`. */
export function sizes(ctx: BenchContext) {
  const q = ctx.quick;
  return {
    b1Messages: q ? 1_000 : 10_000,
    b2FfdbMessages: q ? 5_000 : 50_000,
    b2SqliteMessages: q ? 1_000 : 10_000,
    b2Writers: 64,
    b2Sessions: 1_000,
    b3Messages: q ? 10_000 : 100_000,
    b3Batch: 100,
    b4Sessions: 10,
    b4PerSession: q ? 2_000 : 10_000,
    b4WarmIterations: q ? 200 : 2_000,
    b4ColdIterations: q ? 3 : 15,
    b5Messages: q ? 20_000 : 100_000,
    b5Iterations: q ? 200 : 2_000,
    b5ColdIterations: q ? 3 : 15,
    b6Messages: q ? 10_000 : 100_000,
    /** B7: sessions of the SMALL and LARGE stores (4x the data), each session this many messages. */
    b7SmallSessions: q ? 2 : 20,
    b7LargeSessions: q ? 8 : 80,
    b7PerSession: 5_000,
    /** fsync-bound loops stop after this long (the rate does not depend on the count; keeps runs bounded on a slow disk). */
    durableLoopMs: q ? 2_000 : 8_000,
  };
}

/** Alternate which side runs first in each repetition, so a disk that slows down over time hurts both equally. */
export function sideOrder(run: number): ['sqlite', 'ffdb'] | ['ffdb', 'sqlite'] {
  return run % 2 === 0 ? ['sqlite', 'ffdb'] : ['ffdb', 'sqlite'];
}

export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export interface StoreTree {
  /** Apparent size of every file (what the store occupies, before filesystem block rounding). */
  bytes: number;
  files: number;
  /** Sealed/archived segment files (`*.sseg`) and their bytes, without WAL, manifests or active segments. */
  sealedFiles: number;
  sealedBytes: number;
  /** Active segment files (`*.seg`). */
  activeFiles: number;
}

/** What a store directory holds on disk, in one walk. */
export function storeTree(dir: string): StoreTree {
  const out: StoreTree = { bytes: 0, files: 0, sealedFiles: 0, sealedBytes: 0, activeFiles: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) {
      const sub = storeTree(p);
      out.bytes += sub.bytes;
      out.files += sub.files;
      out.sealedFiles += sub.sealedFiles;
      out.sealedBytes += sub.sealedBytes;
      out.activeFiles += sub.activeFiles;
    } else if (entry.isFile()) {
      const size = statSync(p).size;
      out.bytes += size;
      out.files++;
      if (entry.name.endsWith('.sseg')) {
        out.sealedFiles++;
        out.sealedBytes += size;
      } else if (entry.name.endsWith('.seg')) out.activeFiles++;
    }
  }
  return out;
}
