import fs from 'node:fs';
import path from 'node:path';
import { setImmediate as nextImmediate } from 'node:timers/promises';
import { FFError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { FsStorageBackend } from '../src/index.js';
import { checkFrame, encodeEnd } from '../src/wal-frame.js';
import { capturingLogger } from './helpers/capturing-logger.js';
import { spawnWorker, watchExit } from './helpers/child.js';
import { trackedStores } from './helpers/temp-store.js';

/**
 * Calls racing close(), a reader that fell generations behind, and verify() beside another writer
 * (found by an audit with real stores; each test failed on the code before the fix).
 */
const { temp, open } = trackedStores();
/** Small segments, a small WAL and a quick idle checkpoint: many rotations beside the other store. */
const CHURN_OPTIONS = {
  durability: 'none' as const,
  segmentMaxRecords: 3,
  checkpointIdleMs: 5,
  walCheckpointBytes: 64 << 10,
};

const walDir = (dir: string) => path.join(dir, '.ffdb/wal');
const walGens = (dir: string) => fs.readdirSync(walDir(dir)).filter((n) => n.endsWith('.wal'));
const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe('close() waits for calls in flight', () => {
  for (const op of ['checkpoint', 'verify', 'compact', 'delete'] as const) {
    it(`close() racing ${op}() never closes the WAL under it; the store opens again`, async () => {
      for (let round = 0; round < 8; round++) {
        const dir = temp();
        const store = await open(dir, { durability: 'always' });
        await store.append('a/log', [{ i: 1 }, { i: 2 }]);
        await store.append('b/log', [{ i: 1 }]);
        await store.checkpoint();
        // The WAL now holds only DELETE frames: no tails, so close() had no checkpoint of its own
        // to wait behind and closed the WAL while the call below awaited its fdatasync.
        await store.delete('b');
        const call = op === 'delete' ? store.delete('a') : op === 'verify' ? store.verify() : store[op]();
        for (let i = 0; i < round % 4; i++) await nextImmediate();
        const [settled] = await Promise.allSettled([call, store.close()]);
        if (settled.status === 'rejected') {
          expect(FFError.isInstance(settled.reason)).toBe(true);
          expect((settled.reason as FFError).code).toBe('FF_CLOSED');
        }
        const again = await open(dir);
        expect(await again.countLog('a/log')).toBe(op === 'delete' && settled.status === 'fulfilled' ? 0 : 2);
        expect((await again.verify()).issues).toEqual([]);
      }
    });
  }

  it('a call made after close() began is refused with FF_CLOSED and writes nothing', async () => {
    const dir = temp();
    const store = await open(dir);
    await store.append('a/log', [{ i: 0 }]);
    const closing = store.close();
    await expect(store.append('a/log', [{ i: 1 }])).rejects.toMatchObject({ code: 'FF_CLOSED' });
    await expect(store.delete('a')).rejects.toMatchObject({ code: 'FF_CLOSED' });
    await closing;
    const again = await open(dir);
    expect(await again.countLog('a/log')).toBe(1);
  });

  it('close() racing verify() leaves no descriptor open', async () => {
    const before = openFds();
    for (let round = 0; round < 20; round++) {
      const dir = temp();
      const store = new FsStorageBackend({
        basePath: dir,
        durability: 'none',
        segmentMaxRecords: 20,
        checkpointIdleMs: 0,
      });
      await store.open();
      for (let l = 0; l < 5; l++)
        await store.append(
          `logs/l${l}`,
          Array.from({ length: 30 + l }, (_, i) => ({ i })),
        );
      await store.checkpoint();
      for (let l = 0; l < 5; l++) await store.append(`logs/l${l}`, [{ i: 'more' }]);
      await store.readLog('logs/l0');
      const verifying = store.verify();
      for (let i = 0; i < round % 5; i++) await nextImmediate();
      await Promise.allSettled([verifying, store.close()]);
    }
    await new Promise((r) => setTimeout(r, 20));
    expect(openFds()).toBeLessThanOrEqual(before);
  });
});

it('a store whose WAL ends with an END naming a missing generation opens, with every record', async () => {
  // What close() racing a checkpoint left before the fix: END(n+1) in generation n, n+1 removed.
  // Every later open failed with "the write-ahead log generations do not chain".
  const dir = temp();
  const first = await open(dir, { durability: 'always' });
  await first.append('a/log', [{ i: 0 }, { i: 1 }]);
  await first.checkpoint();
  await first.append('a/log', [{ i: 2 }]);
  await first.delete('gone');
  await first.append('c/log', [{ i: 0 }]);
  // A copy of the open store: its WAL generation holds frames, as after a crash.
  const crashed = temp();
  fs.cpSync(dir, crashed, { recursive: true });
  // A crashed process's writer lock names a dead process; this copy's names us: drop it.
  fs.rmSync(path.join(crashed, '.ffdb/locks/writer.lock'), { force: true });
  const [gen] = walGens(crashed);
  const file = path.join(walDir(crashed), gen as string);
  const bytes = fs.readFileSync(file);
  const g = Number.parseInt(gen as string, 10);
  // END(g + 1) right after the last frame, and no generation g + 1.
  fs.writeFileSync(file, Buffer.concat([bytes.subarray(0, frameEnd(bytes, g)), encodeEnd(g, g + 1)]));
  expect(walGens(crashed)).toEqual([gen]);

  const logger = capturingLogger();
  const reopened = await open(crashed, { logger });
  expect((await reopened.readLog<{ i: number }>('a/log')).map((e) => e.data.i)).toEqual([0, 1, 2]);
  expect(await reopened.countLog('c/log')).toBe(1);
  expect(await reopened.append('a/log', [{ i: 3 }])).toEqual({ firstSeq: 3, count: 1 });
  expect(logger.lines.some((l) => l.msg === 'cut an END whose next WAL generation is missing')).toBe(true);
  await reopened.close();
  const third = await open(crashed);
  expect(await third.countLog('a/log')).toBe(4);
  expect((await third.verify()).issues).toEqual([]);
});

/** The end of the last valid frame of a generation file (where the engine writes the next one). */
function frameEnd(bytes: Buffer, gen: number): number {
  let off = 0;
  for (;;) {
    const r = checkFrame(bytes, off, gen);
    if (r.kind !== 'frame') return off;
    off += r.size;
  }
}

it('a reader that fell generations behind never serves a deleted log written again under the same names', async () => {
  for (const records of [100, 20]) {
    const dir = temp();
    const options = { durability: 'none' as const, segmentMaxRecords: 50 };
    const reader = await open(dir, options);
    const writer = await open(dir, options);
    await writer.append(
      'L',
      Array.from({ length: records }, (_, i) => ({ v: 'old', i })),
    );
    await writer.checkpoint();
    // The reader caches footers, blocks and active-segment lines of L.
    await reader.readLog('L');
    await reader.readLog('L', { reverse: true, limit: 10 });
    await reader.readLog('L', { reverse: true, limit: 10 });
    // Two generations go by without the reader: the DELETE frame is in one it never reads.
    await writer.checkpoint();
    await writer.delete('L');
    await writer.checkpoint();
    await writer.append(
      'L',
      Array.from({ length: records }, (_, i) => ({ v: 'new', i })),
    );
    await writer.checkpoint();
    const all = await reader.readLog<{ v: string }>('L');
    const tail = await reader.readLog<{ v: string }>('L', { reverse: true, limit: 10 });
    expect(all).toHaveLength(records);
    expect([...all, ...tail].every((e) => e.data.v === 'new')).toBe(true);
  }
});

it('verify() beside another store that appends, deletes and compacts: no raw errors, no false alarms', async () => {
  const dir = temp();
  const checker = await open(dir, CHURN_OPTIONS);
  const worker = await open(dir, CHURN_OPTIONS);
  let stop = false;
  const churn = async (j: number) => {
    for (let k = 0; !stop; k++) {
      for (let i = 0; i < 7; i++) await worker.append(`d${j}/l${k % 4}`, [{ i, pad: 'y'.repeat(200) }]);
      if (k % 3 === 0) await worker.delete(`d${j}`);
      if (k % 10 === 0) await worker.compact();
    }
  };
  const churning = Promise.all([0, 1, 2].map(churn));
  const reports = [];
  try {
    for (const until = Date.now() + 2_000; Date.now() < until; ) {
      reports.push(await checker.verify());
      await new Promise((r) => setTimeout(r, 1));
    }
  } finally {
    stop = true;
    await churning;
  }
  expect(reports.flatMap((r) => r.issues)).toEqual([]);
});

it('verify reports a generation that was ended but not removed, and repair removes it', async () => {
  const dir = temp();
  const store = await open(dir, { durability: 'always' });
  await store.append('a/log', [{ i: 0 }]);
  const [gen] = walGens(dir);
  const g = Number.parseInt(gen as string, 10);
  const copy = fs.readFileSync(path.join(walDir(dir), gen as string));
  await store.checkpoint();
  expect(walGens(dir)).not.toContain(gen);
  // The ended generation as a failed removal leaves it: its frames, then END(g + 1).
  fs.writeFileSync(
    path.join(walDir(dir), gen as string),
    Buffer.concat([copy.subarray(0, frameEnd(copy, g)), encodeEnd(g, g + 1)]),
  );
  const report = await store.verify();
  expect(report.issues).toEqual([expect.objectContaining({ code: 'orphan_wal' })]);
  const repaired = await store.verify({ repair: true });
  expect(repaired.ok).toBe(true);
  expect(walGens(dir)).not.toContain(gen);
  expect((await store.verify()).issues).toEqual([]);
  expect(await store.countLog('a/log')).toBe(1);
});

it('listLogs beside another process deleting the logs it lists never throws a raw error', async () => {
  const dir = temp();
  const lister = await open(dir, CHURN_OPTIONS);
  const errors: string[] = [];
  for (let round = 0; round < 2; round++) {
    const child = spawnWorker(['churn-logs', dir, '2000']);
    const child$ = watchExit(child);
    while (child$.running) {
      try {
        await lister.listLogs('p');
      } catch (err) {
        errors.push(
          FFError.isInstance(err) ? `FF ${(err as FFError).code}` : `raw ${(err as Error).message}`,
        );
      }
    }
    expect(await child$.exited).toBe(0);
  }
  expect(errors).toEqual([]);
});
