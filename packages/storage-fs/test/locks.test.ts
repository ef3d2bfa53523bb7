import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FFError } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { FileLock } from '../src/file-lock.js';
import { KeyedMutex } from '../src/keyed-mutex.js';
import { tempDir } from './helpers/temp-store.js';

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('KeyedMutex', () => {
  it('is FIFO per key, independent across keys, and forgets idle keys', async () => {
    const m = new KeyedMutex();
    const order: string[] = [];
    const r1 = await m.acquire('a', 1000);
    const p2 = m.acquire('a', 1000).then((r) => {
      order.push('a2');
      r();
    });
    const rb = await m.acquire('b', 1000);
    order.push('b');
    rb();
    order.push('a1');
    r1();
    await p2;
    expect(order).toEqual(['b', 'a1', 'a2']);
    expect(m.size).toBe(0);
  });

  it('times out with FF_LOCK_TIMEOUT and keeps the queue usable', async () => {
    const m = new KeyedMutex();
    const r = await m.acquire('k', 1000);
    const err = await m.acquire('k', 20).catch((e: unknown) => e);
    expect(FFError.isInstance(err) && (err as FFError).code).toBe('FF_LOCK_TIMEOUT');
    r();
    (await m.acquire('k', 20))();
  });
});

describe('FileLock', () => {
  it('excludes a second holder and times out clearly', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'x.lock');
    const a = new FileLock(file, 30_000, 'x');
    const b = new FileLock(file, 30_000, 'x');
    await a.acquire(100);
    const err = await b.acquire(50).catch((e: unknown) => e);
    expect(FFError.isInstance(err) && (err as FFError).code).toBe('FF_LOCK_TIMEOUT');
    a.release();
    await b.acquire(100);
    b.release();
    expect(fs.existsSync(file)).toBe(false);
  });

  it('breaks a lock whose owner process is gone', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'x.lock');
    // pid 2^22+1 is above the default pid_max: never alive.
    fs.symlinkSync(`4194305@deadbeefdeadbeef@${Date.now()}@${os.hostname()}`, file);
    const lock = new FileLock(file, 30_000, 'x');
    await lock.acquire(1000);
    expect(lock.held).toBe(true);
    lock.release();
  });

  it('clears a "want" signal left by a waiter that died, so holders stop handing over', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'x.lock');
    fs.symlinkSync('4194305', `${file}.want`);
    const lock = new FileLock(file, 30_000, 'x');
    await lock.acquire(100);
    expect(lock.othersWaiting()).toBe(false);
    lock.release();
  });

  it('keeps a lock of a live owner even when it is old', async () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const file = path.join(t.dir, 'x.lock');
    fs.symlinkSync(`${process.pid}@cafe@0@${os.hostname()}`, file);
    const lock = new FileLock(file, 100, 'x');
    const err = await lock.acquire(80).catch((e: unknown) => e);
    expect(FFError.isInstance(err)).toBe(true);
  });
});

describe('withLock across two stores on one directory', () => {
  it('reports the timeout the caller gave, in whole milliseconds', async () => {
    const { openStore } = await import('./helpers/temp-store.js');
    const t = tempDir();
    cleanup = t.cleanup;
    const a = await openStore(t.dir);
    const b = await openStore(t.dir);
    try {
      let release = () => {};
      const held = a.withLock('k', () => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 20)); // a holds the file lock now
      const err = await b.withLock('k', async () => 'ran', { timeoutMs: 150.4 }).catch((e: unknown) => e);
      expect(FFError.isInstance(err) && (err as FFError).code).toBe('FF_LOCK_TIMEOUT');
      // The in-process wait took a little of the budget; the error still names what the caller asked.
      expect((err as { timeoutMs: number }).timeoutMs).toBe(150);
      expect((err as Error).message).toBe('Could not acquire lock on "k" within 150 ms');
      release();
      await held;
    } finally {
      await a.close();
      await b.close();
    }
  });
});
