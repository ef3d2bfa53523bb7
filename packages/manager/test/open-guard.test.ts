/**
 * initialize() never hangs: a base path on a kernel pseudo-filesystem is refused at once (storage-fs's
 * recursive mkdir would spin forever under /proc), and a storage that does not open in time is given up.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createDefaultLogger,
  FFLockTimeoutError,
  FFStorageManager,
  loadConfig,
  TOKENS,
} from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A manager whose log lines (JSON) are captured. */
function managerAt(basePath: string, options: ConstructorParameters<typeof FFStorageManager>[1] = {}) {
  const lines: string[] = [];
  const config = loadConfig({
    env: {},
    overrides: { ...(testConfig(basePath) as object), runtime: { logLevel: 'error' } } as never,
  });
  const logger = createDefaultLogger(config, { destination: { write: (l: string) => lines.push(l) } });
  const m = new FFStorageManager(config, {
    ...options,
    overrides: { [TOKENS.Logger]: logger, ...(options.overrides ?? {}) },
  });
  cleanups.push(() => m.close());
  return { m, lines };
}

/** Resolves to the value, or to 'HUNG' after `ms`. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'HUNG'> {
  return Promise.race([p, new Promise<'HUNG'>((r) => setTimeout(() => r('HUNG'), ms).unref())]);
}

describe('initialize() on unusable base paths', () => {
  it('resolves false within seconds for a path under /proc, with the reason logged', async () => {
    const { m, lines } = managerAt('/proc/ffdb-test');
    const started = Date.now();
    expect(await within(m.initialize(), 5_000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(m.lastInitError).toMatchObject({ name: 'FFStorageError', code: 'FF_STORAGE_MISSING_BASE' });
    expect(String((m.lastInitError as Error).message)).toMatch(/\/proc/);
    const logged = lines.map((l) => JSON.parse(l) as { msg?: string; err?: { message?: string } });
    expect(logged.some((l) => l.msg === 'initialize failed' && /\/proc/.test(l.err?.message ?? ''))).toBe(
      true,
    );
    expect(fs.existsSync('/proc/ffdb-test')).toBe(false);
    await expect(within(FFStorageManager.open(testConfig('/proc/ffdb-x')), 5_000)).rejects.toMatchObject({
      name: 'FFStorageError',
    });
  });

  it('refuses /sys and a symlink that leads into /proc, and accepts an ordinary new directory', async () => {
    expect(await within(managerAt('/sys/ffdb-test').m.initialize(), 5_000)).toBe(false);
    const d = tempDir();
    cleanups.push(() => removeDir(d));
    fs.symlinkSync('/proc/self', path.join(d, 'link'));
    const viaLink = managerAt(path.join(d, 'link', 'store')).m;
    expect(await within(viaLink.initialize(), 5_000)).toBe(false);
    expect(String((viaLink.lastInitError as Error).message)).toMatch(/pseudo-filesystem/);
    const fine = managerAt(path.join(d, 'a', 'b', 'store')).m;
    expect(await fine.initialize()).toBe(true);
    expect(await fine.createUser('u')).toBe(true);
  });

  it('a storage that does not open within openTimeoutMs makes initialize() resolve false, and is closed once it opens', async () => {
    // A real in-memory backend whose open() is held until the test releases it (a slow disk, a lock).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    class SlowOpening extends MemoryStorageBackend {
      closedAfterOpen = false;
      opened = false;
      override async open(): Promise<void> {
        await held;
        await super.open();
        this.opened = true;
      }
      override async close(): Promise<void> {
        if (this.opened) this.closedAfterOpen = true;
        await super.close();
      }
    }
    const backend = new SlowOpening();
    const d = tempDir();
    cleanups.push(() => removeDir(d));
    const { m, lines } = managerAt(d, {
      openTimeoutMs: 200,
      overrides: { [TOKENS.StorageBackend]: backend },
    });
    expect(await within(m.initialize(), 5_000)).toBe(false);
    expect(String((m.lastInitError as Error).message)).toMatch(/did not open within 200 ms/);
    expect(lines.some((l) => l.includes('initialize failed'))).toBe(true);
    release();
    await new Promise((r) => setTimeout(r, 50));
    expect(backend.closedAfterOpen).toBe(true);
  });
});

describe('why a store could not be opened', () => {
  /** A store whose WAL still holds records, as a process killed before its checkpoint leaves it. */
  async function storeLeftByACrash(): Promise<{ dir: string; sessionId: string }> {
    const live = tempDir();
    const dir = tempDir();
    cleanups.push(
      () => removeDir(live),
      () => removeDir(dir),
    );
    const writer = await FFStorageManager.open(testConfig(live, { storage: { durability: 'always' } }));
    const sessionId = await writer.createSession('bob', 'left open');
    await writer.addMessage('bob', sessionId, { role: 'user', content: 'acknowledged before the crash' });
    // Copy the files while the writer is still open: no checkpoint, no clean close.
    fs.cpSync(live, dir, { recursive: true });
    await writer.close();
    return { dir, sessionId };
  }

  it('a writer lock another live process holds past locking.timeoutSeconds is FFLockTimeoutError', async () => {
    const { dir, sessionId } = await storeLeftByACrash();
    const holder = spawn('sleep', ['60'], { stdio: 'ignore' });
    cleanups.push(() => void holder.kill('SIGKILL'));
    const lockFile = path.join(dir, '.ffdb/locks/writer.lock');
    fs.rmSync(lockFile, { force: true });
    fs.symlinkSync(`${holder.pid}@0123456789abcdef@${Date.now()}@${os.hostname()}`, lockFile);
    const config = testConfig(dir, { locking: { timeoutSeconds: 0.3 } });

    const opening = await FFStorageManager.open(config).catch((e: unknown) => e);
    expect(FFLockTimeoutError.isInstance(opening)).toBe(true);
    expect(opening).toMatchObject({ code: 'FF_LOCK_TIMEOUT' });
    const lazy = new FFStorageManager(loadConfig({ env: {}, overrides: config as never }));
    cleanups.push(() => lazy.close());
    await expect(lazy.getSession('bob', sessionId)).rejects.toMatchObject({ code: 'FF_LOCK_TIMEOUT' });

    holder.kill('SIGKILL');
    await new Promise((r) => holder.once('exit', r));
    const after = await FFStorageManager.open(config);
    cleanups.push(() => after.close());
    expect((await after.getMessages('bob', sessionId)).map((x) => x.content)).toEqual([
      'acknowledged before the crash',
    ]);
  });

  it('a store written by a newer format keeps FF_FORMAT_TOO_NEW (not FF_STORAGE_MISSING_BASE)', async () => {
    const dir = tempDir();
    cleanups.push(() => removeDir(dir));
    const first = await FFStorageManager.open(testConfig(dir));
    await first.createUser('u');
    await first.close();
    const formatFile = path.join(dir, 'ffdb.json');
    const format = JSON.parse(fs.readFileSync(formatFile, 'utf8')) as { formatVersion: number };
    fs.writeFileSync(formatFile, JSON.stringify({ ...format, formatVersion: format.formatVersion + 1 }));
    const err = await FFStorageManager.open(testConfig(dir)).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'FFStorageError', code: 'FF_FORMAT_TOO_NEW' });
    expect(String((err as Error).message)).toMatch(/newer than this ffdb/);
  });
});
