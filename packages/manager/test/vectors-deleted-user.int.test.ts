/**
 * deleteUser in one process while another has the user's vector index loaded (API.md §3: deleteUser
 * removes the user's vectors too). Two managers on one store stand for two processes: neither sees the
 * other's hooks. The one that did not delete must stop returning the user's vectors within its refresh
 * window, find the vectors of a re-created user, and never write the deleted ones back.
 */
import { afterEach, expect, it } from 'vitest';
import type { FFStorageManager } from '../src/index.js';
import { fsBackend, type TestStore } from './helpers.js';

const VECTORS = { vector: { embedMessages: true } } as const;

/** Polls `probe` until it holds (bounded). */
async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 25));
  }
}

let store: TestStore;
afterEach(async () => store?.cleanup());

/** `a` embeds a message and a document of alice and searches them: her index is loaded in `a`. */
async function loadedIn(a: FFStorageManager): Promise<string> {
  const s1 = await a.createSession('alice', 'old');
  await a.addMessage('alice', s1, { role: 'user', content: 'old alice talks about volcano eruptions' });
  await a.storeDocumentWithVectors('alice', s1, 'geo', 'notes on glacier formation and ice sheets');
  expect(await a.searchSimilarMessages('alice', 'volcano eruptions')).toHaveLength(1);
  expect(await a.vectorSearch('alice', 'glacier formation ice')).toHaveLength(1);
  return s1;
}

it('a process with the index loaded stops finding a user another process deleted, and finds her again when re-created', async () => {
  store = await fsBackend.create(VECTORS);
  const a = store.manager;
  const s1 = await loadedIn(a);
  const b = await store.reopen();
  expect(await b.deleteUser('alice', { force: true })).toBe(true);

  // The index looks again at most every readRefreshMs (100 ms).
  expect(
    await within(1_000, async () => (await a.vectorSearch('alice', 'glacier formation ice')).length === 0),
  ).toBe(true);
  expect(await a.searchSimilarMessages('alice', 'volcano eruptions')).toEqual([]);
  expect(
    (await a.hybridSearch('alice', 'glacier formation ice')).filter((r) => r.type === 'vector_chunk'),
  ).toEqual([]);
  expect((await a.getVectorStats('alice', s1)).totalVectors).toBe(0);

  const s2 = await b.createSession('alice', 'new');
  await b.addMessage('alice', s2, { role: 'user', content: 'new alice talks about sailing boats' });
  expect(
    await within(5_000, async () =>
      (await a.searchSimilarMessages('alice', 'sailing boats')).some((r) => r.content.includes('sailing')),
    ),
  ).toBe(true);
  expect((await a.searchSimilarMessages('alice', 'volcano sailing')).map((r) => r.sessionId)).toEqual([s2]);
  const report = await a.verify();
  expect(report.issues.filter((i) => i.code.startsWith('vectors'))).toEqual([]);
}, 30_000);

it('a write by the process that still had the index loaded does not bring the deleted vectors back', async () => {
  store = await fsBackend.create(VECTORS);
  const a = store.manager;
  await loadedIn(a);
  const b = await store.reopen();
  expect(await b.deleteUser('alice', { force: true })).toBe(true);
  await b.close();

  const s2 = await a.createSession('alice', 'by a after the delete');
  await a.addMessage('alice', s2, { role: 'user', content: 'a writes about sailing boats' });
  expect(await a.searchSimilarMessages('alice', 'sailing boats')).toHaveLength(1);
  await a.close();

  const c = await store.reopen();
  expect(await c.vectorSearch('alice', 'glacier formation ice')).toEqual([]);
  expect(
    (await c.searchSimilarMessages('alice', 'volcano eruptions sailing')).map((r) => r.sessionId),
  ).toEqual([s2]);
  expect((await c.getVectorStats('alice', s2)).totalVectors).toBe(1);
}, 30_000);
