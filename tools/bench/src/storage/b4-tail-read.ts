import type { StorageBackend } from '@ffdb/core-types';
import { generateMessages } from '../corpus.js';
import type { Bench, BenchContext } from '../harness.js';
import { type LatencySummary, median, ratio } from '../stats.js';
import { sizes } from './common.js';
import { asRecords, openFfdb, sessionLog } from './ffdb-store.js';
import {
  COLD_WARMUPS,
  JIT_WARMUPS,
  type DropLevel,
  cacheDropper,
  coldLatency,
  latencyCells,
  warmLatency,
} from './read-timing.js';
import { SqlitePeer } from './sqlite-peer.js';

const LIMIT = 50;

/** Loads interleaved messages of several sessions into both systems; returns the directories and the probe session. */
async function load(ctx: BenchContext, sessions: number, perSession: number) {
  const messages = generateMessages(sessions * perSession, { sessions });
  const sqliteDir = ctx.tempDir('sqlite');
  const peer = new SqlitePeer(sqliteDir, 'NORMAL');
  for (let i = 0; i < messages.length; i += 1000) peer.insertBatch(messages.slice(i, i + 1000));
  peer.checkpoint();
  peer.close();
  const ffdbDir = ctx.tempDir('ffdb');
  const store = await openFfdb(ffdbDir, { durability: 'always' });
  for (let i = 0; i < messages.length; i += 1000) {
    const chunk = messages.slice(i, i + 1000);
    const bySession = new Map<string, typeof chunk>();
    for (const m of chunk) bySession.set(m.session_id, [...(bySession.get(m.session_id) ?? []), m]);
    await Promise.all([...bySession].map(([sid, ms]) => store.append(sessionLog(sid), asRecords(ms))));
  }
  await store.close();
  return { sqliteDir, ffdbDir, probe: messages[0]!.session_id };
}

/** B4: last 50 messages of a 10,000-message session, warm and cold, vs SQLite `ORDER BY seq DESC LIMIT 50` on the index. */
export const b4: Bench = {
  id: 'B4',
  title: 'tail read: last 50 of a 10,000-message session',
  async run(ctx) {
    const sz = sizes(ctx);
    const { sqliteDir, ffdbDir, probe } = await load(ctx, sz.b4Sessions, sz.b4PerSession);
    const log = sessionLog(probe);
    const warm = {
      sqlite: [] as number[],
      ffdb: [] as number[],
      sqliteP99: [] as number[],
      ffdbP99: [] as number[],
    };
    let check = 0;
    for (let run = 0; run < ctx.runs; run++) {
      const peer = new SqlitePeer(sqliteDir, 'NORMAL');
      const s = await warmLatency(() => peer.tail(probe, LIMIT), 50, sz.b4WarmIterations);
      peer.close();
      const store = await openFfdb(ffdbDir);
      const f = await warmLatency(
        async () => {
          const rows = await store.readLog(log, { reverse: true, limit: LIMIT });
          check += rows.length;
        },
        50,
        sz.b4WarmIterations,
      );
      await store.close();
      warm.sqlite.push(s.p50);
      warm.ffdb.push(f.p50);
      warm.sqliteP99.push(s.p99);
      warm.ffdbP99.push(f.p99);
      ctx.log(`run ${run + 1}: warm p50 sqlite ${s.p50.toFixed(3)} ms, ffdb ${f.p50.toFixed(3)} ms`);
    }
    if (check !== ctx.runs * (sz.b4WarmIterations + 50) * LIMIT)
      throw new Error('ffdb tail read returned the wrong number of rows');

    // Cold reads, the same way on both sides: a freshly opened connection/store that has read one
    // row of the session (its files are open), caches dropped, then the timed read. Both drop levels
    // (see DropLevel); "open+read" drops first and times opening too (a fresh process's first read).
    const dropper = cacheDropper(ctx);
    const n = sz.b4ColdIterations;
    type Cold = Record<DropLevel, LatencySummary | undefined>;
    const sqliteCold = {} as Cold;
    const sqliteColdOpen = {} as Cold;
    const ffdbCold = {} as Cold;
    const ffdbColdFresh = {} as Cold;
    const ffdbColdOpen = {} as Cold;
    for (const level of [1, 3] as const) {
      const drop = () => dropper(level);
      sqliteColdOpen[level] = await coldLatency(
        n,
        drop,
        () => null,
        () => {
          const p = new SqlitePeer(sqliteDir, 'NORMAL');
          p.tail(probe, LIMIT);
          p.close();
        },
        () => {},
      );
      sqliteCold[level] = await coldLatency(
        n,
        drop,
        () => {
          const p = new SqlitePeer(sqliteDir, 'NORMAL');
          p.tail(probe, 1);
          return p;
        },
        (p) => p.tail(probe, LIMIT),
        (p) => p.close(),
      );
      ffdbColdOpen[level] = await coldLatency(
        n,
        drop,
        () => null,
        async () => {
          const st = await openFfdb(ffdbDir);
          await st.readLog(log, { reverse: true, limit: LIMIT });
          await st.close();
        },
        () => {},
      );
      ffdbCold[level] = await coldLatency<StorageBackend>(
        n,
        drop,
        async () => {
          const st = await openFfdb(ffdbDir);
          await st.readLog(log, { reverse: true, limit: 1 });
          return st;
        },
        (st) => st.readLog(log, { reverse: true, limit: LIMIT }),
        (st) => st.close(),
      );
      ffdbColdFresh[level] = await coldLatency<StorageBackend>(
        n,
        drop,
        () => openFfdb(ffdbDir),
        (st) => st.readLog(log, { reverse: true, limit: LIMIT }),
        (st) => st.close(),
      );
    }
    const p50 = (c: LatencySummary | undefined) => latencyCells(c, ['p50'])[0] as string;

    const fw = median(warm.ffdb);
    const sw = median(warm.sqlite);
    return {
      tables: [
        {
          title: `B4 last ${LIMIT} messages of a ${sz.b4PerSession.toLocaleString('en-US')}-message session (${sz.b4Sessions} sessions interleaved; warm: median of ${ctx.runs} runs × ${sz.b4WarmIterations} reads; cold: ${n} timed reads per cell after ${JIT_WARMUPS} untimed with the page cache warm and ${COLD_WARMUPS} untimed cold)`,
          columns: [
            'system',
            'warm p50 ms',
            'warm p99 ms',
            'cold read p50 ms, page cache dropped (echo 1)',
            'cold read p50 ms, + dentries/inodes (echo 3)',
            'cold open+read p50 ms (echo 1)',
            'cold open+read p50 ms (echo 3)',
            'warm vs SQLite',
          ],
          rows: [
            [
              'SQLite `ORDER BY seq DESC LIMIT 50` (index)',
              sw.toFixed(3),
              median(warm.sqliteP99).toFixed(3),
              p50(sqliteCold[1]),
              p50(sqliteCold[3]),
              p50(sqliteColdOpen[1]),
              p50(sqliteColdOpen[3]),
              '1.00x',
            ],
            [
              'ffdb `readLog(log, { reverse: true, limit: 50 })`',
              fw.toFixed(3),
              median(warm.ffdbP99).toFixed(3),
              p50(ffdbCold[1]),
              p50(ffdbCold[3]),
              p50(ffdbColdOpen[1]),
              p50(ffdbColdOpen[3]),
              ratio(fw, sw),
            ],
            [
              'ffdb, store opened but the log never read before the drop',
              '',
              '',
              p50(ffdbColdFresh[1]),
              p50(ffdbColdFresh[3]),
              '',
              '',
              '',
            ],
          ],
          notes: [
            'Warm: 50 untimed reads, then timed reads on an open store/connection. Rows are parsed objects on both sides.',
            `Cold read: a freshly opened connection/store that read the newest row of the session (its files are open: SQLite \`tail(1)\`, ffdb \`readLog(log, { reverse: true, limit: 1 })\`), then \`sync\` + drop, then the timed read. echo 1 drops the page cache only (file data); echo 3 also drops dentries and inodes, so path lookups go to the disk. Cold open+read: drop, then open + read + close timed. Each cold cell first runs its whole protocol ${JIT_WARMUPS} times untimed with the page cache warm, then ${COLD_WARMUPS} untimed cold iterations: warm reads never run the code of a disk-cold read, so without them V8 would still be compiling it during the timed ones (a server that has read anything not in its caches has run it many times; read-timing.ts).`,
          ],
        },
      ],
      checks: [
        {
          name: 'B4 tail read warm p50 vs SQLite',
          measured: ratio(fw, sw),
          target: '<= 2x SQLite',
          pass: fw <= 2 * sw,
        },
        ...([1, 3] as const).flatMap((level) => {
          const c = ffdbCold[level];
          return c
            ? [
                {
                  name: `B4 tail read cold p50, ${level === 1 ? 'page cache dropped (echo 1)' : 'page cache + dentries/inodes dropped (echo 3)'}`,
                  measured: `${c.p50.toFixed(3)} ms (SQLite ${p50(sqliteCold[level])} ms)`,
                  target: '<= 1 ms',
                  pass: c.p50 <= 1,
                },
              ]
            : [];
        }),
      ],
    };
  },
};
