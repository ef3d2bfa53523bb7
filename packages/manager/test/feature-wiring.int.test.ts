/**
 * Wiring between the manager and its features: rebuildSearchIndex passes `{ onProgress }` to the search
 * feature and returns its report; the FeatureContext's getContextHistory returns every snapshot when no
 * limit is given.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FeatureContext, SearchRebuildProgress } from '../src/index.js';
import { fsBackend, type TestStore } from './helpers.js';

let store: TestStore | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

describe('rebuildSearchIndex(userId?, { onProgress })', () => {
  it('reports per-user progress and resolves to the feature report', async () => {
    store = await fsBackend.create({}, { features: { vectors: false, personas: false } });
    const m = store.manager;
    const a1 = await m.createSession('alice', 'one');
    const a2 = await m.createSession('alice', 'two');
    const b1 = await m.createSession('bob', 'three');
    await m.addMessages(
      'alice',
      a1,
      Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: `alpha walrus ${i}` })),
    );
    await m.addMessages('alice', a2, [{ role: 'assistant', content: 'beta walrus' }]);
    await m.addMessages('bob', b1, [
      { role: 'user', content: 'gamma walrus' },
      { role: 'user', content: 'delta' },
    ]);
    await m.saveDocument('alice', a1, 'notes.txt', 'walrus notes');
    await m.saveContextSnapshot('bob', b1, { summary: 'walrus talk' });
    await m.updateContext('bob', b1, { summary: 'current walrus talk' });

    const seen: SearchRebuildProgress[] = [];
    const report = await m.rebuildSearchIndex(undefined, { onProgress: (p) => seen.push(p) });
    expect(report).toMatchObject({ users: 2, messages: 8, documents: 1, contexts: 2 });
    expect(report.durationMs).toEqual(expect.any(Number));
    const done = seen.filter((p) => p.phase === 'done');
    expect(done).toEqual([
      { userId: 'alice', phase: 'done', done: 6, total: 6 },
      { userId: 'bob', phase: 'done', done: 2, total: 2 },
    ]);
    const aliceMessages = seen.filter((p) => p.userId === 'alice' && p.phase === 'messages');
    expect(aliceMessages.length).toBeGreaterThan(0);
    expect(aliceMessages.at(-1)).toMatchObject({ done: 6, total: 6 });
    // The index is usable after the rebuild.
    expect((await m.searchMessages('alice', 'walrus')).length).toBe(6);

    // One user; no options at all still works.
    const seenBob: SearchRebuildProgress[] = [];
    expect(await m.rebuildSearchIndex('bob', { onProgress: (p) => seenBob.push(p) })).toMatchObject({
      users: 1,
      messages: 2,
    });
    expect(new Set(seenBob.map((p) => p.userId))).toEqual(new Set(['bob']));
    expect(await m.rebuildSearchIndex('bob')).toMatchObject({ users: 1, messages: 2, contexts: 2 });
    // A user that does not exist is not counted as rebuilt.
    expect(await m.rebuildSearchIndex('nobody')).toMatchObject({ users: 0, messages: 0 });
  }, 60_000);

  it('rejects an onProgress that is not a function', async () => {
    store = await fsBackend.create({}, { features: { vectors: false, personas: false } });
    await expect(
      store.manager.rebuildSearchIndex(undefined, { onProgress: 'yes' as never }),
    ).rejects.toMatchObject({ name: 'FFValidationError' });
  });
});

describe('FeatureContext.getContextHistory', () => {
  it('returns the whole history, newest first, when the limit is omitted', async () => {
    store = await fsBackend.create({}, { features: { vectors: false, personas: false } });
    const m = store.manager;
    const sid = await m.createSession('carol', 'ctx');
    for (let i = 0; i < 4; i++) await m.saveContextSnapshot('carol', sid, { summary: `snap ${i}` });
    // The context every feature receives (private: features get it from the loader).
    const ctx = (m as unknown as { featureContext(name: 'search'): FeatureContext }).featureContext('search');
    const all = await ctx.getContextHistory('carol', sid);
    expect(all.map((h) => h.context.summary)).toEqual(['snap 3', 'snap 2', 'snap 1', 'snap 0']);
    expect(all.every((h) => /^context_/.test(h.snapshotId))).toBe(true);
    expect((await ctx.getContextHistory('carol', sid, 2)).map((h) => h.context.summary)).toEqual([
      'snap 3',
      'snap 2',
    ]);
    expect(await ctx.getContextHistory('carol', 'chat_session_20200101_000000_000000')).toEqual([]);
  });
});
