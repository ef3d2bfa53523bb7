/**
 * A long-running process that deletes users keeps nothing of them in the search feature's per-user
 * state (an audit found one map entry left per deleted user).
 */
import { afterEach, expect, it } from 'vitest';
import { fsBackend, type TestStore } from './helpers.js';

let store: TestStore | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

it('deleteUser leaves no per-user entry in the search feature', async () => {
  store = await fsBackend.create();
  const m = store.manager;
  for (let i = 0; i < 20; i++) {
    const userId = `gone${i}`;
    const sid = await m.createSession(userId, 'brief');
    await m.addMessage(userId, sid, { role: 'user', content: `a message from user ${i}` });
    expect(await m.searchMessages(userId, 'message')).toHaveLength(1);
    expect(await m.deleteUser(userId, { force: true })).toBe(true);
  }
  const search = (m as unknown as { features: Map<string, Record<string, unknown>> }).features.get('search');
  if (!search) throw new Error('search feature not loaded');
  const perUser = ['userIncarnations', 'caughtUp', 'streamingReplies'].map(
    (name) => (search[name] as Map<string, unknown>).size,
  );
  expect(perUser).toEqual([0, 0, 0]);
});
