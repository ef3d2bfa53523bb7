import fs from 'node:fs';
import path from 'node:path';
// The test's own deadline must not depend on the fake timers it installs.
import { setTimeout as realSetTimeout } from 'node:timers';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openStore, tempDir } from './helpers/temp-store.js';

// Applications test their code with fake timers (vi.useFakeTimers(), sinon): Date, performance,
// setTimeout and setImmediate stop unless the test advances them. The engine's own timing (lock
// lingering, lock-wait deadlines, batched syncs, idle checkpoints) must keep running in real time.

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

/** Rejects when `p` has not settled within `ms` of real time. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      realSetTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms).unref();
    }),
  ]);
}

function temp(): string {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("under an application's fake timers", () => {
  it('a second store on the same base path gets the writer lock from an idle one', async () => {
    const dir = temp();
    const a = await openStore(dir, { lockTimeoutMs: 5_000 });
    const b = await openStore(dir, { lockTimeoutMs: 5_000 });
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    vi.useFakeTimers();
    await a.append('shared/log', [{ from: 'a' }]); // a keeps the lock for a moment after its commit
    await within(b.append('shared/log', [{ from: 'b' }]), 3_000, 'the append of the second store');
    expect((await within(b.readLog('shared/log'), 3_000, 'read')).map((r) => r.data)).toEqual([
      { from: 'a' },
      { from: 'b' },
    ]);
  });

  it('a lock wait ends with FF_LOCK_TIMEOUT after timeoutMs of real time', async () => {
    const store = await openStore(temp());
    cleanups.push(() => store.close());
    vi.useFakeTimers();
    let release!: () => void;
    const held = store.withLock('k', () => new Promise<void>((r) => (release = r)));
    const waiting = store.withLock('k', async () => 'ran', { timeoutMs: 50 }).catch((e: unknown) => e);
    const err = await within(waiting, 3_000, 'the lock wait');
    expect((err as { code?: string }).code).toBe('FF_LOCK_TIMEOUT');
    release();
    await held;
  });

  it('an idle store still checkpoints its WAL into segments', async () => {
    const dir = temp();
    const store = await openStore(dir, { checkpointIdleMs: 20 });
    cleanups.push(() => store.close());
    vi.useFakeTimers();
    for (let i = 0; i < 10; i++) await store.append('idle/log', [{ i }]);
    const logDir = path.join(dir, 'idle/log.fflog');
    const segments = () => (fs.existsSync(logDir) ? fs.readdirSync(logDir) : []);
    await within(
      (async () => {
        while (segments().length === 0) await new Promise((r) => realSetTimeout(r, 5));
      })(),
      3_000,
      'the idle checkpoint',
    );
    expect(segments().some((n) => n.endsWith('.seg'))).toBe(true);
  });
});
