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
    const results = { sqlite: [] as number[], ffdb: [] as number[] };
    const missing = await ffdbUnavailable();
    if (missing) ctx.log(`ffdb side skipped: ${missing}`);
    // Both systems open at once, taking turns every CHUNK batches (see B1): disk swings hit both alike.
    const CHUNK = 10;
    for (let run = 0; run < ctx.runs; run++) {
      gc();
      const peer = new SqlitePeer(ctx.tempDir('sqlite'), 'FULL');
      const store = missing ? undefined : await openFfdb(ctx.tempDir('ffdb'), { durability: 'always' });
      const busy = { sqlite: 0, ffdb: 0 };
      for (let start = 0, chunk = 0; start < batches.length; start += CHUNK, chunk++) {
        const slice = batches.slice(start, start + CHUNK);
        for (const side of sideOrder(run + chunk)) {
          const t0 = nowMs();
          if (side === 'sqlite') for (const b of slice) peer.insertBatch(b);
          else if (store)
            for (const b of slice) await store.append(sessionLog(b[0]!.session_id), asRecords(b));
          busy[side] += nowMs() - t0;
        }
      }
      peer.close();
      await store?.close();
      results.sqlite.push((batches.length * sz.b3Batch * 1000) / busy.sqlite);
      if (store) results.ffdb.push((batches.length * sz.b3Batch * 1000) / busy.ffdb);
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
              fmt(batches.length * sz.b3Batch),
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
            'Each batch goes to one session (batch k to session k mod 1,000) and is awaited before the next. Both systems are open together and take turns every 10 batches (alternating who goes first).',
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
