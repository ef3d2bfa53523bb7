import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { CorpusMessage } from '../corpus.js';
import { summarize, type LatencySummary } from '../stats.js';
import type { Engine } from './engines.js';
import type { QuerySets } from './queries.js';

export interface EngineFigures {
  name: string;
  docs: number;
  /** Messages per second until every add() returned. */
  addRate: number;
  /** Messages per second until everything was indexed and persisted (ffdb: segments built, merged, written). */
  ingestRate: number;
  /** Event-loop delay while ingesting: how long an append arriving then would have waited (ms). */
  loopP99: number;
  loopMax: number;
  one: LatencySummary;
  three: LatencySummary;
  /** Process CPU time per query (excludes time the process waited for a core). */
  oneCpu: LatencySummary;
  threeCpu: LatencySummary;
  prefix: LatencySummary;
  filtered: LatencySummary;
  hitsOne: number;
  hitsThree: number;
  firstQueryMs: number;
  /** CPU time of this process during restart + first query (wall time suffers from other load). */
  firstQueryCpuMs: number;
  /** Messages per CPU-second of this process during ingest (all threads). */
  ingestPerCpuSecond: number;
  rssMb: number;
  heapMb: number;
  diskMb: number;
  extra: Record<string, unknown>;
}

/**
 * Offsets into the user sequence of the 1-term, 3-term, prefix and filtered query sets: 2,000 apart,
 * so a set of QUERIES_PER_SET queries plus its warm-up (which uses the indexes after the set) never
 * reuses another set's users.
 */
export const QUERY_SET_OFFSETS = [0, 2000, 4000, 6000] as const;
/**
 * Queries per set. 1,000 rather than 200: with 200 the p99 is the second-slowest query, so one full
 * GC pause landing on two queries decided it; with 1,000 it is the tenth-slowest.
 */
export const QUERIES_PER_SET = 1000;

const gc = (): void => (globalThis as { gc?: () => void }).gc?.();
const yieldLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

function memory(): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

async function timed(
  n: number,
  warmup: number,
  run: (i: number) => Promise<number>,
): Promise<{ lat: LatencySummary; cpu: LatencySummary; hits: number }> {
  // Warm-up queries use indexes n.. (other users than the measured ones; same queries).
  for (let i = 0; i < warmup; i++) await run(n + i);
  const lat: number[] = [];
  const cpu: number[] = [];
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const c = process.cpuUsage();
    const t = performance.now();
    hits += await run(i);
    lat.push(performance.now() - t);
    const used = process.cpuUsage(c);
    cpu.push((used.user + used.system) / 1000);
  }
  return { lat: summarize(lat), cpu: summarize(cpu), hits: hits / Math.max(1, n) };
}

/**
 * Ingests `users` x their messages in batches of 100 (one batch per event-loop turn, as appends arrive),
 * then times the four query sets (each query for `pickUser(i)`), then a restart + first query.
 */
export async function measureEngine(
  engine: Engine,
  users: readonly string[],
  messagesFor: (user: string) => readonly CorpusMessage[],
  queries: QuerySets,
  pickUser: (i: number) => string,
): Promise<EngineFigures> {
  const before = memory();
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  let docs = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (const user of users) {
    const msgs = messagesFor(user);
    for (let i = 0; i < msgs.length; i += 100) {
      await engine.ingest(user, msgs.slice(i, i + 100));
      docs += Math.min(100, msgs.length - i);
      await yieldLoop();
    }
  }
  const tAdded = performance.now() - t0;
  await engine.settle();
  const tSettled = performance.now() - t0;
  const cpuIngest = process.cpuUsage(cpu0);
  loop.disable();
  const n = queries.oneTerm.length;
  // Start the query sets from a collected heap; otherwise the first set (1-term) alone pays for
  // collecting the ingest's garbage, whichever engine ran.
  gc();
  // Each set uses its own stretch of the user sequence (QUERY_SET_OFFSETS), so with many users a set
  // never finds the users of the previous set still cached.
  const [o1, o3, op, of] = QUERY_SET_OFFSETS;
  const one = await timed(n, 20, (i) => engine.one(pickUser(i + o1), queries.oneTerm[i % n] as string));
  const three = await timed(n, 20, (i) =>
    engine.three(pickUser(i + o3), queries.threeTerm[i % n] as string[]),
  );
  const prefix = await timed(n, 20, (i) => engine.prefix(pickUser(i + op), queries.prefix[i % n] as string));
  const filtered = await timed(n, 20, (i) =>
    engine.filtered(pickUser(i + of), queries.filtered[i % n] as QuerySets['filtered'][number]),
  );
  const after = memory();
  const extra = (await engine.stats?.()) ?? {};
  const diskMb = engine.bytesOnDisk() / 1e6;
  const cpuR = process.cpuUsage();
  const tr = performance.now();
  await engine.restart();
  await engine.one(pickUser(0), queries.oneTerm[0] as string);
  const firstQueryMs = performance.now() - tr;
  const cpuRestart = process.cpuUsage(cpuR);
  return {
    name: engine.name,
    docs,
    addRate: docs / (tAdded / 1000),
    ingestRate: docs / (tSettled / 1000),
    loopP99: loop.percentile(99) / 1e6,
    loopMax: loop.max / 1e6,
    one: one.lat,
    three: three.lat,
    oneCpu: one.cpu,
    threeCpu: three.cpu,
    prefix: prefix.lat,
    filtered: filtered.lat,
    hitsOne: one.hits,
    hitsThree: three.hits,
    firstQueryMs,
    firstQueryCpuMs: (cpuRestart.user + cpuRestart.system) / 1000,
    ingestPerCpuSecond: docs / ((cpuIngest.user + cpuIngest.system) / 1e6),
    rssMb: (after.rss - before.rss) / 1e6,
    heapMb: (after.heap - before.heap) / 1e6,
    diskMb,
    extra,
  };
}

const f = (v: number, d = 2): string => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
const lat = (s: LatencySummary): string => `${f(s.p50, 3)} / ${f(s.p99, 2)}`;

export const FIGURE_COLUMNS = [
  'engine',
  'docs',
  'ingest msg/s (added / indexed+persisted / per CPU-s)',
  'loop delay p99 / max ms',
  '1-term p50 / p99 ms',
  '3-term AND p50 / p99 ms',
  'CPU ms/query p50 / p99 1-term; 3-term',
  'prefix p50 / p99 ms',
  'role+time p50 / p99 ms',
  'avg hits 1t / 3t (top 10)',
  'first query after restart ms (CPU ms)',
  'RSS Δ MB (heap+ext Δ)',
  'disk MB',
];

export function figureRow(x: EngineFigures): (string | number)[] {
  return [
    x.name,
    x.docs,
    `${Math.round(x.addRate).toLocaleString('en-US')} / ${Math.round(x.ingestRate).toLocaleString('en-US')} / ${Math.round(x.ingestPerCpuSecond).toLocaleString('en-US')}`,
    `${f(x.loopP99, 1)} / ${f(x.loopMax, 1)}`,
    lat(x.one),
    lat(x.three),
    `${lat(x.oneCpu)}; ${lat(x.threeCpu)}`,
    lat(x.prefix),
    lat(x.filtered),
    `${f(x.hitsOne, 1)} / ${f(x.hitsThree, 1)}`,
    `${f(x.firstQueryMs, 0)} (${f(x.firstQueryCpuMs, 0)})`,
    `${f(x.rssMb, 0)} (${f(x.heapMb, 0)})`,
    f(x.diskMb, 1),
  ];
}
