import { type CorpusMessage, describeMessages, generateMessages } from '../corpus.js';
import { type Bench, type BenchContext, defineSuite, runSuite, type TargetCheck } from '../harness.js';
import { FfdbEngine, Fts5Engine, MiniSearchEngine } from './engines.js';
import { termOf } from '@ffdb/search-fts';
import { mulberry32 } from '../random.js';
import {
  type EngineFigures,
  FIGURE_COLUMNS,
  figureRow,
  measureEngine,
  QUERIES_PER_SET,
  QUERY_SET_OFFSETS,
} from './measure.js';
import { buildQueries } from './queries.js';

/**
 * `pnpm bench:search [--quick] [--only S1,S2]`: @ffdb/search-fts against SQLite FTS5 (better-sqlite3
 * 12.11.1, bm25) and MiniSearch 7.2.0 on the same Brown chat messages and the same queries.
 */

function check(
  name: string,
  measured: number,
  goal: number,
  unit: string,
  lowerIsBetter = true,
): TargetCheck {
  return {
    name,
    measured: `${measured.toFixed(unit === 'msg/s' ? 0 : 2)} ${unit}`,
    target: `${lowerIsBetter ? '<=' : '>='} ${goal} ${unit}`,
    pass: lowerIsBetter ? measured <= goal : measured >= goal,
  };
}

function ratios(ffdb: EngineFigures, peer: EngineFigures): string {
  const r = (a: number, b: number) => `${(a / b).toFixed(a / b < 0.1 ? 2 : 1)}x`;
  return `${peer.name}: ffdb/peer p50 1-term ${r(ffdb.one.p50, peer.one.p50)}, 3-term ${r(ffdb.three.p50, peer.three.p50)}, prefix ${r(
    ffdb.prefix.p50,
    peer.prefix.p50,
  )}, role+time ${r(ffdb.filtered.p50, peer.filtered.p50)}; ingest ${r(ffdb.ingestRate, peer.ingestRate)} (higher is better for ffdb)`;
}

/**
 * FTS_DIST=<path to another build's index.js>: run that build of search-fts as "ffdb" (a same-method
 * before/after comparison; results of such a run are not the repository's figures).
 */
const altCreate = process.env.FTS_DIST
  ? ((await import(process.env.FTS_DIST)) as typeof import('@ffdb/search-fts')).createLunrSearchIndex
  : undefined;
const alt = altCreate ? { create: altCreate } : {};

const s1: Bench = {
  id: 'S1',
  title: '(a) one user, 100,000 messages',
  async run(ctx: BenchContext) {
    const n = ctx.quick ? 10_000 : 100_000;
    const messages = generateMessages(n, { sessions: 100 });
    ctx.log(describeMessages(messages));
    const queries = buildQueries(messages, ctx.quick ? 50 : QUERIES_PER_SET);
    const user = () => 'u1';
    const all = (): readonly CorpusMessage[] => messages;
    const figures: EngineFigures[] = [];
    const ffdb = await new FfdbEngine(ctx.tempDir('ffdb'), alt).open();
    figures.push(await measureEngine(ffdb, ['u1'], all, queries, user));
    await ffdb.close();
    const fts = new Fts5Engine(ctx.tempDir('fts5'), false).open();
    figures.push(await measureEngine(fts, ['u1'], all, queries, user));
    await fts.close();
    const mini = new MiniSearchEngine(ctx.tempDir('minisearch'));
    figures.push(await measureEngine(mini, ['u1'], all, queries, user));
    await mini.close();
    const [a, b, c] = figures as [EngineFigures, EngineFigures, EngineFigures];
    return {
      tables: [
        {
          title: `Search (a): one user, ${n.toLocaleString('en-US')} messages, top 10`,
          columns: FIGURE_COLUMNS,
          rows: figures.map(figureRow),
          notes: [
            ratios(a, b),
            ratios(a, c),
            `ffdb index: ${JSON.stringify(a.extra)}`,
            'Ingest: batches of 100 per event-loop turn (as the manager hook delivers appends); ffdb "indexed+persisted" includes building, merging and writing lz4 segments to storage-fs.',
            'Loop delay = how long an append arriving during ingest waited for the event loop (FTS5 and MiniSearch index synchronously inside the append).',
            'Restart = close + reopen from disk, then one 1-term query (ffdb loads its segments; MiniSearch parses its JSON; FTS5 reopens the file).',
            'Hit counts differ a little: ffdb stems (Porter, as lunr), FTS5 unicode61 does not, MiniSearch does not.',
          ],
        },
      ],
      checks: [
        check('(a) 1-term p50', a.one.p50, 2, 'ms'),
        check('(a) 1-term p99', a.one.p99, 20, 'ms'),
        check('(a) 3-term p50', a.three.p50, 2, 'ms'),
        check('(a) 3-term p99', a.three.p99, 20, 'ms'),
        check('(a) 1-term p99, CPU time', a.oneCpu.p99, 20, 'ms'),
        check('(a) 3-term p99, CPU time', a.threeCpu.p99, 20, 'ms'),
        check('(a) first query after restart', a.firstQueryMs, 1000, 'ms'),
        check('(a) first query after restart, CPU time', a.firstQueryCpuMs, 1000, 'ms'),
        check('(a) ingest (indexed + persisted)', a.ingestRate, 5000, 'msg/s', false),
        check('(a) ingest per CPU-second', a.ingestPerCpuSecond, 5000, 'msg/s', false),
      ],
    };
  },
};

const s2: Bench = {
  id: 'S2',
  title: '(b) 1,000 users x 1,000 messages, one user per query',
  async run(ctx: BenchContext) {
    const users = ctx.quick ? 100 : 1000;
    const per = ctx.quick ? 100 : 1000;
    // A pool of distinct-start messages reused round-robin: user u gets pool[(u * per + i) % pool].
    const pool = generateMessages(ctx.quick ? 10_000 : 100_000, { sessions: 20 });
    ctx.log(`pool: ${describeMessages(pool)}`);
    const ids = Array.from({ length: users }, (_, u) => `user${String(u).padStart(4, '0')}`);
    const messagesFor = (user: string): CorpusMessage[] => {
      const u = Number(user.slice(4));
      return Array.from({ length: per }, (_, i) => {
        const m = pool[(u * per + i) % pool.length] as CorpusMessage;
        return { ...m, id: `${m.id}_${u}` };
      });
    };
    const queries = buildQueries(pool, ctx.quick ? 50 : QUERIES_PER_SET);
    let seed = 12345;
    const randomUsers = Array.from({ length: 8192 }, () => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return ids[seed % ids.length] as string;
    });
    const pickUser = (i: number) => randomUsers[i % randomUsers.length] as string;
    // 3-term queries come from a message of the user they are run for (so they have >= 1 hit), as in (a).
    const rand = mulberry32(7);
    queries.threeTerm = queries.threeTerm.map((_, i) => {
      const own = messagesFor(pickUser(i + (QUERY_SET_OFFSETS[1] as number)));
      for (;;) {
        const m = own[Math.floor(rand() * own.length)] as CorpusMessage;
        const words = [
          ...new Set(
            (m.content.toLowerCase().match(/[a-z]+/g) ?? []).filter((w) => w.length >= 3 && termOf(w) !== ''),
          ),
        ];
        if (words.length < 3) continue;
        const chosen = new Set<string>();
        while (chosen.size < 3) chosen.add(words[Math.floor(rand() * words.length)] as string);
        return [...chosen];
      }
    });
    const cache = { cacheMaxUsers: 64, segmentCacheSize: 128 };
    const figures: EngineFigures[] = [];
    const ffdb = await new FfdbEngine(ctx.tempDir('ffdb'), { ...cache, ...alt }).open();
    figures.push(await measureEngine(ffdb, ids, messagesFor, queries, pickUser));
    await ffdb.close();
    const fts = new Fts5Engine(ctx.tempDir('fts5'), true).open();
    figures.push(await measureEngine(fts, ids, messagesFor, queries, pickUser));
    await fts.close();
    // MiniSearch keeps every user's index in memory; 1,000 x 1,000 would take minutes to build, so it
    // runs on the first 100 users (queries spread over those 100).
    const miniUsers = ids.slice(0, Math.min(100, ids.length));
    const mini = new MiniSearchEngine(ctx.tempDir('minisearch'));
    figures.push(
      await measureEngine(
        mini,
        miniUsers,
        messagesFor,
        queries,
        (i) => miniUsers[i % miniUsers.length] as string,
      ),
    );
    await mini.close();
    const [a, b, c] = figures as [EngineFigures, EngineFigures, EngineFigures];
    return {
      tables: [
        {
          title: `Search (b): ${users.toLocaleString('en-US')} users x ${per.toLocaleString('en-US')} messages, each query for a random user, top 10`,
          columns: FIGURE_COLUMNS,
          rows: figures.map(figureRow),
          notes: [
            ratios(a, b),
            `${ratios(a, c)} (MiniSearch on its 100-user subset)`,
            `ffdb cache: cacheMaxUsers ${cache.cacheMaxUsers}, segmentCacheSize ${cache.segmentCacheSize}; index after the queries: ${JSON.stringify(a.extra)}`,
            'Queries pick a random user each time (each query set from its own stretch of the random sequence), so ~94 % of ffdb queries first load that user\u2019s segment from disk (the cache holds 64 of 1,000 users): the latencies are a cold per-user load plus the query.',
            'FTS5: one table for all users, the user id is an FTS column ANDed with the terms.',
            `MiniSearch: ${miniUsers.length} users only (all indexes in memory; its build rate would need minutes for 1M messages).`,
            'Messages: a 100,000-message pool reused across users (user u gets pool[(u*1000+i) % 100000]); ids are unique per user.',
          ],
        },
      ],
      checks: [
        check('(b) 1-term p50', a.one.p50, 2, 'ms'),
        check('(b) 1-term p99', a.one.p99, 20, 'ms'),
        check('(b) 3-term p50', a.three.p50, 2, 'ms'),
        check('(b) 3-term p99', a.three.p99, 20, 'ms'),
        check('(b) 1-term p99, CPU time', a.oneCpu.p99, 20, 'ms'),
        check('(b) 3-term p99, CPU time', a.threeCpu.p99, 20, 'ms'),
        check('(b) ingest (indexed + persisted)', a.ingestRate, 5000, 'msg/s', false),
        check('(b) ingest per CPU-second', a.ingestPerCpuSecond, 5000, 'msg/s', false),
      ],
    };
  },
};

export const searchSuite = defineSuite({
  area: 'search',
  title: 'Search',
  preamble: () => [
    'Peers: SQLite FTS5 (better-sqlite3 12.11.1, bm25) and MiniSearch 7.2.0 (BM25+), in the same process run, same messages, same queries.',
    'Corpus: Brown chat messages (tools/bench/src/corpus.ts, seed 42); queries as perf-baselines.md §4 (seed 7).',
    'Wall-clock figures suffer when other processes load the 2 cores (see the load average above); CPU-time columns do not.',
  ],
  benches: [s1, s2],
});

await runSuite(searchSuite);
