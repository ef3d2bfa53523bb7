/**
 * API.md §1: "creating something that exists -> false". A message id the session already holds is not
 * stored again, whether it comes back in a later call, a retried batch, a concurrent add, another
 * handle's write or a live reply.
 */
import fs from 'node:fs';
import path from 'node:path';
import { MemoryStorageBackend } from '@ffdb/conformance';
import { afterEach, describe, expect, it } from 'vitest';
import { FFConflictError, FFStorageManager, type StorageBackend, TOKENS } from '../src/index.js';
import { BACKENDS, removeDir, type TestStore, tempDir, testConfig } from './helpers.js';

describe.each(BACKENDS)('message ids are stored once per session ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('addMessage of an id the session holds resolves false and stores nothing', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('ann');
    const other = await m.createSession('ann');
    const msg = m.createMessage({ role: 'user', content: 'first' });
    expect(await m.addMessage('ann', sid, msg)).toBe(true);
    expect(await m.addMessage('ann', sid, msg)).toBe(false);
    expect(await m.addMessage('ann', sid, { ...msg, content: 'changed' })).toBe(false);
    // A message read back (with its seq) is refused too; another session takes the id.
    const [read] = await m.getAllMessages('ann', sid);
    expect(await m.addMessage('ann', sid, read!)).toBe(false);
    expect(await m.addMessage('ann', other, read!)).toBe(true);
    expect((await m.getAllMessages('ann', sid)).map((x) => x.content)).toEqual(['first']);
    expect(await m.countMessages('ann', sid)).toBe(1);
    expect((await m.getSession('ann', sid))?.messageCount).toBe(1);
    expect(await m.getMessage('ann', sid, msg.messageId)).toMatchObject({ content: 'first', seq: 0 });
    // After a reopen the log, not this process's memory, decides.
    const again = await store.reopen();
    expect(await again.addMessage('ann', sid, msg)).toBe(false);
    expect(await again.addMessage('ann', sid, { role: 'user', content: 'generated id' })).toBe(true);
    expect(await again.countMessages('ann', sid)).toBe(2);
  });

  it('a retried batch stores only what is new and returns that', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('bo');
    const batch = [0, 1, 2, 3].map((i) => m.createMessage({ role: 'user', content: `part ${i}` }));
    expect(await m.addMessages('bo', sid, batch.slice(0, 2))).toHaveLength(2);
    const retried = await m.addMessages('bo', sid, batch);
    expect(retried.map((x) => [x.content, x.seq])).toEqual([
      ['part 2', 2],
      ['part 3', 3],
    ]);
    expect(await m.addMessages('bo', sid, batch)).toEqual([]);
    expect((await m.getAllMessages('bo', sid)).map((x) => x.content)).toEqual([
      'part 0',
      'part 1',
      'part 2',
      'part 3',
    ]);
  });

  it('concurrent adds of one id in one process store it once', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('cy');
    const ids = Array.from({ length: 20 }, (_, i) => `msg_${i.toString(16).padStart(12, '0')}`);
    // Each id is added five times at once, interleaved with adds of generated ids.
    const results = await Promise.all(
      ids.flatMap((messageId) => [
        ...Array.from({ length: 5 }, (_, k) =>
          m.addMessage('cy', sid, { role: 'user', content: `${messageId} try ${k}`, messageId }),
        ),
        m.addMessage('cy', sid, { role: 'user', content: 'generated' }),
      ]),
    );
    expect(results.filter(Boolean)).toHaveLength(40);
    const all = await m.getAllMessages('cy', sid);
    expect(all).toHaveLength(40);
    for (const id of ids) expect(all.filter((x) => x.messageId === id)).toHaveLength(1);
  });

  it("another handle's messages count, and getMessage finds them", async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('dee');
    // This handle caches the session's ids, then another handle appends.
    expect(
      await m.addMessage('dee', sid, { role: 'user', content: 'a', messageId: 'msg_00000000000a' }),
    ).toBe(true);
    const other = await store.reopen();
    const fromOther = other.createMessage({ role: 'assistant', content: 'b' });
    expect(await other.addMessage('dee', sid, fromOther)).toBe(true);
    expect(await m.getMessage('dee', sid, fromOther.messageId)).toMatchObject({ content: 'b', seq: 1 });
    expect(await m.addMessage('dee', sid, fromOther)).toBe(false);
    expect(
      await other.addMessage('dee', sid, { role: 'user', content: 'a', messageId: 'msg_00000000000a' }),
    ).toBe(false);
    expect(await m.countMessages('dee', sid)).toBe(2);
  });

  it('a live reply under an id the session holds is refused with FFConflictError', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('eve');
    const msg = m.createMessage({ role: 'user', content: 'question' });
    await m.addMessage('eve', sid, msg);
    const error = await m
      .beginMessageStream('eve', sid, { role: 'assistant', messageId: msg.messageId })
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(error).toBeInstanceOf(FFConflictError);
    const reply = await m.beginMessageStream('eve', sid, {
      role: 'assistant',
      messageId: 'msg_0000000000ff',
    });
    await reply.write('answer');
    await reply.complete();
    expect(
      await m.addMessage('eve', sid, { role: 'user', content: 'x', messageId: 'msg_0000000000ff' }),
    ).toBe(false);
    expect((await m.getAllMessages('eve', sid)).map((x) => x.content)).toEqual(['question', 'answer']);
  });

  it('ids stay unique with no cache memory at all (runtime.messageIdCacheBytes 0), and after a delete', async () => {
    store = await backend.create({ runtime: { messageIdCacheBytes: 0 } });
    const m = store.manager;
    const sids = [await m.createSession('fay'), await m.createSession('fay'), await m.createSession('fay')];
    const msg = m.createMessage({ role: 'user', content: 'same id everywhere' });
    for (const sid of sids) expect(await m.addMessage('fay', sid, msg)).toBe(true);
    for (const sid of sids) expect(await m.addMessage('fay', sid, msg)).toBe(false);
    for (const sid of sids) expect(await m.getMessage('fay', sid, msg.messageId)).not.toBeNull();
    expect(await m.deleteSession('fay', sids[0]!)).toBe(true);
    expect(await m.getMessage('fay', sids[0]!, msg.messageId)).toBeNull();
  });
});

describe('message ids: stale caches and slow backends', () => {
  let store: TestStore | undefined;
  afterEach(async () => store?.cleanup());

  it('a bundle session with an unreadable or odd time is stored with a normalised one', async () => {
    const [fsBackend] = BACKENDS;
    store = await fsBackend!.create();
    const m = store.manager;
    const sid = await m.createSession('hil', 'old');
    const dir = tempDir();
    try {
      await m.exportData(path.join(dir, 'now'));
      const file = path.join(dir, 'now', 'records.jsonl');
      const records = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => {
          if (!line.includes('"type":"session"')) return line;
          const r = JSON.parse(line);
          r.data.updatedAt = 'Session 5';
          r.data.createdAt = '2025-01-02T03:04:05+02:00';
          return JSON.stringify(r);
        })
        .join('\n');
      fs.writeFileSync(file, records);
      await m.deleteUser('hil', { force: true });
      await m.importData(path.join(dir, 'now'));
      const s = await m.getSession('hil', sid);
      expect(s).toMatchObject({
        createdAt: '2025-01-02T01:04:05.000Z',
        updatedAt: '2025-01-02T01:04:05.000Z',
      });
      // The user's sessions keep working: activity is stamped from the clock.
      expect(await m.addMessage('hil', sid, { role: 'user', content: 'still here' })).toBe(true);
      const other = await m.createSession('hil', 'new');
      expect((await m.listSessions('hil')).map((x) => x.sessionId)).toEqual([other, sid]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a user deleted and restored from another backup: getMessage finds restored ids, addMessage refuses them', async () => {
    const [fsBackend] = BACKENDS;
    store = await fsBackend!.create();
    const m = store.manager;
    const sid = await m.createSession('gil');
    const now = [
      m.createMessage({ role: 'user', content: 'a' }),
      m.createMessage({ role: 'user', content: 'b' }),
    ];
    await m.addMessages('gil', sid, now);
    const dir = tempDir();
    try {
      // Another backup of the same session holds other messages (here: the export, rewritten).
      await m.exportData(path.join(dir, 'now'));
      const other = ['msg_0000000000e1', 'msg_0000000000e2'];
      const records = fs
        .readFileSync(path.join(dir, 'now', 'records.jsonl'), 'utf8')
        .replace(now[0]!.messageId, other[0]!)
        .replace(now[1]!.messageId, other[1]!)
        .replace('"content":"a"', '"content":"x"')
        .replace('"content":"b"', '"content":"y"');
      fs.cpSync(path.join(dir, 'now'), path.join(dir, 'other'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'other', 'records.jsonl'), records);
      // This process has the session's ids cached when the user is deleted and the other backup restored.
      expect(await m.getMessage('gil', sid, now[0]!.messageId)).not.toBeNull();
      await m.deleteUser('gil', { force: true });
      await m.importData(path.join(dir, 'other'));
      expect(await m.getMessage('gil', sid, other[0]!)).toMatchObject({ content: 'x', seq: 0 });
      expect(await m.getMessage('gil', sid, now[0]!.messageId)).toBeNull();
      expect(await m.addMessage('gil', sid, { role: 'user', content: 'again', messageId: other[1]! })).toBe(
        false,
      );
      expect((await m.getAllMessages('gil', sid)).map((x) => x.content)).toEqual(['x', 'y']);
    } finally {
      removeDir(dir);
    }
  });

  it('with a backend whose reads really wait, concurrent adds of one id still store it once', async () => {
    const inner = new MemoryStorageBackend();
    const pause = () => new Promise((r) => setTimeout(r, Math.random() * 4));
    // Every log read and append takes a few ms, as over a network: the checks interleave for real.
    const slow = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop === 'readLog' || prop === 'append') {
          return async (...args: unknown[]) => {
            await pause();
            const out = await value.apply(target, args);
            await pause();
            return out;
          };
        }
        return value.bind(target);
      },
    }) as StorageBackend;
    const basePath = tempDir();
    const m = new FFStorageManager(
      testConfig(basePath, { runtime: { messageIdCacheBytes: 0, cacheSizeLimit: 1 } }),
      {
        overrides: { [TOKENS.StorageBackend]: slow },
        features: { search: false, vectors: false, personas: false },
      },
    );
    try {
      expect(await m.initialize()).toBe(true);
      const sids = [await m.createSession('hal'), await m.createSession('hal')];
      await m.addMessages(
        'hal',
        sids[0]!,
        Array.from({ length: 3000 }, (_, i) => ({ role: 'user', content: `prefill ${i}` })),
      );
      const id = 'msg_00000000abcd';
      const adds: Promise<boolean>[] = [];
      for (let k = 0; k < 40; k++) {
        for (const sid of sids)
          adds.push(m.addMessage('hal', sid, { role: 'user', content: `try ${k}`, messageId: id }));
        await new Promise((r) => setTimeout(r, 1));
      }
      expect((await Promise.all(adds)).filter(Boolean)).toHaveLength(2);
      for (const sid of sids) {
        expect((await m.getAllMessages('hal', sid)).filter((x) => x.messageId === id)).toHaveLength(1);
      }
    } finally {
      await m.close();
      fs.rmSync(basePath, { recursive: true, force: true });
    }
  });
});
