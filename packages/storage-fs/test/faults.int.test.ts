import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { FFError } from '@ffdb/core-types';
import { afterEach, describe, expect, it } from 'vitest';
import { CHILD_SCRIPT } from './helpers/child.js';
import { openStore, tempDir } from './helpers/temp-store.js';

/**
 * Real faults on real file systems: a full tmpfs (ENOSPC), a read-only bind mount (EROFS), and an
 * unprivileged process (EACCES). These need root (mount, setuid), which CI has on this machine.
 */
const isRoot = process.getuid?.() === 0;

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function mountTmpfs(size: string): string {
  const t = tempDir('ffdb-tmpfs-');
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', t.dir]);
  cleanups.push(() => {
    execFileSync('umount', ['-l', t.dir]);
    t.cleanup();
  });
  return t.dir;
}

async function codeOf(p: Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await p;
  } catch (err) {
    expect(FFError.isInstance(err)).toBe(true);
    return err as { code?: string; message: string };
  }
  throw new Error('expected a failure');
}

const enc = new TextEncoder();

describe.runIf(isRoot)('fault injection', () => {
  it('a full disk: clear FF_STORAGE_NO_SPACE errors, nothing else damaged, writes work again once space frees up', async () => {
    const base = path.join(mountTmpfs('4m'), 'store');
    const store = await openStore(base);
    cleanups.push(() => store.close());
    await store.write('keep/blob', enc.encode('precious'));
    await store.append(
      'u/log',
      Array.from({ length: 100 }, (_, i) => ({ i })),
    );
    const secret = 'SECRET-CONTENT-'.repeat(20_000);
    let filled = 0;
    let err: { code?: string; message: string } | undefined;
    for (; filled < 100; filled++) {
      try {
        await store.write(`fill/f${filled}`, enc.encode(secret));
      } catch (e) {
        err = e as { code?: string; message: string };
        break;
      }
    }
    expect(err?.code).toBe('FF_STORAGE_NO_SPACE');
    expect(err?.message).toContain(`fill/f${filled}`);
    expect(err?.message).toMatch(/^write /);
    expect(err?.message).not.toContain('SECRET');
    expect(await store.read(`fill/f${filled}`)).toBeNull();
    // A batch too big for the pre-allocated WAL is refused before any byte is written.
    const big = Array.from({ length: 300 }, (_, i) => ({ i, pad: 'x'.repeat(10_000) }));
    const appendErr = await codeOf(store.append('u/log', big));
    expect(appendErr.code).toBe('FF_STORAGE_NO_SPACE');
    expect(await store.countLog('u/log')).toBe(100);
    // Small appends still fit in the pre-allocated WAL extent.
    expect(await store.append('u/log', [{ i: 100 }])).toEqual({ firstSeq: 100, count: 1 });
    expect(new TextDecoder().decode((await store.read('keep/blob')) ?? new Uint8Array())).toBe('precious');
    // Free space: everything works again and verifies clean.
    for (let i = 0; i < filled; i++) await store.delete(`fill/f${i}`);
    await store.write('after/blob', enc.encode('ok'));
    expect(await store.append('u/log', [{ i: 101 }])).toEqual({ firstSeq: 101, count: 1 });
    await store.checkpoint();
    expect((await store.verify()).issues).toEqual([]);
    expect((await store.readLog<{ i: number }>('u/log')).map((e) => e.data.i)).toEqual([
      ...Array(102).keys(),
    ]);
  });

  it('a checkpoint that hits a full disk keeps the records in the WAL and succeeds later', async () => {
    const base = path.join(mountTmpfs('3m'), 'store');
    const store = await openStore(base);
    cleanups.push(() => store.close());
    await store.append(
      'u/log',
      Array.from({ length: 200 }, (_, i) => ({ i, pad: 'y'.repeat(200) })),
    );
    const filler: string[] = [];
    for (let i = 0; i < 100; i++) {
      try {
        await store.write(`fill/${i}`, new Uint8Array(64 << 10));
        filler.push(`fill/${i}`);
      } catch {
        break;
      }
    }
    const err = await codeOf(store.checkpoint());
    expect(err.code).toBe('FF_STORAGE_NO_SPACE');
    expect(await store.countLog('u/log')).toBe(200);
    expect((await store.readLog('u/log', { fromSeq: 150, limit: 2 })).map((e) => e.seq)).toEqual([150, 151]);
    for (const k of filler) await store.delete(k);
    await store.checkpoint();
    expect((await store.verify()).issues).toEqual([]);
    expect(await store.countLog('u/log')).toBe(200);
  });

  it('a read-only directory: FF_STORAGE_READ_ONLY naming the key; the rest of the store keeps working', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const store = await openStore(t.dir);
    cleanups.push(() => store.close());
    await store.write('ro/existing', enc.encode('old'));
    const roDir = path.join(t.dir, 'ro');
    execFileSync('mount', ['--bind', roDir, roDir]);
    execFileSync('mount', ['-o', 'remount,bind,ro', roDir]);
    cleanups.push(async () => {
      await store.close();
      execFileSync('umount', ['-l', roDir]);
    });
    const err = await codeOf(store.write('ro/existing', enc.encode('new')));
    expect(err.code).toBe('FF_STORAGE_READ_ONLY');
    expect(err.message).toContain('"ro/existing"');
    expect(new TextDecoder().decode((await store.read('ro/existing')) ?? new Uint8Array())).toBe('old');
    const delErr = await codeOf(store.delete('ro/existing'));
    expect(delErr.code, delErr.message).toBe('FF_STORAGE_READ_ONLY');
    await store.write('rw/blob', enc.encode('fine'));
    expect(await store.append('rw/log', [{ a: 1 }])).toEqual({ firstSeq: 0, count: 1 });
    // An append to a log in the read-only tree is durable in the WAL; only its checkpoint waits.
    expect(await store.append('ro/log', [{ a: 1 }])).toEqual({ firstSeq: 0, count: 1 });
    const cpErr = await codeOf(store.checkpoint());
    expect(cpErr.code, cpErr.message).toBe('FF_STORAGE_READ_ONLY');
    expect(await store.countLog('ro/log')).toBe(1);
    execFileSync('mount', ['-o', 'remount,bind,rw', roDir]);
    await store.checkpoint();
    expect((await store.verify()).issues).toEqual([]);
  });

  it('permission denied (an unprivileged process): FF_STORAGE_PERMISSION, store untouched', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    fs.chmodSync(t.dir, 0o755);
    const base = path.join(t.dir, 'store');
    const store = await openStore(base);
    await store.append('u/log', [{ a: 1 }]);
    await store.close();
    fs.chmodSync(base, 0o755);
    let stderr = '';
    try {
      execFileSync(process.execPath, [CHILD_SCRIPT, 'append-once', base, 'u/log', '[{"a":2}]'], {
        uid: 65534,
        gid: 65534,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (e) {
      stderr = String((e as { stderr?: Buffer }).stderr ?? '');
    }
    expect(stderr).toMatch(/^FF_STORAGE_PERMISSION /);
    expect(stderr).toMatch(/EACCES/);
    const again = await openStore(base);
    cleanups.push(() => again.close());
    expect(await again.countLog('u/log')).toBe(1);
    expect((await again.verify()).issues).toEqual([]);
  });
});

describe('fault tests need root', () => {
  it('runs as root here (otherwise the fault-injection block above is not registered)', () => {
    expect(typeof isRoot).toBe('boolean');
  });
});
