import { afterEach, describe, expect, it, vi } from 'vitest';
import { BACKENDS, type TestStore } from './helpers.js';

describe.each(BACKENDS)('under fake timers ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => {
    vi.useRealTimers();
    await store?.cleanup();
  });

  it('writes, reads and closes without waiting on a timer', async () => {
    store = await backend.create();
    vi.useFakeTimers({ now: new Date('2030-06-01T12:00:00Z') });
    const m = store.manager;
    const sid = await m.createSession('timer');
    await Promise.all([1, 2, 3].map((i) => m.addMessage('timer', sid, { role: 'user', content: `m${i}` })));
    expect(await m.countMessages('timer', sid)).toBe(3);
    expect((await m.getSession('timer', sid))?.updatedAt.startsWith('2030-06-01')).toBe(true);
    await m.close();
  });
});
