import fs from 'node:fs';
import path from 'node:path';
import { BrotliCompressor } from '@ffdb/compression';
import { describe, expect, it } from 'vitest';
import { openStore, trackedStores } from './helpers/temp-store.js';

/**
 * Files the engine leaves and touches: a clean close gives back the WAL's pre-allocated zeros, a
 * read-only open takes no lock, a page in sealed segments never reads the active segment, footers
 * of any size are read, archived segments use `archiveBlockBytes` blocks.
 */
const { temp, open } = trackedStores();

const msg = (i: number) => ({
  i,
  role: i % 2 ? 'assistant' : 'user',
  content: `message number ${i} `.repeat(6),
});
const walDir = (dir: string) => path.join(dir, '.ffdb/wal');
const walSizes = (dir: string) =>
  fs
    .readdirSync(walDir(dir))
    .filter((n) => n.endsWith('.wal'))
    .map((n) => fs.statSync(path.join(walDir(dir), n)).size);

describe('lean I/O', () => {
  it('writers resumed by one commit go into the next commit together (one write per round)', async () => {
    const dir = temp();
    const store = await open(dir, { walCheckpointBytes: 64 << 20 });
    const writers = 16;
    const rounds = 20;
    await store.append('w/0', [msg(0)]); // WAL pre-allocated before counting
    // Count the engine's write system calls (real I/O, only counted).
    const real = fs.writeSync;
    let writes = 0;
    (fs as { writeSync: typeof fs.writeSync }).writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
      writes++;
      return real(...args);
    }) as typeof fs.writeSync;
    try {
      await Promise.all(
        Array.from({ length: writers }, async (_, w) => {
          for (let r = 0; r < rounds; r++) await store.append(`w/${w}`, [msg(r)]);
        }),
      );
    } finally {
      (fs as { writeSync: typeof fs.writeSync }).writeSync = real;
    }
    // One commit (one write) per round; committing the first resumed writer alone would double it.
    expect(writes).toBeLessThanOrEqual(rounds + 3);
    for (let w = 0; w < writers; w++)
      expect(await store.countLog(`w/${w}`)).toBe(w === 0 ? rounds + 1 : rounds);
  });

  it('a clean close leaves one empty WAL file; the next write pre-allocates again; nothing is lost', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.append('u/log', [msg(0), msg(1)]);
    expect(walSizes(dir)[0]).toBeGreaterThan(0);
    await a.close();
    expect(walSizes(dir)).toEqual([0]);

    const b = await open(dir);
    expect((await b.readLog('u/log')).map((e) => e.data)).toEqual([msg(0), msg(1)]);
    expect(await b.append('u/log', [msg(2)])).toEqual({ firstSeq: 2, count: 1 });
    expect(walSizes(dir)[0]).toBeGreaterThanOrEqual(256 << 10); // pre-allocated extent
    await b.close();
    expect(walSizes(dir)).toEqual([0]);

    const c = await open(dir);
    expect(await c.countLog('u/log')).toBe(3);
    expect((await c.verify()).issues).toEqual([]);
  });

  it('a store whose WAL another open backend still uses is not truncated under it', async () => {
    const dir = temp();
    const a = await open(dir);
    const b = await openStore(dir);
    await b.close(); // b had nothing to checkpoint: the shared WAL (empty) may be truncated
    await a.append('u/log', [msg(0)]); // a re-learns the size under the lock and pre-allocates
    const c = await openStore(dir);
    await c.close(); // a's record is in the WAL: c checkpoints it, nothing is lost
    expect((await a.readLog('u/log')).map((e) => e.data)).toEqual([msg(0)]);
    expect(await a.append('u/log', [msg(1)])).toEqual({ firstSeq: 1, count: 1 });
    const d = await open(dir);
    expect((await d.readLog('u/log')).map((e) => e.data)).toEqual([msg(0), msg(1)]);
  });

  it('opening a cleanly closed store and reading takes no writer lock (no directory writes)', async () => {
    const dir = temp();
    const a = await openStore(dir);
    await a.append('u/log', [msg(0)]);
    await a.close();
    const lockDir = path.join(dir, '.ffdb/locks');
    const before = fs.statSync(lockDir).mtimeMs;
    const walBefore = fs.statSync(walDir(dir)).mtimeMs;
    const b = await openStore(dir);
    expect((await b.readLog('u/log')).map((e) => e.data)).toEqual([msg(0)]);
    await b.close();
    expect(fs.statSync(lockDir).mtimeMs).toBe(before);
    expect(fs.statSync(walDir(dir)).mtimeMs).toBe(walBefore);
    // a write after such an open takes the lock as usual
    const c = await open(dir);
    expect(await c.append('u/log', [msg(1)])).toEqual({ firstSeq: 1, count: 1 });
  });

  it('a page inside sealed segments does not read the active segment', async () => {
    const dir = temp();
    const a = await openStore(dir, { segmentMaxRecords: 100 });
    for (let i = 0; i < 250; i += 50)
      await a.append(
        'u/log',
        Array.from({ length: 50 }, (_, j) => msg(i + j)),
      );
    await a.close();
    const logDir = path.join(dir, 'u/log.fflog');
    const active = fs.readdirSync(logDir).find((n) => n.endsWith('.seg'));
    expect(active).toBe('0000000000000200.seg');
    // Make the active segment unreadable as a file: any read of it fails (EISDIR).
    fs.rmSync(path.join(logDir, active as string));
    fs.mkdirSync(path.join(logDir, active as string));
    const b = await open(dir);
    expect((await b.readLog('u/log', { fromSeq: 120, limit: 50 })).map((e) => e.data)).toEqual(
      Array.from({ length: 50 }, (_, j) => msg(120 + j)),
    );
    // whereas a read that needs the count touches it
    await expect(b.countLog('u/log')).rejects.toThrow();
  });

  it('reads sealed segments whose footer is larger than the first read from the end', async () => {
    const dir = temp();
    const a = await open(dir, { blockBytes: 1024, segmentMaxRecords: 3000, segmentMaxBytes: 8 << 20 });
    const n = 3100;
    for (let i = 0; i < n; i += 500)
      await a.append(
        'u/log',
        Array.from({ length: Math.min(500, n - i) }, (_, j) => msg(i + j)),
      );
    await a.checkpoint();
    const logDir = path.join(dir, 'u/log.fflog');
    const sealed = fs.readdirSync(logDir).find((n) => n.endsWith('.sseg')) as string;
    const footer = a.segments.footer(path.join(logDir, sealed));
    expect(JSON.stringify(footer).length).toBeGreaterThan(16 << 10);
    const b = await open(dir);
    expect((await b.readLog('u/log', { fromSeq: 2500, limit: 3 })).map((e) => e.data)).toEqual([
      msg(2500),
      msg(2501),
      msg(2502),
    ]);
    expect((await b.verify()).issues).toEqual([]);
  });

  it('archives segments in archiveBlockBytes blocks (fewer, larger blocks), read transparently', async () => {
    const dir = temp();
    const store = await open(dir, {
      archiveCompressor: new BrotliCompressor({ quality: 5 }),
      segmentMaxBytes: 512 << 10,
      archiveBlockBytes: 256 << 10,
    });
    const n = 3000;
    for (let i = 0; i < n; i += 500)
      await store.append(
        'u/log',
        Array.from({ length: 500 }, (_, j) => msg(i + j)),
      );
    await store.compact();
    const logDir = path.join(dir, 'u/log.fflog');
    const blocksOf = () =>
      fs
        .readdirSync(logDir)
        .filter((f) => f.endsWith('.sseg'))
        .map((f) => store.segments.footer(path.join(logDir, f)));
    const sealedBlocks = blocksOf().flatMap((f) => f.blocks);
    expect(Math.max(...sealedBlocks.map((b) => b.rawBytes))).toBeLessThanOrEqual(80 << 10);
    await store.compact({ archive: true });
    const archived = blocksOf();
    expect(archived.every((f) => f.compressor === 'brotli')).toBe(true);
    const archivedBlocks = archived.flatMap((f) => f.blocks);
    expect(archivedBlocks.length).toBeLessThan(sealedBlocks.length / 2);
    expect(Math.max(...archivedBlocks.map((b) => b.rawBytes))).toBeGreaterThan(128 << 10);
    expect((await store.readLog('u/log', { fromSeq: 1500, limit: 2 })).map((e) => e.data)).toEqual([
      msg(1500),
      msg(1501),
    ]);
    expect(await store.countLog('u/log')).toBe(n);
    expect((await store.verify()).issues).toEqual([]);
  });
});
