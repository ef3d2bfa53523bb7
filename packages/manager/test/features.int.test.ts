/**
 * The feature seam with the real optional packages of the workspace (search-fts, personas): the manager
 * loads them, keeps them in step through its change hooks, and deletions leave nothing searchable behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { fsBackend, type TestStore } from './helpers.js';

describe('features through the manager (real packages)', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('loads installed features; search follows adds, deletes and restarts', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    expect(m.getFeatureStatus()).toMatchObject({ search: 'loaded', personas: 'loaded', vectors: 'disabled' });
    const keep = await m.createSession('alice', 'keep');
    const drop = await m.createSession('alice', 'drop');
    await m.addMessage('alice', keep, { role: 'user', content: 'The zebra migration report is ready' });
    await m.addMessage('alice', drop, { role: 'user', content: 'Another zebra sighting in the savanna' });
    expect((await m.searchMessages('alice', 'zebra')).length).toBe(2);
    expect(await m.deleteSession('alice', drop)).toBe(true);
    expect((await m.searchMessages('alice', 'zebra')).map((x) => x.content)).toEqual([
      'The zebra migration report is ready',
    ]);
    // A streamed reply becomes searchable once it completes.
    const reply = await m.beginMessageStream('alice', keep, { role: 'assistant' });
    await reply.write('Giraffes are ');
    await reply.write('taller than zebras');
    await reply.complete();
    expect((await m.searchMessages('alice', 'giraffes')).length).toBe(1);
    // Correct after a restart without a rebuild.
    await m.close();
    const again = await store.reopen();
    expect((await again.searchMessages('alice', 'zebra')).length).toBeGreaterThanOrEqual(1);
    expect(await again.deleteUser('alice', { force: true })).toBe(true);
    expect(await again.searchMessages('alice', 'zebra')).toEqual([]);
    // cleanupOldData goes through deleteSession: nothing stays searchable.
    const old = await again.createSession('carol', 'old');
    await again.addMessage('carol', old, { role: 'user', content: 'ancient pterodactyl notes' });
    expect((await again.searchMessages('carol', 'pterodactyl')).length).toBe(1);
    await new Promise((r) => setTimeout(r, 5));
    expect(await again.cleanupOldData({ olderThanDays: 0 })).toMatchObject({ sessionsDeleted: 1 });
    expect(await again.searchMessages('carol', 'pterodactyl')).toEqual([]);
    // Personas are reachable through the same seam.
    expect(await again.savePersona('critic', { name: 'Critic', description: 'Finds flaws' })).toBe(true);
    expect((await again.getPersona('critic'))?.name).toBe('Critic');
  }, 60_000);
});
