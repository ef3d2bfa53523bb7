import fs from 'node:fs';
import path from 'node:path';
import { Lz4Compressor } from '@ffdb/compression';
import type { JsonObject } from '@ffdb/core-types';
import { expect, it } from 'vitest';
import { spawnWorker, watchExit } from './helpers/child.js';
import { trackedStores } from './helpers/temp-store.js';

// Another process's compact() rewrites sealed segments under new names and unlinks the old files. A
// reader holding descriptors of them (a log's first read opens all its sealed segments) must let go
// once the compaction is over: it would read on from the unlinked copies and keep their disk space.
// Real processes, real files; the descriptors are counted in /proc/self/fd.

const stores = trackedStores();
const LOGS = 20;
const PER_LOG = 120;
const OPTS = { segmentMaxRecords: 20, durability: 'none' as const };
const logKey = (l: number) => `u/s${l}/messages`;
const record = (l: number, i: number): JsonObject => ({
  l,
  i,
  text: `record ${i} of log ${l} ${'z'.repeat(i % 40)}`,
});

/** Descriptors of this process on files under `dir` that were unlinked. */
function unlinkedHeld(dir: string): number {
  let n = 0;
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(path.join('/proc/self/fd', fd));
      if (target.startsWith(dir + path.sep) && target.endsWith(' (deleted)')) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

it("lets go of the segment files another process's compaction replaced", async () => {
  const dir = stores.temp();
  const writer = await stores.open(dir, OPTS);
  for (let l = 0; l < LOGS; l++)
    await writer.append(
      logKey(l),
      Array.from({ length: PER_LOG }, (_, i) => record(l, i)),
    );
  await writer.close();

  // The reader is configured as the compacting process is (it reads both kinds of segment).
  const reader = await stores.open(dir, { ...OPTS, compressor: new Lz4Compressor(), maxOpenFiles: 1000 });
  const child = spawnWorker(['compact-lz4', dir], OPTS);
  let out = '';
  child.stdout?.on('data', (b: Buffer) => {
    out += b.toString();
  });
  const child$ = watchExit(child);
  // Read every log again and again while the compaction runs: many first reads land between the
  // compaction's opening checkpoint and the rewrite of that log.
  for (let l = 0; child$.running; l++) {
    const page = await reader.readLog(logKey(l % LOGS), { fromSeq: 0, limit: 5 });
    expect(page[0]?.data).toEqual(record(l % LOGS, 0));
    await new Promise(setImmediate); // reads of a warm store never wait on I/O: let 'exit' arrive
  }
  expect(await child$.exited).toBe(0);
  expect(JSON.parse(out).segmentsRewritten).toBeGreaterThanOrEqual(LOGS * 5);

  // One call after the compaction: nothing unlinked is held any more, and the logs read in full.
  expect(await reader.countLog(logKey(0))).toBe(PER_LOG);
  expect(unlinkedHeld(dir)).toBe(0);
  for (let l = 0; l < LOGS; l++)
    expect((await reader.readLog(logKey(l))).map((e) => e.data)).toEqual(
      Array.from({ length: PER_LOG }, (_, i) => record(l, i)),
    );
  expect(unlinkedHeld(dir)).toBe(0);
});
