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

it('verify beside another manager writing reports no lag for what is still in flight', async () => {
  store = await fsBackend.create({ storage: { durability: 'none' }, vector: { embedMessages: true } });
  const writer = store.manager;
  const checker = await store.reopen();
  const sessions: string[] = [];
  for (let i = 0; i < 5; i++) sessions.push(await writer.createSession('alice', `s${i}`));
  const until = Date.now() + 2_500;
  const issues: string[] = [];
  let runs = 0;
  await Promise.all([
    (async () => {
      for (let n = 0; Date.now() < until; n++) {
        const sid = sessions[n % 5] as string;
        await writer.addMessage('alice', sid, { role: 'user', content: `hello number ${n}` });
        if (n % 10 === 0) await writer.saveDocument('alice', sid, `d${n}.txt`, `a document about ${n}`);
        if (n % 7 === 0) await writer.updateContext('alice', sid, { summary: `context ${n}` });
      }
    })(),
    (async () => {
      while (Date.now() < until) {
        const report = await checker.verify();
        runs++;
        issues.push(...report.issues.map((i) => `${i.code}: ${i.message}`));
      }
    })(),
  ]);
  expect(runs).toBeGreaterThan(1);
  expect(issues).toEqual([]);
});

it('verify beside another manager deleting sessions takes no delete in progress for an orphan', async () => {
  store = await fsBackend.create({ storage: { durability: 'none' } });
  const writer = store.manager;
  const checker = await store.reopen();
  const until = Date.now() + 2_000;
  const orphans: string[] = [];
  await Promise.all([
    (async () => {
      while (Date.now() < until) {
        const sid = await writer.createSession('alice', 'short-lived');
        await writer.addMessage('alice', sid, { role: 'user', content: 'here for a moment' });
        await writer.deleteSession('alice', sid);
      }
    })(),
    (async () => {
      while (Date.now() < until) {
        const report = await checker.verify();
        for (const i of report.issues) if (i.code === 'SESSION_ORPHAN') orphans.push(i.key ?? '');
      }
    })(),
  ]);
  expect(orphans).toEqual([]);
});
