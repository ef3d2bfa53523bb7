/**
 * The search feature's part of `verify()`: it compares the index's log positions with the message log,
 * the document log and the context-event log of every session, reports what the index lags behind
 * (`search.behind`, keyed by the log) and with `repair` indexes it. The lag is made for real: a second
 * manager on the same store, without the search feature, writes while the first one is open (its index
 * caught up already), and its session-index notes of those writes are never appended, as when it
 * crashes first; so only verify can notice (with the notes, the first one's refresh indexes them: see
 * search-other-writers.int). Real files, real worker-thread index.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, type ManagerOptions } from '../src/index.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const SEARCH_ONLY: ManagerOptions = { features: { search: true, vectors: false, personas: false } };
const NO_SEARCH: ManagerOptions = { features: { search: false, vectors: false, personas: false } };

describe('search verify covers messages, documents and contexts', () => {
  const managers: FFStorageManager[] = [];
  let dir = '';
  afterEach(async () => {
    for (const m of managers.splice(0)) await m.close();
    if (dir) removeDir(dir);
  });

  async function open(options: ManagerOptions): Promise<FFStorageManager> {
    const m = new FFStorageManager(testConfig(dir), options);
    managers.push(m);
    expect(await m.initialize()).toBe(true);
    return m;
  }

  it.each([true, false])(
    'reports and repairs lagging documents and contexts (searchWorker %s)',
    async (worker) => {
      dir = tempDir();
      const m = await open({ ...SEARCH_ONLY, searchWorker: worker });
      await m.createUser('alice');
      const sid = await m.createSession('alice', 'notes');
      await m.addMessage('alice', sid, { role: 'user', content: 'hello there' });
      await m.saveDocument('alice', sid, 'early.txt', 'an early note about kayaks');
      await m.updateContext('alice', sid, { summary: 'planning a kayak trip' });
      expect(await m.searchMessages('alice', 'hello')).toHaveLength(1); // the user is caught up
      expect((await m.verify()).issues).toEqual([]);

      // Writes the open manager's index never hears of: another process that crashed before its
      // coalesced session-index notes (the `rev` events a reader's refresh follows) were appended.
      const other = await open(NO_SEARCH);
      (other as unknown as { core: { index: { revSoon: () => void } } }).core.index.revSoon = () => {};
      const docId = await other.saveDocument('alice', sid, 'late.txt', 'a late note about zeppelins');
      await other.saveContextSnapshot('alice', sid, { summary: 'glacier expedition snapshot' });
      await other.updateContext('alice', sid, { summary: 'walrus watching plans' });

      const report = await m.verify();
      expect(report.ok).toBe(false);
      const behind = report.issues.filter((i) => i.code === 'search.behind');
      expect(behind.map((i) => i.key).sort()).toEqual(
        [`users/alice/sessions/${sid}/context-events`, `users/alice/sessions/${sid}/document-index`].sort(),
      );
      expect(behind.find((i) => i.key?.endsWith('/document-index'))?.message).toMatch(/1 document/);
      expect(behind.find((i) => i.key?.endsWith('/context-events'))?.message).toMatch(/2 context/);
      expect(behind.every((i) => i.repaired === false)).toBe(true);
      expect(await m.searchDocuments('alice', 'zeppelins')).toEqual([]);

      const repaired = await m.verify({ repair: true });
      expect(repaired.issues.filter((i) => i.code === 'search.behind').every((i) => i.repaired)).toBe(true);
      expect((await m.verify()).issues).toEqual([]);
      expect((await m.searchDocuments('alice', 'zeppelins')).map((h) => h.documentId)).toEqual([docId]);
      for (const word of ['walrus', 'glacier']) {
        const hits = await m.advancedSearch({ query: word, userId: 'alice', includeContext: true });
        expect(hits.map((h) => h.type)).toEqual(['context']);
      }
    },
  );

  it('a document deleted behind the index is not reported as lagging (nothing to index)', async () => {
    dir = tempDir();
    const m = await open({ ...SEARCH_ONLY, searchWorker: false });
    await m.createUser('bob');
    const sid = await m.createSession('bob');
    expect(await m.searchMessages('bob', 'anything')).toEqual([]);
    const other = await open(NO_SEARCH);
    const docId = await other.saveDocument('bob', sid, 'gone.txt', 'short lived text');
    await other.deleteDocument('bob', sid, docId);
    await m.deleteDocument('bob', sid, 'deadbeef_never.txt');
    expect((await m.verify()).issues).toEqual([]);
  });

  it.each([true, false])(
    'after rebuildSearchIndex the index covers every log, contexts included (searchWorker %s)',
    async (worker) => {
      dir = tempDir();
      const m = await open({ ...SEARCH_ONLY, searchWorker: worker });
      const sid = await m.createSession('carol', 'trip');
      await m.addMessage('carol', sid, { role: 'user', content: 'packing list' });
      await m.saveDocument('carol', sid, 'route.txt', 'the route over the pass');
      await m.saveContextSnapshot('carol', sid, { summary: 'an older plan about ferries' });
      await m.updateContext('carol', sid, { summary: 'a plan about the mountain pass' });
      const report = await m.rebuildSearchIndex();
      expect(report).toMatchObject({ users: 1, messages: 1, documents: 1, contexts: 2 });
      expect((await m.verify()).issues).toEqual([]);
      const hits = await m.advancedSearch({ query: 'ferries', userId: 'carol', includeContext: true });
      expect(hits.map((h) => h.type)).toEqual(['context']);
    },
  );
});
