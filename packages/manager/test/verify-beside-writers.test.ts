/**
 * verify({ repair: true }) beside a writer creating sessions: API.md's verify repairs what is broken;
 * it must never take a session created while it runs for an orphan (it deleted their messages).
 */
import { afterEach, expect, it } from 'vitest';
import { fsBackend, type TestStore } from './helpers.js';

let store: TestStore | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

it('a repairing verify never deletes the data of sessions created while it runs', async () => {
  store = await fsBackend.create({ storage: { durability: 'none' } });
  const writer = store.manager;
  const checker = await store.reopen();
  for (let i = 0; i < 30; i++) {
    const sid = await writer.createSession('alice', 'before');
    await writer.addMessage('alice', sid, { role: 'user', content: `before ${i}` });
  }
  const acknowledged: string[] = [];
  const orphanReports: string[] = [];
  const until = Date.now() + 1_500;
  await Promise.all([
    (async () => {
      while (Date.now() < until) {
        const sid = await writer.createSession('alice', 'during');
        if (await writer.addMessage('alice', sid, { role: 'user', content: 'hello' })) acknowledged.push(sid);
      }
    })(),
    (async () => {
      while (Date.now() < until) {
        const report = await checker.verify({ repair: true });
        for (const i of report.issues) if (i.code === 'SESSION_ORPHAN') orphanReports.push(i.key ?? '');
      }
    })(),
  ]);
  expect(acknowledged.length).toBeGreaterThan(50);
  const lost: string[] = [];
  for (const sid of acknowledged)
    if ((await writer.getAllMessages('alice', sid)).length !== 1) lost.push(sid);
  expect(lost).toEqual([]);
  expect(orphanReports).toEqual([]);
});
