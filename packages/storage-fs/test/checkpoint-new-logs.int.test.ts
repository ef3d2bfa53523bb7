import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { trackedStores } from './helpers/temp-store.js';

/**
 * Background checkpoints that meet hundreds of logs never written to segments before create their
 * directories ahead of the segment writes (on the thread pool, a chunk of logs at a time). Records
 * must land exactly once, at their seqs, whether a log is new or already has segments, and logs
 * deleted while such a checkpoint runs must not come back.
 */
const { temp, open } = trackedStores();

// A small WAL: rotations (and background checkpoints) happen many times while appends go on.
const options = { durability: 'always' as const, walCheckpointBytes: 64 << 10 };
const LOGS = 400;
const ROUNDS = 3;
const logOf = (i: number) => `users/u${i % 7}/sessions/s${i}/messages`;
const text = (i: number, r: number) => `log ${i} round ${r} `.repeat(20);

describe('checkpoints of many new logs', () => {
  it('create every log directory and keep every record at its seq, new logs and old ones alike', async () => {
    const dir = temp();
    const store = await open(dir, options);
    for (let r = 0; r < ROUNDS; r++) {
      // Concurrent appends over all logs: each round is checkpointed partly into new directories
      // (round 0) and partly into logs that already have a segment (later rounds).
      await Promise.all(
        Array.from({ length: LOGS }, async (_, i) => {
          const res = await store.append(logOf(i), [{ i, r, text: text(i, r) }]);
          expect(res.firstSeq).toBe(r);
        }),
      );
    }
    const check = async (s: typeof store) => {
      for (let i = 0; i < LOGS; i++) {
        const entries = await s.readLog<{ i: number; r: number; text: string }>(logOf(i));
        expect(entries.map((e) => [e.seq, e.data.i, e.data.r])).toEqual(
          Array.from({ length: ROUNDS }, (_, r) => [r, i, r]),
        );
        expect(entries[ROUNDS - 1]?.data.text).toBe(text(i, ROUNDS - 1));
      }
    };
    await check(store);
    await store.close();
    for (let i = 0; i < LOGS; i += 37) {
      expect(fs.statSync(path.join(dir, `${logOf(i)}.fflog`)).isDirectory()).toBe(true);
    }
    const again = await open(dir, options);
    await check(again);
    expect((await again.verify()).issues).toEqual([]);
  });

  it('logs deleted while checkpoints of new logs run stay deleted; the others keep every record', async () => {
    const dir = temp();
    const store = await open(dir, options);
    const deleted = new Set<number>();
    await Promise.all(
      Array.from({ length: LOGS }, async (_, i) => {
        await store.append(logOf(i), [{ i, r: 0, text: text(i, 0) }]);
        if (i % 3 === 0) {
          // The whole session goes, right after its first record, often while a background
          // checkpoint (which the delete waits for) is making directories for new logs.
          expect(await store.delete(`users/u${i % 7}/sessions/s${i}`)).toBe(true);
          deleted.add(i);
          return;
        }
        await store.append(logOf(i), [{ i, r: 1, text: text(i, 1) }]);
      }),
    );
    expect(deleted.size).toBe(Math.ceil(LOGS / 3));
    const check = async (s: typeof store) => {
      for (let i = 0; i < LOGS; i++) {
        const entries = await s.readLog<{ i: number; r: number }>(logOf(i));
        expect(entries.map((e) => [e.seq, e.data.r])).toEqual(
          deleted.has(i)
            ? []
            : [
                [0, 0],
                [1, 1],
              ],
        );
      }
    };
    await check(store);
    await store.close();
    // Nothing of a deleted session is left on disk, not even an empty directory made for its
    // first segment.
    for (const i of deleted)
      expect(fs.existsSync(path.join(dir, `users/u${i % 7}/sessions/s${i}`))).toBe(false);
    const again = await open(dir, options);
    await check(again);
    expect((await again.verify()).issues).toEqual([]);
  });
});
