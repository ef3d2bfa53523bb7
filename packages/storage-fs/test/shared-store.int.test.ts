import { afterEach, describe, expect, it } from 'vitest';
import type { FsStorageBackend } from '../src/index.js';
import { openStore, tempDir } from './helpers/temp-store.js';

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/**
 * Two backends on one directory behave like two processes (separate WAL readers, caches and lock
 * holders): every append of one is visible to the other, across checkpoints, seals and deletes.
 */
describe('two backends sharing one store', () => {
  it('see each other’s appends, checkpoints and deletes', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const opts = { walCheckpointBytes: 64 << 10, segmentMaxBytes: 8192, blockBytes: 2048 };
    const a = await openStore(t.dir, opts);
    const b = await openStore(t.dir, opts);
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    const model = new Map<string, number[]>();
    let n = 0;
    const stores: FsStorageBackend[] = [a, b];
    for (let round = 0; round < 60; round++) {
      const writer = stores[round % 2] as FsStorageBackend;
      const reader = stores[(round + 1) % 2] as FsStorageBackend;
      const log = `shared/s${round % 3}`;
      const vals = Array.from({ length: 1 + (round % 7) * 5 }, () => n++);
      const list = model.get(log) ?? [];
      const res = await writer.append(
        log,
        vals.map((v) => ({ v, pad: 'z'.repeat(100) })),
      );
      expect(res.firstSeq).toBe(list.length);
      list.push(...vals);
      model.set(log, list);
      expect(await reader.countLog(log)).toBe(list.length);
      expect(
        (await reader.readLog<{ v: number }>(log, { reverse: true, limit: 5 })).map((e) => e.data.v),
      ).toEqual(list.slice(-5).reverse());
      if (round % 10 === 9) await reader.checkpoint();
      if (round === 30) {
        await reader.delete('shared/s1');
        model.delete('shared/s1');
        expect(await writer.countLog('shared/s1')).toBe(0);
        expect(await writer.exists('shared/s1')).toBe(false);
      }
    }
    for (const [log, list] of model) {
      expect((await a.readLog<{ v: number }>(log)).map((e) => e.data.v)).toEqual(list);
      expect((await b.readLog<{ v: number }>(log)).map((e) => e.data.v)).toEqual(list);
    }
    // concurrent appends from both to the same log: all present, batches contiguous
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (stores[i % 2] as FsStorageBackend).append('shared/race', [
          { i, k: 0 },
          { i, k: 1 },
        ]),
      ),
    );
    const race = await a.readLog<{ i: number; k: number }>('shared/race');
    expect(race.length).toBe(80);
    for (let s = 0; s < 80; s += 2) expect(race[s + 1]?.data).toEqual({ i: race[s]?.data.i, k: 1 });
    expect(new Set(race.map((e) => e.data.i)).size).toBe(40);
    expect((await b.verify()).issues).toEqual([]);
  });
});

describe('a WAL generation that another backend grew', () => {
  /**
   * Regression (lost acknowledged records with 4 processes): a clean close truncates the empty WAL
   * generation to 0 bytes. Backends that open the store then know it as 0 bytes long. When one of
   * them appended (pre-allocating the file) and then another took the writer lock, the second still
   * believed the file was empty and "pre-allocated" it again by writing zeros from byte 0 — over the
   * first one's committed frames. A reader opened next saw no record of either.
   */
  it('never zeroes frames another backend committed after a clean close truncated the WAL', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const first = await openStore(t.dir);
    await first.append('seed/log', [{ v: -1 }]);
    await first.close(); // clean close: the WAL generation is truncated to 0 bytes
    const a = await openStore(t.dir);
    const b = await openStore(t.dir);
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    for (let i = 0; i < 3; i++) await a.append('x/log', [{ v: i, pad: 'a'.repeat(200) }]);
    for (let i = 3; i < 6; i++) await b.append('x/log', [{ v: i, pad: 'b'.repeat(200) }]);
    // A third backend (a process started now, or a recovery after a crash) reads the WAL from disk.
    const c = await openStore(t.dir);
    cleanups.push(() => c.close());
    expect((await c.readLog<{ v: number }>('x/log')).map((e) => e.data.v)).toEqual([0, 1, 2, 3, 4, 5]);
    expect((await c.readLog<{ v: number }>('seed/log')).map((e) => e.data.v)).toEqual([-1]);
  });
});

describe('a blob two backends delete at once', () => {
  it('is deleted by one of them; the other finds nothing instead of failing', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const a = await openStore(t.dir);
    const b = await openStore(t.dir);
    cleanups.push(async () => {
      await a.close();
      await b.close();
    });
    await a.write('shared/blob', new TextEncoder().encode('x'));
    // B removes the blob after A saw it and before A unlinks it: the interleaving of two processes.
    const files = (a as unknown as { blobFiles: { unlink(key: string): Promise<boolean> } }).blobFiles;
    const unlink = files.unlink.bind(files);
    let raced = false;
    files.unlink = async (key) => {
      raced = await b.delete(key);
      return unlink(key);
    };
    expect(await a.delete('shared/blob')).toBe(false);
    expect(raced).toBe(true);
    expect(await a.exists('shared/blob')).toBe(false);
    expect(await b.exists('shared/blob')).toBe(false);
  });
});
