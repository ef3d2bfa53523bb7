import { generateMessages } from '../corpus.js';
import type { Bench } from '../harness.js';
import { fmt, median, nowMs, ratio, summarize } from '../stats.js';
import { gc, sideOrder, sizes } from './common.js';
import { asRecords, ffdbUnavailable, openFfdb, sessionLog } from './ffdb-store.js';
import { SqlitePeer } from './sqlite-peer.js';

/** B1: one writer awaiting each durable append (one message each) vs SQLite WAL synchronous=FULL, 1 msg/txn. */
export const b1: Bench = {
  id: 'B1',
  title: 'durable appends, one writer, one message per commit',
  async run(ctx) {
    const n = sizes(ctx).b1Messages;
    const limitMs = sizes(ctx).durableLoopMs;
    const messages = generateMessages(n, { sessions: 1 });
    type Run = { rate: number; p50: number; p99: number; done: number };
    const results = { sqlite: [] as Run[], ffdb: [] as Run[] };
    const missing = await ffdbUnavailable();
    if (missing) ctx.log(`ffdb side skipped: ${missing}`);
    for (let run = 0; run < ctx.runs; run++) {
      for (const side of sideOrder(run)) {
        if (side === 'ffdb' && missing) continue;
        gc();
        const lat: number[] = new Array(n);
        if (side === 'sqlite') {
          const peer = new SqlitePeer(ctx.tempDir('sqlite'), 'FULL');
          const t0 = nowMs();
          let done = 0;
          for (let i = 0; i < n && nowMs() - t0 < limitMs; i++) {
            const s = nowMs();
            peer.insertOne(messages[i]!);
            lat[i] = nowMs() - s;
            done++;
          }
          const wall = nowMs() - t0;
          peer.close();
          const sum = summarize(lat.slice(0, done));
          results.sqlite.push({ rate: (done * 1000) / wall, p50: sum.p50, p99: sum.p99, done });
        } else {
          const store = await openFfdb(ctx.tempDir('ffdb'), { durability: 'always' });
          const log = sessionLog(messages[0]!.session_id);
          const records = asRecords(messages);
          const t0 = nowMs();
          let done = 0;
          for (let i = 0; i < n && nowMs() - t0 < limitMs; i++) {
            const s = nowMs();
            await store.append(log, [records[i]!]);
            lat[i] = nowMs() - s;
            done++;
          }
          const wall = nowMs() - t0;
          await store.close();
          const sum = summarize(lat.slice(0, done));
          results.ffdb.push({ rate: (done * 1000) / wall, p50: sum.p50, p99: sum.p99, done });
        }
      }
      ctx.log(
        `run ${run + 1}: sqlite ${fmt(results.sqlite.at(-1)!.rate)}/s, ffdb ${fmt(results.ffdb.at(-1)?.rate ?? Number.NaN)}/s`,
      );
    }
    const med = (side: 'sqlite' | 'ffdb', k: 'rate' | 'p50' | 'p99') =>
      median(results[side].map((r) => r[k]));
    const ffdbRate = med('ffdb', 'rate');
    const sqliteRate = med('sqlite', 'rate');
    return {
      tables: [
        {
          title: `B1 durable appends, 1 writer, 1 message per commit (up to ${n.toLocaleString('en-US')} msgs or ${limitMs / 1000} s per run, median of ${ctx.runs})`,
          columns: [
            'system',
            'msgs/s',
            'latency p50 ms',
            'latency p99 ms',
            'runs (msgs/s)',
            'msgs per run',
            'vs SQLite',
          ],
          rows: [
            [
              'SQLite WAL synchronous=FULL, 1 msg/txn',
              fmt(sqliteRate),
              fmt(med('sqlite', 'p50')),
              fmt(med('sqlite', 'p99')),
              results.sqlite.map((r) => fmt(r.rate)).join(' / '),
              results.sqlite.map((r) => fmt(r.done)).join(' / '),
              '1.00x',
            ],
            [
              "ffdb storage-fs durability 'always'",
              fmt(ffdbRate),
              fmt(med('ffdb', 'p50')),
              fmt(med('ffdb', 'p99')),
              results.ffdb.map((r) => fmt(r.rate)).join(' / '),
              results.ffdb.map((r) => fmt(r.done)).join(' / '),
              ratio(ffdbRate, sqliteRate),
            ],
          ],
          notes: [
            'Each append is awaited before the next starts; fresh directory per run; sides alternate first/second.',
          ],
        },
      ],
      checks: [
        {
          name: 'B1 single-writer durable appends vs SQLite FULL',
          measured: ratio(ffdbRate, sqliteRate),
          target: '>= 1.0x',
          pass: ffdbRate >= sqliteRate,
        },
      ],
    };
  },
};
