import { FFStorageError } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { faults } from '../src/fault-seam.js';
import type { FsStorageBackend } from '../src/index.js';
import { trackedStores } from './helpers/temp-store.js';

/**
 * Many concurrent durable writers make the writer loop pipeline its group commits (two groups'
 * fdatasyncs in flight): seqs stay consecutive per log, results match what is read back (before
 * and after a reopen), and a commit that fails in the middle of a pipeline leaves no gap and loses
 * nothing that was acknowledged.
 */
const { temp, open } = trackedStores();
afterEach(() => faults.clear());

const WRITERS = 64;
const PER_WRITER = 40;
const LOGS = 10;
const logOf = (w: number, i: number) => `p/log${(w * 7 + i) % LOGS}`;

interface Acked {
  log: string;
  seq: number;
  id: string;
}

/** WRITERS loops, each awaiting its own append; returns the acknowledged appends and the failures. */
async function write(
  store: FsStorageBackend,
  errors: unknown[] = [],
): Promise<{ acked: Acked[]; failed: number }> {
  const acked: Acked[] = [];
  let failed = 0;
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, w) => {
      for (let i = 0; i < PER_WRITER; i++) {
        const log = logOf(w, i);
        const id = `w${w}-${i}`;
        try {
          const r = await store.append(log, [{ id, text: `message ${id} `.repeat(100) }]);
          expect(r.count).toBe(1);
          acked.push({ log, seq: r.firstSeq, id });
        } catch (err) {
          errors.push(err);
          failed++;
        }
      }
    }),
  );
  return { acked, failed };
}

/** Every log holds exactly its acknowledged records, at the acknowledged seqs, with no gap. */
async function expectExactly(store: FsStorageBackend, acked: Acked[]): Promise<void> {
  for (let l = 0; l < LOGS; l++) {
    const log = `p/log${l}`;
    const mine = acked.filter((a) => a.log === log).sort((a, b) => a.seq - b.seq);
    const entries = await store.readLog<{ id: string }>(log);
    expect(entries.map((e) => e.seq)).toEqual(mine.map((_, i) => i));
    expect(entries.map((e) => e.data.id)).toEqual(mine.map((a) => a.id));
  }
}

/**
 * After failures, appends go on at the next seqs; every acknowledged record is there before and after
 * a reopen. `check` runs on the store before it is closed and on the reopened one.
 */
async function writeMoreThenReopen(
  store: FsStorageBackend,
  dir: string,
  acked: Acked[],
  check: (s: FsStorageBackend) => Promise<void> = async () => {},
): Promise<void> {
  const more = await write(store);
  expect(more.failed).toBe(0);
  const all = [...acked, ...more.acked];
  await expectExactly(store, all);
  await check(store);
  await store.close();
  const again = await open(dir, { durability: 'always' });
  await expectExactly(again, all);
  await check(again);
}

describe('pipelined group commits', () => {
  it('keep seqs consecutive and results exact under 64 concurrent durable writers', async () => {
    const dir = temp();
    const store = await open(dir, { durability: 'always' });
    const { acked, failed } = await write(store);
    expect(failed).toBe(0);
    expect(acked).toHaveLength(WRITERS * PER_WRITER);
    await expectExactly(store, acked);
    await store.close();
    const again = await open(dir, { durability: 'always' });
    await expectExactly(again, acked);
  });

  it('a commit failing mid-pipeline leaves no gap and keeps every acknowledged record', async () => {
    const dir = temp();
    const store = await open(dir, { durability: 'always' });
    // Every other WAL extension fails (full disk): commits fail while others are in flight.
    let extends_ = 0;
    faults.inject('ENOSPC', (op) => op === 'wal-extend' && ++extends_ % 2 === 0);
    const { acked, failed } = await write(store);
    faults.clear();
    expect(failed).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);
    await expectExactly(store, acked);
    await writeMoreThenReopen(store, dir, acked);
  });

  it('a failed fdatasync fails its group and every later group in flight, and none of their records appear', async () => {
    const dir = temp();
    const store = await open(dir, { durability: 'always' });
    // Every fifth pipelined group's fdatasync fails (a disk reporting a write error): the group
    // after it is usually in flight already, written but not synced.
    let syncs = 0;
    faults.inject('EIO', (op) => op === 'wal-sync' && ++syncs % 5 === 0);
    const errors: unknown[] = [];
    const { acked, failed } = await write(store, errors);
    faults.clear();
    expect(syncs).toBeGreaterThanOrEqual(5); // the pipeline ran and the fault fired
    expect(failed).toBeGreaterThan(0);
    expect(acked.length).toBeGreaterThan(0);
    expect(failed + acked.length).toBe(WRITERS * PER_WRITER);
    for (const err of errors) {
      expect(err).toBeInstanceOf(FFStorageError);
      expect((err as FFStorageError).message).toMatch(/append/);
    }
    // Only acknowledged records, at their seqs, no gap where the failed groups were.
    await expectExactly(store, acked);
    // The failed groups' bytes were zeroed: recovery does not bring them back.
    await writeMoreThenReopen(store, dir, acked, async (s) => {
      expect((await s.verify()).issues).toEqual([]);
    });
  });
});
