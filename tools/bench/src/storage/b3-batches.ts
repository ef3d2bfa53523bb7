import { type CorpusMessage, generateMessages } from '../corpus.js';
import type { Bench } from '../harness.js';
import { fmt, median, nowMs, ratio } from '../stats.js';
import { gc, sideOrder, sizes } from './common.js';
import { asRecords, ffdbUnavailable, openFfdb, sessionLog } from './ffdb-store.js';
import { SqlitePeer } from './sqlite-peer.js';

/** B3: one writer appending durable batches of 100 messages (batch k to session k mod 1000) vs SQLite FULL, 100 per txn. */
export const b3: Bench = {
  id: 'B3',
  title: 'durable batches of 100',
  async run(ctx) {
    const sz = sizes(ctx);
    const base = generateMessages(sz.b3Messages, { sessions: 1 });
    const sessions = Array.from(
      new Set(generateMessages(1_000, { sessions: 1_000, seed: 7 }).map((m) => m.session_id)),
    );
    const batches: CorpusMessage[][] = [];
    for (let k = 0; k * sz.b3Batch < base.length; k++) {
      const sid = sessions[k % sessions.length]!;
      batches.push(base.slice(k * sz.b3Batch, (k + 1) * sz.b3Batch).map((m) => ({ ...m, session_id: sid })));
    }
    const sqliteBatches = batches.slice(0, Math.ceil(sz.b3SqliteMessages / sz.b3Batch));
    const results = { sqlite: [] as number[], ffdb: [] as number[] };
    const missing = await ffdbUnavailable();
    if (missing) ctx.log(`ffdb side skipped: ${missing}`);
    for (let run = 0; run < ctx.runs; run++) {
      for (const side of sideOrder(run)) {
        if (side === 'ffdb' && missing) continue;
        gc();
        if (side === 'sqlite') {
          const peer = new SqlitePeer(ctx.tempDir('sqlite'), 'FULL');
          const t0 = nowMs();
          for (const b of sqliteBatches) peer.insertBatch(b);
          results.sqlite.push((sqliteBatches.length * sz.b3Batch * 1000) / (nowMs() - t0));
          peer.close();
        } else {
          const store = await openFfdb(ctx.tempDir('ffdb'), { durability: 'always' });
          const t0 = nowMs();
          for (const b of batches) await store.append(sessionLog(b[0]!.session_id), asRecords(b));
          results.ffdb.push((batches.length * sz.b3Batch * 1000) / (nowMs() - t0));
          await store.close();
        }
      }
      ctx.log(
        `run ${run + 1}: sqlite ${fmt(results.sqlite.at(-1)!)}/s, ffdb ${fmt(results.ffdb.at(-1) ?? Number.NaN)}/s`,
      );
    }
    const f = median(results.ffdb);
    const s = median(results.sqlite);
    return {
      tables: [
        {
          title: `B3 durable batches of ${sz.b3Batch}, one writer (median of ${ctx.runs})`,
          columns: ['system', 'msgs', 'msgs/s', 'runs', 'vs SQLite'],
          rows: [
            [
              `SQLite WAL FULL, ${sz.b3Batch} msgs/txn`,
              fmt(sqliteBatches.length * sz.b3Batch),
              fmt(s),
              results.sqlite.map((r) => fmt(r)).join(' / '),
              '1.00x',
            ],
            [
              `ffdb append(log, ${sz.b3Batch} records), 'always'`,
              fmt(batches.length * sz.b3Batch),
              fmt(f),
              results.ffdb.map((r) => fmt(r)).join(' / '),
              ratio(f, s),
            ],
          ],
          notes: [
            'Each batch goes to one session (batch k to session k mod 1,000) and is awaited before the next.',
          ],
        },
      ],
      checks: [
        {
          name: 'B3 durable batches of 100 vs SQLite FULL',
          measured: ratio(f, s),
          target: '>= 1.5x',
          pass: f >= 1.5 * s,
        },
      ],
    };
  },
};
