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
    // Both systems are open at once and take turns in chunks of CHUNK appends, so a disk whose fsync
    // rate swings 10x within seconds (this shared VM) slows both sides alike.
    const CHUNK = 50;
    for (let run = 0; run < ctx.runs; run++) {
      gc();
      const peer = new SqlitePeer(ctx.tempDir('sqlite'), 'FULL');
      const store = missing ? undefined : await openFfdb(ctx.tempDir('ffdb'), { durability: 'always' });
      const log = sessionLog(messages[0]!.session_id);
      const records = asRecords(messages);
      const lat = { sqlite: [] as number[], ffdb: [] as number[] };
      const busy = { sqlite: 0, ffdb: 0 };
      const t0 = nowMs();
      for (let start = 0, chunk = 0; start < n && nowMs() - t0 < 2 * limitMs; start += CHUNK, chunk++) {
        const end = Math.min(n, start + CHUNK);
        for (const side of sideOrder(run + chunk)) {
          const c0 = nowMs();
          for (let i = start; i < end; i++) {
            const s0 = nowMs();
            if (side === 'sqlite') peer.insertOne(messages[i]!);
            else if (store) await store.append(log, [records[i]!]);
            else break;
            lat[side].push(nowMs() - s0);
          }
          busy[side] += nowMs() - c0;
        }
      }
      peer.close();
      await store?.close();
      for (const side of ['sqlite', 'ffdb'] as const) {
        if (side === 'ffdb' && missing) continue;
        const sum = summarize(lat[side]);
        results[side].push({
          rate: (lat[side].length * 1000) / busy[side],
          p50: sum.p50,
          p99: sum.p99,
          done: lat[side].length,
        });
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
          title: `B1 durable appends, 1 writer, 1 message per commit (up to ${n.toLocaleString('en-US')} msgs per side or ${(2 * limitMs) / 1000} s per run, median of ${ctx.runs})`,
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
            "Each append is awaited before the next starts; fresh directories per run. Both systems are open together and take turns in chunks of 50 appends (alternating who goes first), so disk-speed swings hit both alike; msgs/s = appends ÷ time spent in that side's chunks.",
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
