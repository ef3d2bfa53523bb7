/**
 * listSessions keeps messageCount exact without asking the storage for every session's log count once
 * the user's session index is warm (services/session-index.ts): counts follow this manager's appends,
 * other managers' appends (their activity records carry the count) and imports.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, TOKENS } from '../src/index.js';
import { runUntilThenKill, spawnChild } from './child.js';
import { BACKENDS, removeDir, type TestStore, tempDir, testConfig } from './helpers.js';

/** The in-memory reference adapter, counting countLog calls on message logs. */
class CountingBackend extends MemoryStorageBackend {
  messageCounts = 0;
  override async countLog(log: string): Promise<number> {
    if (log.endsWith('/messages')) this.messageCounts++;
    return super.countLog(log);
  }
}

const countsOf = async (m: FFStorageManager, userId: string) =>
  Object.fromEntries((await m.listSessions(userId)).map((s) => [s.sessionId, s.messageCount]));

describe('listSessions message counts', () => {
  const dirs: string[] = [];
  const managers: FFStorageManager[] = [];
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('a warm listing asks the storage for no log count, and stays exact after appends', async () => {
    const backend = new CountingBackend();
    const dir = tempDir();
    dirs.push(dir);
    const open = async () => {
      const m = new FFStorageManager(testConfig(dir), {
        overrides: { [TOKENS.StorageBackend]: backend },
        features: { search: false, vectors: false, personas: false },
      });
      managers.push(m);
      expect(await m.initialize()).toBe(true);
      return m;
    };
    const a = await open();
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await a.createSession('u1', `s${i}`));
    for (let i = 0; i < 30; i += 3) await a.addMessage('u1', ids[i]!, { role: 'user', content: `m${i}` });
    const expected: Record<string, number> = Object.fromEntries(
      ids.map((id, i) => [id, i % 3 === 0 ? 1 : 0]),
    );
    expect(await countsOf(a, 'u1')).toEqual(expected);

    backend.messageCounts = 0;
    expect(await countsOf(a, 'u1')).toEqual(expected);
    expect(backend.messageCounts).toBe(0);

    await a.addMessages('u1', ids[1]!, [
      { role: 'user', content: 'x' },
      { role: 'assistant', content: 'y' },
    ]);
    const reply = await a.beginMessageStream('u1', ids[2]!, { role: 'assistant' });
    await reply.write('streamed');
    await reply.complete();
    expected[ids[1]!] = 2;
    expected[ids[2]!] = 1;
    const created = await a.createSession('u1', 'new');
    expected[created] = 0;
    backend.messageCounts = 0;
    expect(await countsOf(a, 'u1')).toEqual(expected);
    expect(backend.messageCounts).toBe(0);

    // Another manager (another process) appends: its activity record brings the count along.
    const b = await open();
    await b.addMessage('u1', ids[4]!, { role: 'user', content: 'from b' });
    await b.close();
    expected[ids[4]!] = 1;
    expect(await countsOf(a, 'u1')).toEqual(expected);

    // Deleted sessions leave; limit/offset pages carry the same counts.
    await a.deleteSession('u1', ids[0]!);
    delete expected[ids[0]!];
    expect(await countsOf(a, 'u1')).toEqual(expected);
    const page = await a.listSessions('u1', { limit: 5, offset: 2, order: 'oldest' });
    for (const s of page) expect(s.messageCount).toBe(expected[s.sessionId]);
  });

  for (const backend of BACKENDS) {
    it(`stays exact across managers and imports (${backend.name})`, async () => {
      const store: TestStore = await backend.create(
        {},
        { features: { search: false, vectors: false, personas: false } },
      );
      try {
        const a = store.manager;
        const s1 = await a.createSession('u1', 'one');
        const s2 = await a.createSession('u1', 'two');
        await a.addMessage('u1', s1, { role: 'user', content: 'hello' });
        expect(await countsOf(a, 'u1')).toEqual({ [s1]: 1, [s2]: 0 });
        // A second manager on the same store appends to both sessions.
        const b = await store.reopen();
        await b.addMessages('u1', s2, [
          { role: 'user', content: 'a' },
          { role: 'user', content: 'b' },
        ]);
        await b.addMessage('u1', s1, { role: 'user', content: 'c' });
        await b.close();
        expect(await countsOf(a, 'u1')).toEqual({ [s1]: 2, [s2]: 2 });
        // importData appends raw batches (no activity time): the count still follows.
        const bundle = tempDir('ffdb-bundle-');
        try {
          await a.exportData(bundle);
          const c = await (async () => {
            const other = await backend.create(
              {},
              { features: { search: false, vectors: false, personas: false } },
            );
            return other;
          })();
          try {
            const target = c.manager;
            expect(await countsOf(target, 'u1')).toEqual({});
            await target.importData(bundle);
            expect(await countsOf(target, 'u1')).toEqual({ [s1]: 2, [s2]: 2 });
            const viewer = await c.reopen();
            expect(await countsOf(viewer, 'u1')).toEqual({ [s1]: 2, [s2]: 2 });
          } finally {
            await c.cleanup();
          }
        } finally {
          fs.rmSync(path.resolve(bundle), { recursive: true, force: true });
        }
      } finally {
        await store.cleanup();
      }
    });
  }
});

describe('activity of a process that ends without close()', () => {
  it('is recorded: its session lists first after a reopen', async () => {
    const dir = tempDir();
    try {
      const first = await FFStorageManager.open(testConfig(dir));
      const a = await first.createSession('amy', 'A');
      const b = await first.createSession('amy', 'B');
      await first.close();
      const child = spawnChild({
        FFDB_BASE: dir,
        FFDB_USER: 'amy',
        FFDB_SESSION: a,
        FFDB_MODE: 'add-and-leave',
      });
      const exit = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      expect(exit).toBe(0);
      expect(child.lines).toContain('ADDED');
      const again = await FFStorageManager.open(testConfig(dir));
      const listed = await again.listSessions('amy');
      expect(listed.map((s) => s.sessionId)).toEqual([a, b]);
      expect(listed[0]?.messageCount).toBe(1);
      await again.close();
    } finally {
      removeDir(dir);
    }
  }, 60_000);
});

describe('a writer killed right after its append, before its activity record', () => {
  it("a live process's listSessions counts heal within seconds (the fold is re-swept)", async () => {
    const dir = tempDir();
    try {
      const live = await FFStorageManager.open(testConfig(dir));
      const sid = await live.createSession('kim', 'K');
      await live.addMessage('kim', sid, { role: 'user', content: 'seed' });
      expect((await live.listSessions('kim'))[0]?.messageCount).toBe(1); // warm: counts from the fold
      // The child is killed as soon as its append is acknowledged: its activity record (<= 50 ms
      // later) is usually never written, so the live fold never hears of the message.
      await runUntilThenKill(
        path.join(path.dirname(new URL(import.meta.url).pathname), 'fixtures/child-writer.ts'),
        { FFDB_BASE: dir, FFDB_USER: 'kim', FFDB_SESSION: sid, FFDB_MODE: 'add-and-leave' },
        /ADDED\n/,
      );
      expect(await live.countMessages('kim', sid)).toBe(2);
      await new Promise((r) => setTimeout(r, 5_500));
      expect((await live.listSessions('kim'))[0]?.messageCount).toBe(2);
      await live.close();
    } finally {
      removeDir(dir);
    }
  }, 60_000);
});
