import { afterEach, describe, expect, it } from 'vitest';
import { BACKENDS, type TestStore } from './helpers.js';

describe.each(BACKENDS)('smoke ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());
  it('creates a user, a session, a message and reads it back', async () => {
    store = await backend.create();
    const m = store.manager;
    expect(await m.createUser('alice', { username: 'Alice', email: 'a@x.io' })).toBe(true);
    const sid = await m.createSession('alice', 'Hello');
    expect(await m.addMessage('alice', sid, { role: 'user', content: 'Hi there' })).toBe(true);
    const msgs = await m.getMessages('alice', sid);
    expect(msgs.map((x) => x.content)).toEqual(['Hi there']);
    const s = await m.getSession('alice', sid);
    expect(s?.messageCount).toBe(1);
    expect((await m.getUserProfile('alice'))?.email).toBe('a@x.io');
  });
});
