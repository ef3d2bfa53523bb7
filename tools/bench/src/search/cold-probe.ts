import { existsSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { type CorpusMessage, generateMessages } from '../corpus.js';
import { FfdbEngine } from './engines.js';
import { buildQueries } from './queries.js';

/**
 * Diagnostic for scenario (b)'s cold-query tail: `node --expose-gc dist/search/cold-probe.js <dir>
 * [queries] [cacheMaxUsers]`. The first run ingests 1,000 users x 1,000 messages into <dir> (kept);
 * later runs reuse it. It then runs 1-term queries for random users (64 cached by default) with the
 * 100k-message pool in the heap, as in main.ts, and prints wall/CPU p50/p99, GC time and RSS.
 * FTS_DIST=<path to another build's index.js> runs that build of search-fts instead (A/B comparisons).
 */
const dir = process.argv[2] ?? '/tmp/ffdb-cold-probe';
const count = Number(process.argv[3] ?? 2000);
const cacheMaxUsers = Number(process.argv[4] ?? 64);
const users = 1000;
const per = 1000;
const pool = generateMessages(100_000, { sessions: 20 });
const ids = Array.from({ length: users }, (_, u) => `user${String(u).padStart(4, '0')}`);
const messagesFor = (user: string): CorpusMessage[] => {
  const u = Number(user.slice(4));
  return Array.from({ length: per }, (_, i) => {
    const m = pool[(u * per + i) % pool.length] as CorpusMessage;
    return { ...m, id: `${m.id}_${u}` };
  });
};
const fresh = !existsSync(`${dir}/index`);
const alt = process.env.FTS_DIST
  ? ((await import(process.env.FTS_DIST)) as typeof import('@ffdb/search-fts')).createLunrSearchIndex
  : undefined;
const engine = await new FfdbEngine(dir, {
  cacheMaxUsers,
  segmentCacheSize: cacheMaxUsers * 2,
  ...(alt ? { create: alt } : {}),
}).open();
if (fresh) {
  const t0 = performance.now();
  for (const u of ids) {
    const ms = messagesFor(u);
    for (let i = 0; i < ms.length; i += 100) await engine.ingest(u, ms.slice(i, i + 100));
  }
  await engine.settle();
  console.log(`ingested in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const queries = buildQueries(pool, 200);
let seed = 12345;
const pick = (): string => {
  seed = (seed * 1103515245 + 12345) >>> 0;
  return ids[seed % ids.length] as string;
};
let gcMs = 0;
let gcMajor = 0;
let gcCount = 0;
const obs = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcMs += e.duration;
    gcCount++;
    if ((e as unknown as { detail?: { kind?: number } }).detail?.kind === 4) gcMajor += e.duration;
  }
});
(globalThis as { gc?: () => void }).gc?.();
const rss0 = process.memoryUsage().rss;
// Warm-up (JIT) then measure.
for (let i = 0; i < 200; i++) await engine.one(pick(), queries.oneTerm[i % 200] as string);
obs.observe({ entryTypes: ['gc'] });
// PROFILE=<file>: CPU profile of the measured queries only.
const { Session } = await import('node:inspector/promises');
const session = process.env.PROFILE ? new Session() : undefined;
if (session) {
  session.connect();
  if (process.env.HEAP) {
    // Sampled allocations that survived a scavenge and were freed by a full GC (promoted garbage).
    await session.post('HeapProfiler.enable');
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
    } as never);
  } else {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
}
const wall: number[] = [];
const cpu: number[] = [];
let hits = 0;
const c0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < count; i++) {
  const c = process.cpuUsage();
  const t = performance.now();
  hits += await engine.one(pick(), queries.oneTerm[i % 200] as string);
  wall.push(performance.now() - t);
  const d = process.cpuUsage(c);
  cpu.push((d.user + d.system) / 1000);
}
const total = performance.now() - t0;
if (session) {
  const { profile } = process.env.HEAP
    ? await session.post('HeapProfiler.stopSampling')
    : await session.post('Profiler.stop');
  (await import('node:fs')).writeFileSync(process.env.PROFILE as string, JSON.stringify(profile));
}
const ct = process.cpuUsage(c0);
await new Promise((r) => setTimeout(r, 50));
obs.disconnect();
const q = (a: number[], p: number) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * p))] as number;
const mem = process.memoryUsage();
console.log(
  JSON.stringify({
    queries: count,
    cacheMaxUsers,
    wallP50: q(wall, 0.5).toFixed(3),
    wallP99: q(wall, 0.99).toFixed(2),
    wallMax: Math.max(...wall).toFixed(1),
    cpuP50: q(cpu, 0.5).toFixed(3),
    cpuP99: q(cpu, 0.99).toFixed(2),
    totalMs: total.toFixed(0),
    cpuTotalMs: ((ct.user + ct.system) / 1000).toFixed(0),
    gcMs: gcMs.toFixed(0),
    gcMajorMs: gcMajor.toFixed(0),
    gcCount,
    avgHits: (hits / count).toFixed(2),
    rssMB: (mem.rss / 2 ** 20).toFixed(0),
    rssDeltaMB: ((mem.rss - rss0) / 2 ** 20).toFixed(0),
    heapMB: (mem.heapUsed / 2 ** 20).toFixed(0),
    externalMB: (mem.external / 2 ** 20).toFixed(0),
    arrayBuffersMB: (mem.arrayBuffers / 2 ** 20).toFixed(0),
    load: (await import('node:os'))
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' '),
  }),
);
console.log(JSON.stringify((engine.index as unknown as { pool?: unknown }).pool ?? {}));
await engine.close();
