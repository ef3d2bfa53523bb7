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
 * Cold latency: per iteration, `prepare` (untimed, e.g. open a fresh store), drop the page cache,
 * then time `fn`, then `cleanup`. Returns undefined when the cache cannot be dropped (not root).
 */
export async function coldLatency<S>(
  iterations: number,
  drop: () => boolean,
  prepare: () => Promise<S> | S,
  fn: (state: S) => unknown,
  cleanup: (state: S) => Promise<void> | void,
): Promise<LatencySummary | undefined> {
  const lat: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const state = await prepare();
    if (!drop()) {
      await cleanup(state);
      return undefined;
    }
    const s = nowMs();
    await fn(state);
    lat.push(nowMs() - s);
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
