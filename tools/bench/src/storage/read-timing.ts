import type { BenchContext } from '../harness.js';
import { nowMs, summarize, type LatencySummary } from '../stats.js';

/**
 * What a cold read starts from. `1`: `sync; echo 1 > /proc/sys/vm/drop_caches` — the page cache only
 * (file data), dentries and inodes stay: literally "page cache dropped". `3`: page cache + dentries +
 * inodes, so path lookups and inode reads go to the disk too (a store nobody touched for a long time).
 */
export type DropLevel = 1 | 3;

/**
 * A dropper honouring `--no-drop-caches` and root: the harness's own drop (level 3) is tried first;
 * when it refuses, every drop refuses (cold rows then say n/a).
 */
export function cacheDropper(ctx: BenchContext): (level: DropLevel) => boolean {
  let allowed: boolean | undefined;
  return (level) => {
    if (allowed === undefined) allowed = ctx.dropPageCache();
    if (!allowed) return false;
    return ctx.dropPageCache(level);
  };
}

/** Warm latency: `warmups` untimed calls, then `iterations` timed ones. */
export async function warmLatency(
  fn: () => unknown,
  warmups: number,
  iterations: number,
): Promise<LatencySummary> {
  for (let i = 0; i < warmups; i++) await fn();
  const lat: number[] = new Array(iterations);
  for (let i = 0; i < iterations; i++) {
    const s = nowMs();
    await fn();
    lat[i] = nowMs() - s;
  }
  return summarize(lat);
}

/**
 * Untimed cold iterations before each cold cell. The code of a disk-cold read (for ffdb: footer
 * parsing, lz4, range decoding of sealed blocks) is not run by warm reads, which are served from
 * caches, so V8 compiles it during the first cold reads of the process: 7.3, 2.3 and 1.4 ms for the
 * first three B5 cold reads in a probe, then ~0.6–1.2 ms. Cold cells measure a disk-cold read in a
 * running process, the same way B2's warm-up round measures a JIT-warm process.
 */
export const COLD_WARMUPS = 3;

/**
 * Untimed iterations of a cold cell's whole protocol (prepare, read, clean up) with the page cache
 * left warm, before its cold iterations. Three cold iterations leave V8 tiering up: a probe of B5's
 * protocol at echo 1 measured p50 0.83 ms after no such iterations, 0.85 after 50, 0.62 after 200
 * and 0.59 after 400 (echo 3, 200: 0.88 ms). A server that has read anything not in its caches has
 * run this code many times; dropping a cache between iterations cannot stand in for that (each drop
 * costs a `sync` and ~0.1–1 s), so the warm-up reads what the timed reads read, from the page cache.
 */
export const JIT_WARMUPS = 200;

/**
 * Cold latency: JIT_WARMUPS untimed iterations with the caches warm, then per iteration `prepare`
 * (untimed, e.g. open a fresh store), drop the page cache, time `fn`, `cleanup`; the first
 * COLD_WARMUPS of those are not timed either. Returns undefined when the cache cannot be dropped
 * (not root).
 */
export async function coldLatency<S>(
  iterations: number,
  drop: () => boolean,
  prepare: () => Promise<S> | S,
  fn: (state: S) => unknown,
  cleanup: (state: S) => Promise<void> | void,
): Promise<LatencySummary | undefined> {
  for (let i = 0; i < JIT_WARMUPS; i++) {
    const state = await prepare();
    await fn(state);
    await cleanup(state);
  }
  const lat: number[] = [];
  for (let i = 0; i < COLD_WARMUPS + iterations; i++) {
    const state = await prepare();
    if (!drop()) {
      await cleanup(state);
      return undefined;
    }
    const s = nowMs();
    await fn(state);
    if (i >= COLD_WARMUPS) lat.push(nowMs() - s);
    await cleanup(state);
  }
  return summarize(lat);
}

export function latencyCells(
  s: LatencySummary | undefined,
  keys: ('p50' | 'p95' | 'p99' | 'max')[],
): string[] {
  return keys.map((k) => (s ? s[k].toFixed(3) : 'n/a (not root)'));
}
