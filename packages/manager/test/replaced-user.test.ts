/**
 * A user deleted and created again by another process while this one stays open. This process's
 * session index and message-id cache must take the new logs for new ones, also when they already hold
 * as many events as the old ones did (a shorter log was always noticed).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, removeDir, type TestStore, tempDir } from './helpers.js';

describe.each(BACKENDS)('a user replaced by another process ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('sessions: the reader lists the new ones only and can write to them', async () => {
    store = await backend.create({}, { features: { search: false, vectors: false, personas: false } });
    const a = store.manager;
    const old = [await a.createSession('ivy', 'old one'), await a.createSession('ivy', 'old two')];
    expect((await a.listSessions('ivy')).map((s) => s.title).sort()).toEqual(['old one', 'old two']);

    const b = await store.reopen();
    expect(await b.deleteUser('ivy', { force: true })).toBe(true);
    const fresh: string[] = [];
    for (const t of ['new one', 'new two', 'new three']) fresh.push(await b.createSession('ivy', t));

    expect((await a.listSessions('ivy')).map((s) => s.title).sort()).toEqual([
      'new one',
      'new three',
      'new two',
    ]);
    expect(await a.getSession('ivy', old[0]!)).toBeNull();
    expect(await a.addMessage('ivy', fresh[0]!, { role: 'user', content: 'hello again' })).toBe(true);
    expect(await a.addMessage('ivy', old[0]!, { role: 'user', content: 'into the old one' })).toBe(false);
    expect(await b.countMessages('ivy', fresh[0]!)).toBe(1);
  });

  it('message ids: a session restored elsewhere from another backup is read again', async () => {
    store = await backend.create({}, { features: { search: false, vectors: false, personas: false } });
    const a = store.manager;
    const sid = await a.createSession('joe');
    const now = [
      a.createMessage({ role: 'user', content: 'a' }),
      a.createMessage({ role: 'user', content: 'b' }),
    ];
    await a.addMessages('joe', sid, now);
    const dir = tempDir();
    try {
      // Another backup of the session holds other messages, as many (the export, rewritten).
      await a.exportData(path.join(dir, 'now'));
      const other = ['msg_0000000000f1', 'msg_0000000000f2'];
      const records = fs
        .readFileSync(path.join(dir, 'now', 'records.jsonl'), 'utf8')
        .replace(now[0]!.messageId, other[0]!)
        .replace(now[1]!.messageId, other[1]!);
      fs.cpSync(path.join(dir, 'now'), path.join(dir, 'other'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'other', 'records.jsonl'), records);
      // A has the session's ids cached; B restores the other backup and adds one message.
      expect(await a.getMessage('joe', sid, now[0]!.messageId)).not.toBeNull();
      const b = await store.reopen();
      await b.deleteUser('joe', { force: true });
      await b.importData(path.join(dir, 'other'));
      await b.addMessage('joe', sid, { role: 'user', content: 'c' });
      expect(await a.getMessage('joe', sid, other[0]!)).toMatchObject({ seq: 0 });
      expect(await a.getMessage('joe', sid, now[0]!.messageId)).toBeNull();
      expect(await a.addMessage('joe', sid, { role: 'user', content: 'x', messageId: other[1]! })).toBe(
        false,
      );
    } finally {
      removeDir(dir);
    }
  });
});
