import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../random.js';
import { loadFsStorageFactory, openFfdb, sessionLog } from './ffdb-store.js';
import { SqlitePeer } from './sqlite-peer.js';

/**
 * B7's child process: opens one store (ffdb or the SQLite peer), reads all of it the way a chat app
 * would, and prints one JSON line with its memory and descriptors against a baseline taken right
 * after opening. Run as `node --expose-gc dist/storage/memory-probe.js '<ProbeArgs JSON>'`: a fresh
 * process per measurement, so nothing the parent built (the corpus, other stores) is in its RSS.
 */
export interface ProbeArgs {
  engine: 'ffdb' | 'sqlite';
  dir: string;
  /** storage-fs options (cacheMaxBytes, maxOpenFiles) for ffdb. */
  extra?: Record<string, unknown>;
  sessions: string[];
  perSession: number;
  /** Full passes over the store (each: tail, every page forward, random pages, for every session). */
  passes: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  maxRss: number;
}

export interface ProbeResult {
  baseline: MemorySample;
  after: MemorySample;
  /** Highest value of each field seen while reading (sampled after every read call). */
  peak: Omit<MemorySample, 'maxRss'>;
  fds: { total: number; inStore: number; internal: number };
  fdsBaseline: { total: number; inStore: number; internal: number };
  records: number;
  readSeconds: number;
}

const TAIL = 50;
const PAGE = 500;
const RANDOM_PAGES = 20;
const RANDOM_LIMIT = 50;

interface Reader {
  tail(session: string, limit: number): Promise<number>;
  page(session: string, offset: number, limit: number): Promise<number>;
  close(): Promise<void>;
}

function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('memory-probe needs node --expose-gc');
  // Twice: the first pass can leave garbage that only a second collection finds (weak refs, finalizers).
  g();
  g();
}

function memory(): MemorySample {
  const m = process.memoryUsage();
  return {
    rss: m.rss,
    heapUsed: m.heapUsed,
    heapTotal: m.heapTotal,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
    maxRss: highWaterRss(),
  };
}

/**
 * This process's RSS high-water mark (VmHWM of /proc/self/status). Not `resourceUsage().maxRSS`: Linux
 * carries the parent's high-water mark over fork + exec into it, so a child of a benchmark process that
 * had grown to 1.6 GB reported 1.6 GB before reading anything.
 */
function highWaterRss(): number {
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
  if (!m) throw new Error('memory-probe needs /proc/self/status (Linux)');
  return Number(m[1]) * 1024;
}

/** Peaks of each memoryUsage() field during the reads, to tell which part the peak RSS is made of. */
const peak = { rss: 0, heapUsed: 0, heapTotal: 0, external: 0, arrayBuffers: 0 };
function sample(): void {
  const m = process.memoryUsage();
  peak.rss = Math.max(peak.rss, m.rss);
  peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
  peak.external = Math.max(peak.external, m.external);
  peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
}

/** Open descriptors of this process, and how many of them point inside the store (and its `.ffdb/`). */
function descriptors(storeDir: string) {
  const root = `${realpathSync(storeDir)}/`;
  const internal = `${root}.ffdb/`;
  let total = 0;
  let inStore = 0;
  let inInternal = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(join('/proc/self/fd', fd));
    } catch {
      continue; // the descriptor readdir itself used, closed by now
    }
    total++;
    if (target.startsWith(root)) {
      inStore++;
      if (target.startsWith(internal)) inInternal++;
    }
  }
  return { total, inStore, internal: inInternal };
}

/** Samples memory after every read call (a few thousand calls per probe; memoryUsage() costs µs). */
function counted(n: number): number {
  sample();
  return n;
}

async function openReader(args: ProbeArgs): Promise<Reader> {
  if (args.engine === 'sqlite') {
    const peer = new SqlitePeer(args.dir, 'NORMAL');
    return {
      tail: async (s, limit) => counted(peer.tail(s, limit).length),
      page: async (s, offset, limit) => counted(peer.page(s, offset, limit).length),
      close: async () => peer.close(),
    };
  }
  const store = await openFfdb(args.dir, { durability: 'none', extra: args.extra ?? {} });
  return {
    tail: async (s, limit) => counted((await store.readLog(sessionLog(s), { reverse: true, limit })).length),
    page: async (s, offset, limit) => {
      const got = await store.readLog(sessionLog(s), { fromSeq: offset, limit });
      if (got.length && got[0]?.seq !== offset)
        throw new Error(`ffdb page at ${offset} starts at ${got[0]?.seq}`);
      return counted(got.length);
    },
    close: () => store.close(),
  };
}

/** One chat-app pass over a session: newest 50, every message in pages of 500, 20 random pages of 50. */
async function readSession(r: Reader, s: string, n: number, rand: () => number): Promise<number> {
  const expect = (what: string, got: number, want: number) => {
    if (got !== want) throw new Error(`${what} of ${s}: ${got} records, expected ${want}`);
  };
  let records = 0;
  const tail = await r.tail(s, TAIL);
  expect('tail', tail, Math.min(TAIL, n));
  records += tail;
  let forward = 0;
  for (let off = 0; off < n; off += PAGE) forward += await r.page(s, off, PAGE);
  expect('forward pages', forward, n);
  records += forward;
  for (let i = 0; i < RANDOM_PAGES; i++) {
    const off = Math.floor(rand() * Math.max(1, n - RANDOM_LIMIT));
    const got = await r.page(s, off, RANDOM_LIMIT);
    expect(`random page at ${off}`, got, Math.min(RANDOM_LIMIT, n - off));
    records += got;
  }
  return records;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as ProbeArgs;
  // Both engines' code is loaded in every probe, so the baselines hold the same modules.
  await loadFsStorageFactory();
  const reader = await openReader(args);
  gc();
  const baseline = memory();
  const fdsBaseline = descriptors(args.dir);
  const rand = mulberry32(7);
  const t0 = performance.now();
  let records = 0;
  for (let pass = 0; pass < args.passes; pass++)
    for (const s of args.sessions) records += await readSession(reader, s, args.perSession, rand);
  const readSeconds = (performance.now() - t0) / 1000;
  gc();
  const after = memory();
  const fds = descriptors(args.dir);
  await reader.close();
  const result: ProbeResult = { baseline, after, peak, fds, fdsBaseline, records, readSeconds };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
