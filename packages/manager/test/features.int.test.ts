/**
 * The feature seam with the real optional packages of the workspace (search-fts, personas): the manager
 * loads them, keeps them in step through its change hooks, and deletions leave nothing searchable behind.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FFValidationError } from '../src/index.js';
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

describe('multi-word queries through the manager', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('advancedSearch keeps items matching any word, more words first; searchMessages needs every word', async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    const m = store.manager;
    const sid = await m.createSession('alice', 'langs');
    for (const content of [
      'I love python programming',
      'Rust is fast',
      'The weather is nice',
      'python scripts',
    ]) {
      await m.addMessage('alice', sid, { role: 'user', content });
    }
    // As the reference: an item matching at least one word is kept, ranked by the share it matches.
    const any = await m.advancedSearch({ query: 'python rust', userId: 'alice' });
    expect(any.map((r) => r.content).sort()).toEqual([
      'I love python programming',
      'Rust is fast',
      'python scripts',
    ]);
    const ranked = await m.advancedSearch({ query: 'programming python', userId: 'alice' });
    expect(ranked.map((r) => r.content)).toEqual(['I love python programming', 'python scripts']);
    expect(await m.advancedSearch({ query: 'python rust', userId: 'alice', mode: 'and' })).toEqual([]);
    expect(
      (await m.searchByTimeRange(new Date(0), new Date(), { userId: 'alice', queryText: 'rust weather' }))
        .length,
    ).toBe(2);
    // A calendar date that does not exist is refused, not rolled over into March.
    await expect(
      m.searchByTimeRange('2024-02-30T00:00:00Z', new Date(), { userId: 'alice' }),
    ).rejects.toSatisfy((e: unknown) => FFValidationError.isInstance(e));
    // searchMessages matches the whole query (the reference: a substring of the content).
    expect(await m.searchMessages('alice', 'python rust')).toEqual([]);
    expect((await m.searchMessages('alice', 'python programming')).map((x) => x.content)).toEqual([
      'I love python programming',
    ]);
    // A count of 0 asks for nothing: [] from every search, as vectorSearch's topK: 0 (the reference's
    // results[:0]); a negative count is still refused.
    await m.saveDocument('alice', sid, 'py.txt', 'python notes');
    expect(await m.advancedSearch({ query: 'python', userId: 'alice', maxResults: 0 })).toEqual([]);
    expect(await m.searchMessages('alice', 'python', { limit: 0 })).toEqual([]);
    expect(await m.searchByEntities({ languages: ['python'] }, { userId: 'alice', limit: 0 })).toEqual([]);
    expect(await m.searchByTimeRange(new Date(0), new Date(), { userId: 'alice', limit: 0 })).toEqual([]);
    expect(await m.searchDocuments('alice', 'python', { limit: 0 })).toEqual([]);
    expect(await m.searchDocuments('alice', 'python', { limit: 1 })).toHaveLength(1);
    await expect(m.searchMessages('alice', 'python', { limit: -1 })).rejects.toSatisfy((e: unknown) =>
      FFValidationError.isInstance(e),
    );
  });
});
