import fs from 'node:fs';
import path from 'node:path';
import type { JsonObject } from '@ffdb/core-types';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FsStorageBackend } from '../src/index.js';
import { capturingLogger } from './helpers/capturing-logger.js';
import { trackedStores } from './helpers/temp-store.js';

// Records of active segments that are read again are parsed once into the block cache (in chunks of
// 64 seqs) and handed out as copies. The cache must never hand out a record that is not the one on
// disk: while the segment grows, after it is sealed, after the log is deleted and written again (the
// new active segment has the same file name), here or in another store instance.

const stores = trackedStores();
const LOG = 'u/s/messages';
const row = (tag: string, i: number): JsonObject => ({ tag, i, text: `${tag} ${i} `.repeat(1 + (i % 5)) });
const rows = (tag: string, from: number, n: number) =>
  Array.from({ length: n }, (_, k) => row(tag, from + k));

afterEach(() => {
  vi.restoreAllMocks();
});

/** Reads seqs [from, from + limit) three times (first read, cache fill, cache hit), forward and back. */
async function expectRange(store: FsStorageBackend, tag: string, total: number, from: number, limit: number) {
  const n = Math.max(0, Math.min(limit, total - from));
  const want = rows(tag, from, n).map((data, k) => ({ seq: from + k, data }));
  for (let round = 0; round < 3; round++) {
    expect(await store.readLog(LOG, { fromSeq: from, limit })).toEqual(want);
  }
  const newest = Math.min(limit, total);
  const wantNewest = rows(tag, total - newest, newest)
    .map((data, k) => ({ seq: total - newest + k, data }))
    .reverse();
  for (let round = 0; round < 3; round++) {
    expect(await store.readLog(LOG, { reverse: true, limit })).toEqual(wantNewest);
  }
}

describe('the cache of parsed active-segment records', () => {
  it('returns exactly the records on disk while the active segment grows and is sealed', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            add: fc.integer({ min: 1, max: 90 }),
            from: fc.nat({ max: 400 }),
            limit: fc.integer({ min: 1, max: 150 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        async (steps) => {
          const store = await stores.open(stores.temp(), { segmentMaxRecords: 150 });
          let total = 0;
          for (const step of steps) {
            await store.append(LOG, rows('r', total, step.add));
            total += step.add;
            // Into the segment files: the reads below go to the active segment, not the WAL tail.
            await store.checkpoint();
            await expectRange(store, 'r', total, Math.min(step.from, total - 1), step.limit);
          }
          await store.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('returns exactly the records on disk over any sequence of overlapping reads', async () => {
    const store = await stores.open(stores.temp());
    const total = 700; // one active segment: chunks of 64, the last one partial
    await store.append(LOG, rows('q', 0, total));
    await store.checkpoint();
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            from: fc.nat({ max: total - 1 }),
            limit: fc.integer({ min: 1, max: 140 }),
            reverse: fc.boolean(),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        async (reads) => {
          for (const { from, limit, reverse } of reads) {
            const got = await store.readLog(LOG, { fromSeq: from, limit, reverse });
            const seqs = reverse
              ? Array.from({ length: Math.min(limit, from + 1) }, (_, k) => from - k)
              : Array.from({ length: Math.min(limit, total - from) }, (_, k) => from + k);
            expect(got).toEqual(seqs.map((seq) => ({ seq, data: row('q', seq) })));
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('bounds the cache fills waiting for the event loop, and skips long reads', async () => {
    const store = await stores.open(stores.temp());
    await store.append(LOG, rows('b', 0, 9000)); // one active segment: 141 chunks
    await store.checkpoint();
    // White-box: the fills scheduled but not run yet (each holds its records' JSON text).
    const pending = () =>
      (store as unknown as { segments: { activeRecords: { pendingFills: number } } }).segments.activeRecords
        .pendingFills;
    (store as unknown as { segments: { activePending: Set<string> } }).segments.activePending;
    // Reads in a loop that never yields to the event loop: every chunk read twice, no fill can run.
    for (let round = 0; round < 2; round++)
      for (let from = 0; from < 9000; from += 64) await store.readLog(LOG, { fromSeq: from, limit: 64 });
    expect(pending()).toBeGreaterThan(0);
    expect(pending()).toBeLessThanOrEqual(64);
    await new Promise((resolve) => setImmediate(resolve));
    expect(pending()).toBe(0);
    // A long read (more than two chunks) neither schedules nor makes a fill.
    for (let round = 0; round < 2; round++) {
      const got = await store.readLog(LOG, { fromSeq: 4000, limit: 500 });
      expect(got.map((e) => e.data)).toEqual(rows('b', 4000, 500));
      expect(pending()).toBe(0);
    }
  });

  it('hands out copies: changing a returned record changes no later read', async () => {
    const store = await stores.open(stores.temp());
    await store.append(LOG, rows('c', 0, 100));
    await store.checkpoint();
    // First read, cache fill, then cache hits: each round changes what it got, the next must not see it.
    for (let round = 0; round < 5; round++) {
      const got = await store.readLog(LOG, { reverse: true, limit: 10 });
      expect(got.map((e) => e.data)).toEqual(rows('c', 90, 10).reverse());
      for (const e of got) (e.data as { tag: string }).tag = 'changed';
    }
  });

  it('serves a range read again without parsing its lines again', async () => {
    const store = await stores.open(stores.temp());
    await store.append(LOG, rows('p', 0, 300));
    await store.checkpoint();
    await store.readLog(LOG, { reverse: true, limit: 50 }); // first read: parses the 50 it returns
    await store.readLog(LOG, { reverse: true, limit: 50 }); // second: caches them, right after the read
    await new Promise((resolve) => setImmediate(resolve));
    const parse = vi.spyOn(JSON, 'parse');
    const got = await store.readLog(LOG, { reverse: true, limit: 50 });
    expect(got.map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, k) => 299 - k));
    expect(parse.mock.calls.length).toBeLessThan(5);
  });

  it('forgets a deleted log whose new active segment has the same file name (same store)', async () => {
    const store = await stores.open(stores.temp());
    await store.append(LOG, rows('old', 0, 120));
    await store.checkpoint();
    await expectRange(store, 'old', 120, 70, 40);
    expect(await store.delete(LOG)).toBe(true);
    await store.append(LOG, rows('new', 0, 120));
    await store.checkpoint();
    await expectRange(store, 'new', 120, 70, 40);
  });

  it('forgets a log another store instance deleted and wrote again', async () => {
    const dir = stores.temp();
    const reader = await stores.open(dir);
    const writer = await stores.open(dir);
    await writer.append(LOG, rows('old', 0, 120));
    await writer.checkpoint();
    await expectRange(reader, 'old', 120, 64, 50);
    expect(await writer.delete(LOG)).toBe(true);
    await writer.append(LOG, rows('new', 0, 130));
    await writer.checkpoint();
    await expectRange(reader, 'new', 130, 64, 50);
  });

  it('reports a damaged line to every read that includes it, and to no other, cached or not', async () => {
    const dir = stores.temp();
    const writer = await stores.open(dir);
    await writer.append(LOG, rows('d', 0, 200));
    await writer.close();
    // Flip a byte inside the record of seq 140 (chunk 128..191 of the active segment).
    const seg = path.join(dir, 'u/s/messages.fflog/0000000000000000.seg');
    const buf = fs.readFileSync(seg);
    let at = 0;
    for (let line = 0; line < 140; line++) at = buf.indexOf(0x0a, at) + 1;
    buf[at + 40] = (buf[at + 40] as number) ^ 0x04;
    fs.writeFileSync(seg, buf);

    const logger = capturingLogger();
    const warnings = () => logger.lines.filter((l) => l.level === 'warn');
    const store = await stores.open(dir, { logger });
    const after = rows('d', 150, 20).map((data, k) => ({ seq: 150 + k, data }));
    for (let round = 0; round < 4; round++) {
      // Its chunk holds the damaged line, outside this range: no read reports it.
      expect(await store.readLog(LOG, { fromSeq: 150, limit: 20 })).toEqual(after);
    }
    expect(warnings()).toEqual([]);
    for (let round = 1; round <= 3; round++) {
      // Each read that includes it skips it and says so, also once its neighbours are cached.
      const around = await store.readLog(LOG, { fromSeq: 130, limit: 20 });
      expect(around.map((e) => e.seq)).toEqual(
        Array.from({ length: 20 }, (_, k) => 130 + k).filter((s) => s !== 140),
      );
      expect(around.map((e) => e.data)).toEqual(around.map((e) => row('d', e.seq)));
      expect(warnings()).toHaveLength(round);
      expect(warnings()[round - 1]?.msg).toMatch(/damaged/);
    }
  });
});
