/**
 * exportData / importData / compact / verify report progress and stop cleanly on an abort: they stop
 * between units (never inside a session), leave the store consistent and resolve with a partial report
 * marked `aborted: true` (services/progress.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { FFStorageManager } from '../src/index.js';
import { BACKENDS, removeDir, type TestStore, tempDir } from './helpers.js';

const NO_FEATURES = { features: { search: false, vectors: false, personas: false } } as const;
type P = { done: number; total: number; item?: string };

async function fill(m: FFStorageManager): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const u of ['ann', 'ben', 'cat']) {
    for (let s = 0; s < 4; s++) {
      const sid = await m.createSession(u, `${u} ${s}`);
      const n = 3 + s;
      await m.addMessages(
        u,
        sid,
        Array.from({ length: n }, (_, i) => ({
          role: i % 2 ? 'assistant' : 'user',
          content: `${u} ${s} ${i}`,
        })),
      );
      counts[`${u}/${sid}`] = n;
    }
  }
  await m.saveDocument('ann', (await m.listSessions('ann'))[0]!.sessionId, 'a.txt', 'document bytes');
  return counts;
}

function monotone(calls: P[]): void {
  expect(calls.length).toBeGreaterThan(0);
  for (let i = 1; i < calls.length; i++) expect(calls[i]!.done).toBeGreaterThanOrEqual(calls[i - 1]!.done);
  for (const c of calls) expect(c.done).toBeLessThanOrEqual(c.total);
}

/** Every session present in `m` has exactly the messages it had at the source. */
async function sessionsComplete(m: FFStorageManager, source: Record<string, number>): Promise<number> {
  let n = 0;
  for (const u of await m.listUsers()) {
    for (const s of await m.listSessions(u)) {
      expect(s.messageCount).toBe(source[`${u}/${s.sessionId}`]);
      expect((await m.getAllMessages(u, s.sessionId)).length).toBe(s.messageCount);
      n++;
    }
  }
  return n;
}

describe.each(BACKENDS)('progress and cancellation ($name)', (backend) => {
  let store: TestStore;
  const dirs: string[] = [];
  const stores: TestStore[] = [];
  afterEach(async () => {
    await store?.cleanup();
    for (const s of stores.splice(0)) await s.cleanup();
    for (const d of dirs.splice(0)) removeDir(d);
  });
  const bundleDir = () => {
    const d = tempDir('ffdb-bundle-');
    dirs.push(d);
    return d;
  };
  const freshStore = async () => {
    const s = await backend.create({}, NO_FEATURES);
    stores.push(s);
    return s.manager;
  };

  it('exportData: progress per user and session (object or positional callback); abort gives a partial, importable bundle', async () => {
    store = await backend.create({}, NO_FEATURES);
    const m = store.manager;
    const source = await fill(m);

    const calls: P[] = [];
    const full = await m.exportData(bundleDir(), { onProgress: (p: P) => calls.push(p) });
    monotone(calls);
    expect(calls.at(-1)).toMatchObject({ done: 15, total: 15 }); // 3 users + 12 sessions
    expect(calls.some((c) => c.item?.startsWith('ann/'))).toBe(true);
    expect(full.aborted).toBeUndefined();

    const positional: [number, number][] = [];
    await m.exportData(bundleDir(), {
      onProgress: (done: number, total: number) => positional.push([done, total]),
    });
    expect(positional.at(-1)).toEqual([15, 15]);

    const controller = new AbortController();
    const partialDir = bundleDir();
    const partial = await m.exportData(partialDir, {
      signal: controller.signal,
      onProgress: (p: P) => {
        if (p.done >= 4) controller.abort();
      },
    });
    expect(partial).toMatchObject({ aborted: true, users: 1, sessions: 3 });
    const manifest = JSON.parse(fs.readFileSync(path.join(partialDir, 'manifest.json'), 'utf8'));
    expect(manifest.complete).toBe(false);
    const target = await freshStore();
    const imported = await target.importData(partialDir);
    expect(imported).toMatchObject({ sessions: 3, skipped: 0 });
    expect(await sessionsComplete(target, source)).toBe(3);

    // Already aborted: nothing is exported, and the call still resolves.
    expect(await m.exportData(bundleDir(), { signal: AbortSignal.abort() })).toMatchObject({
      aborted: true,
      users: 0,
      sessions: 0,
    });
  });

  it('importData: progress over the records; an abort stops at a session boundary, store consistent', async () => {
    store = await backend.create({}, NO_FEATURES);
    const source = await fill(store.manager);
    const dir = bundleDir();
    await store.manager.exportData(dir);

    const calls: P[] = [];
    const target = await freshStore();
    const done = await target.importData(dir, { onProgress: (p: P) => calls.push(p) });
    monotone(calls);
    // users + sessions + messages + documents = 3 + 12 + 54 + 1
    expect(calls.at(-1)).toMatchObject({ done: 70, total: 70 });
    expect(done.aborted).toBeUndefined();

    const controller = new AbortController();
    const partialTarget = await freshStore();
    const partial = await partialTarget.importData(dir, {
      signal: controller.signal,
      onProgress: (p: P) => {
        if (p.done >= 10) controller.abort();
      },
    });
    expect(partial.aborted).toBe(true);
    const n = await sessionsComplete(partialTarget, source);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(12);
    expect(partial.sessions).toBe(n);
    expect((await partialTarget.verify()).ok).toBe(true);
    // Importing again completes the rest (existing sessions are skipped).
    await partialTarget.importData(dir);
    expect(await sessionsComplete(partialTarget, source)).toBe(12);
  });

  it('verify and compact report progress and resolve with aborted: true when aborted', async () => {
    store = await backend.create({}, NO_FEATURES);
    const m = store.manager;
    await fill(m);

    const calls: P[] = [];
    const report = await m.verify({ onProgress: (p: P) => calls.push(p) });
    expect(report.ok).toBe(true);
    monotone(calls);
    expect(calls.at(-1)).toMatchObject({ done: 4, total: 4 }); // storage + 3 users
    expect(calls.map((c) => c.item)).toEqual(['storage', 'ann', 'ben', 'cat']);

    const controller = new AbortController();
    const stopped = await m.verify({
      signal: controller.signal,
      onProgress: (p: P) => {
        if (p.item === 'ann') controller.abort();
      },
    });
    expect(stopped).toMatchObject({ ok: false, aborted: true });

    const compactCalls: P[] = [];
    const compacted = await m.compact({ onProgress: (p: P) => compactCalls.push(p) });
    expect(compacted.aborted).toBeUndefined();
    for (const c of compactCalls) expect(c.done).toBeLessThanOrEqual(c.total);
    expect(await m.compact({ signal: AbortSignal.abort() })).toMatchObject({ aborted: true });
    // The store is untouched by the aborted calls.
    expect((await m.verify()).ok).toBe(true);
    expect((await m.listSessions('ann')).length).toBe(4);
  });

  it('rejects wrong option types with FFValidationError', async () => {
    store = await backend.create({}, NO_FEATURES);
    const m = store.manager;
    const bad = [
      () => m.exportData(bundleDir(), { onProgress: 'x' as never }),
      () => m.importData(bundleDir(), { signal: {} as never }),
      () => m.verify({ signal: 'stop' as never }),
      () => m.compact({ onProgress: 1 as never }),
    ];
    for (const call of bad) await expect(call()).rejects.toMatchObject({ name: 'FFValidationError' });
  });
});
