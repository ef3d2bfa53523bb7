import fs from 'node:fs';
import path from 'node:path';
import type { JsonObject, Logger } from '@ffdb/core-types';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { FsStorageBackend } from '../src/index.js';
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

/** A logger that keeps its warnings. */
function warningsLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const none = () => undefined;
  const logger = {
    warnings,
    trace: none,
    debug: none,
    info: none,
    error: none,
    warn: (obj: object | string, msg?: string) => {
      warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
    },
    child: () => logger,
  };
  return logger;
}

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
    await store.readLog(LOG, { reverse: true, limit: 50 }); // second: parses the chunks whole, caches them
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

  it('caches nothing around a damaged line and reports it only to reads that include it', async () => {
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

    const logger = warningsLogger();
    const store = await stores.open(dir, { logger });
    const after = rows('d', 150, 20).map((data, k) => ({ seq: 150 + k, data }));
    for (let round = 0; round < 4; round++) {
      // Its chunk holds the damaged line: every read goes to the file and none reports the line.
      expect(await store.readLog(LOG, { fromSeq: 150, limit: 20 })).toEqual(after);
    }
    expect(logger.warnings).toEqual([]);
    const around = await store.readLog(LOG, { fromSeq: 130, limit: 20 });
    expect(around.map((e) => e.seq)).toEqual(
      Array.from({ length: 20 }, (_, k) => 130 + k).filter((s) => s !== 140),
    );
    expect(logger.warnings).toHaveLength(1);
    expect(logger.warnings[0]).toMatch(/damaged/);
  });
});
