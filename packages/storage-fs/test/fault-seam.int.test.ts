import { afterEach, describe, expect, it } from 'vitest';
import { faults } from '../src/fault-seam.js';
import { openStore, tempDir } from './helpers/temp-store.js';

/**
 * The same disk-full and read-only scenarios as faults.int.test.ts, through the internal fault seam
 * (src/fault-seam.ts), so they also run where mounting is impossible (no root).
 */
let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  faults.clear();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

const enc = new TextEncoder();

async function fresh() {
  const t = tempDir();
  const store = await openStore(t.dir);
  cleanups.push(async () => {
    await store.close();
    t.cleanup();
  });
  return store;
}

async function failure(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

describe('injected faults (internal seam)', () => {
  it('ENOSPC on a blob write: FF_STORAGE_NO_SPACE naming the key, old value kept, no temp file left', async () => {
    const store = await fresh();
    await store.write('a/blob', enc.encode('old'));
    faults.inject('ENOSPC', (op) => op === 'blob-write');
    const err = await failure(store.write('a/blob', enc.encode('new secret')));
    expect(err.code).toBe('FF_STORAGE_NO_SPACE');
    expect(err.message).toContain('"a/blob"');
    expect(err.message).not.toContain('secret');
    faults.clear();
    expect(new TextDecoder().decode((await store.read('a/blob')) ?? new Uint8Array())).toBe('old');
    expect(await store.list('a')).toEqual(['a/blob']);
    await store.write('a/blob', enc.encode('new'));
    expect(new TextDecoder().decode((await store.read('a/blob')) ?? new Uint8Array())).toBe('new');
  });

  it('ENOSPC while extending the WAL: the batch is refused before any byte is written', async () => {
    const store = await fresh();
    await store.append('u/log', [{ i: 0 }]);
    faults.inject('ENOSPC', (op) => op === 'wal-extend');
    const big = Array.from({ length: 100 }, (_, i) => ({ i, pad: 'x'.repeat(10_000) }));
    expect((await failure(store.append('u/log', big))).code).toBe('FF_STORAGE_NO_SPACE');
    expect(await store.countLog('u/log')).toBe(1);
    expect(await store.append('u/log', [{ i: 1 }])).toEqual({ firstSeq: 1, count: 1 });
    faults.clear();
    expect(await store.append('u/log', big)).toEqual({ firstSeq: 2, count: 100 });
    expect(await store.countLog('u/log')).toBe(102);
  });

  it('EROFS on one log during a checkpoint: the others are checkpointed, its records stay readable', async () => {
    const store = await fresh();
    await store.append('ro/log', [{ a: 1 }]);
    await store.append('rw/log', [{ b: 1 }]);
    faults.inject('EROFS', (op, target) => op === 'segment-write' && target.includes('ro/log.fflog'));
    expect((await failure(store.checkpoint())).code).toBe('FF_STORAGE_READ_ONLY');
    expect(await store.readLog('ro/log')).toEqual([{ seq: 0, data: { a: 1 } }]);
    expect(await store.readLog('rw/log')).toEqual([{ seq: 0, data: { b: 1 } }]);
    faults.clear();
    await store.checkpoint();
    expect((await store.verify()).issues).toEqual([]);
    expect(await store.append('ro/log', [{ a: 2 }])).toEqual({ firstSeq: 1, count: 1 });
  });

  it('ENOSPC when sealing a segment leaves the active segment intact and readable', async () => {
    const t = tempDir();
    const store = await openStore(t.dir, { segmentMaxBytes: 4096 });
    cleanups.push(async () => {
      await store.close();
      t.cleanup();
    });
    await store.append(
      's/log',
      Array.from({ length: 60 }, (_, i) => ({ i, pad: 'y'.repeat(100) })),
    );
    faults.inject('ENOSPC', (op) => op === 'segment-seal');
    expect((await failure(store.checkpoint())).code).toBe('FF_STORAGE_NO_SPACE');
    expect((await store.readLog<{ i: number }>('s/log')).map((e) => e.data.i)).toEqual([...Array(60).keys()]);
    faults.clear();
    await store.checkpoint();
    expect((await store.readLog<{ i: number }>('s/log')).map((e) => e.data.i)).toEqual([...Array(60).keys()]);
    expect((await store.verify()).issues).toEqual([]);
  });
});
