/**
 * A process that only reads finds what another process wrote. Two managers on one store stand for two
 * processes: each has its own search index (and worker); neither sees the other's change hooks.
 */

import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { FFStorageManager } from '../src/index.js';
import { fsBackend, removeDir, type TestStore } from './helpers.js';

const SEARCH_ONLY = { features: { search: true, vectors: false, personas: false } } as const;

/** Polls `probe` until it holds (bounded): another process's touch events take ~50 ms to land. */
async function within(ms: number, probe: () => Promise<boolean>): Promise<boolean> {
  const end = performance.now() + ms;
  for (;;) {
    if (await probe()) return true;
    if (performance.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

let store: TestStore;
afterEach(async () => store?.cleanup());

it('a reading process finds messages another process appended, in known and new sessions', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const reader: FFStorageManager = store.manager;
  const old = await reader.createSession('ada', 'old');
  await reader.addMessage('ada', old, { role: 'user', content: 'the first lighthouse' });
  // The reader has caught up and searched once: its positions cover every log it knows.
  expect(await reader.searchMessages('ada', 'lighthouse')).toHaveLength(1);

  const writer = await store.reopen();
  await writer.addMessage('ada', old, { role: 'assistant', content: 'a second lighthouse keeper' });
  const fresh = await writer.createSession('ada', 'new');
  await writer.addMessages('ada', fresh, [
    { role: 'user', content: 'aurora over the harbour' },
    { role: 'assistant', content: 'the lighthouse saw the aurora too' },
  ]);

  expect(
    await within(5_000, async () => (await reader.searchMessages('ada', 'lighthouse')).length === 3),
  ).toBe(true);
  const aurora = await reader.advancedSearch({ query: 'aurora', userId: 'ada' });
  expect(aurora.map((r) => r.sessionId)).toEqual([fresh, fresh]);
  // Indexed once each, and the reader's index agrees with the logs.
  expect((await reader.searchMessages('ada', 'lighthouse')).map((m) => m.content).sort()).toEqual([
    'a second lighthouse keeper',
    'the first lighthouse',
    'the lighthouse saw the aurora too',
  ]);
  const report = await reader.verify();
  expect(report.issues.filter((i) => i.code.startsWith('search'))).toEqual([]);
}, 60_000);

it('a reading process sees documents and contexts another process stores, replaces and deletes', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const reader: FFStorageManager = store.manager;
  const sid = await reader.createSession('bea', 'shared');
  const kept = await reader.saveDocument('bea', sid, 'kept.txt', 'notes on zebracorn husbandry');
  await reader.updateContext('bea', sid, { summary: 'talking about marmalade' });
  expect(await reader.searchDocuments('bea', 'zebracorn')).toHaveLength(1);

  const writer = await store.reopen();
  await writer.saveDocument('bea', sid, 'new.txt', 'a quokka census for the island');
  expect(await writer.deleteDocument('bea', sid, kept)).toBe(true);
  await writer.updateContext('bea', sid, { summary: 'now talking about espresso' });

  const contexts = async (q: string) =>
    (await reader.advancedSearch({ query: q, userId: 'bea', includeMessages: false, includeContext: true }))
      .length;
  expect(await within(5_000, async () => (await reader.searchDocuments('bea', 'quokka')).length === 1)).toBe(
    true,
  );
  expect(await within(5_000, async () => (await contexts('espresso')) === 1)).toBe(true);
  // The deleted document and the replaced context are gone from the reader's index.
  expect(await reader.searchDocuments('bea', 'zebracorn')).toEqual([]);
  expect(await contexts('marmalade')).toBe(0);
  const report = await reader.verify();
  expect(report.issues.filter((i) => i.code.startsWith('search'))).toEqual([]);
}, 60_000);

it("a session another process deletes is never returned by the reader's search", async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const reader: FFStorageManager = store.manager;
  const sid = await reader.createSession('cal', 'doomed');
  await reader.addMessage('cal', sid, { role: 'user', content: 'the secret word is periwinkle' });
  expect(await reader.searchMessages('cal', 'periwinkle')).toHaveLength(1);
  const writer = await store.reopen();
  expect(await writer.deleteSession('cal', sid)).toBe(true);
  expect(await reader.searchMessages('cal', 'periwinkle')).toEqual([]);
  expect(await reader.advancedSearch({ query: 'periwinkle', userId: 'cal' })).toEqual([]);
}, 60_000);

it('a document another process deleted does not come back when this process writes to the session', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const a: FFStorageManager = store.manager;
  const sid = await a.createSession('dov', 'docs');
  const doomed = await a.saveDocument('dov', sid, 'payroll.txt', 'confidential zebracorn payroll');
  const b = await store.reopen();
  expect(await b.deleteDocument('dov', sid, doomed)).toBe(true);
  // A writes at once (no query in between): its hook fills the gap of B's events before its own.
  await a.saveDocument('dov', sid, 'menu.txt', 'lunch menu');
  expect(await a.searchDocuments('dov', 'zebracorn')).toEqual([]);
  await a.close();
  await b.close();
  const fresh = await store.reopen();
  expect(await fresh.searchDocuments('dov', 'zebracorn')).toEqual([]);
  expect(await fresh.searchDocuments('dov', 'lunch')).toHaveLength(1);
}, 60_000);

const WITH_PANELS = { features: { search: true, vectors: false, personas: true } } as const;

it("panel messages another process adds are found by the reader's panel search, and survive a rebuild", async () => {
  store = await fsBackend.create({}, WITH_PANELS);
  const reader: FFStorageManager = store.manager;
  await reader.createUser('eli');
  const panelId = await reader.createPanel('multi_persona', ['analyst', 'creative'], { userId: 'eli' });
  await reader.addPanelMessage(panelId, { personaId: 'analyst', content: 'walrus population is stable' });
  expect(await reader.searchPanelMessages('eli', 'walrus')).toHaveLength(1);

  const writer = await store.reopen();
  await writer.addPanelMessage(panelId, { personaId: 'creative', content: 'a poem about kumquats' });
  expect(
    await within(5_000, async () => (await reader.searchPanelMessages('eli', 'kumquats')).length === 1),
  ).toBe(true);
  // This process's next message comes after the other's: both stay found.
  await reader.addPanelMessage(panelId, { personaId: 'analyst', content: 'kumquats and walrus together' });
  expect(await reader.searchPanelMessages('eli', 'kumquats')).toHaveLength(2);

  // A rebuild clears the user's index and indexes panel messages again with the rest.
  await reader.rebuildSearchIndex('eli');
  expect(await reader.searchPanelMessages('eli', 'kumquats')).toHaveLength(2);
  expect(await reader.searchPanelMessages('eli', 'walrus')).toHaveLength(2);
}, 60_000);

it('a reply another process streams is found with its final text once it ends', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const reader: FFStorageManager = store.manager;
  const sid = await reader.createSession('fin', 'live');
  const writer = await store.reopen();
  const reply = await writer.beginMessageStream('fin', sid, { role: 'assistant' });
  await reply.write('the first tangerine ');
  // The reader indexes the reply while it is being written.
  expect(
    await within(5_000, async () => (await reader.searchMessages('fin', 'tangerine')).length === 1),
  ).toBe(true);
  await reply.write('and then a persimmon');
  await reply.complete();
  expect(
    await within(5_000, async () => (await reader.searchMessages('fin', 'persimmon')).length === 1),
  ).toBe(true);
  const [found] = await reader.searchMessages('fin', 'tangerine');
  expect(found).toMatchObject({ content: 'the first tangerine and then a persimmon' });
  expect(found?.metadata.streamStatus).toBe('complete');
}, 60_000);

it('a context another process imports is found by a reader that had the user loaded', async () => {
  const source = await fsBackend.create({}, SEARCH_ONLY);
  const bundle = path.join(source.basePath, '..', `${path.basename(source.basePath)}-bundle`);
  try {
    const s1 = await source.manager.createSession('gus', 'one');
    await source.manager.updateContext('gus', s1, { summary: 'a tangerine summary' });
    await source.manager.exportData(bundle);
  } finally {
    await source.cleanup();
  }
  try {
    store = await fsBackend.create({}, SEARCH_ONLY);
    const reader: FFStorageManager = store.manager;
    await reader.createSession('gus', 'own');
    expect(await reader.searchMessages('gus', 'anything')).toEqual([]); // the user is loaded here
    const importer = await store.reopen();
    await importer.importData(bundle);
    const contexts = async () =>
      (
        await reader.advancedSearch({
          query: 'tangerine',
          userId: 'gus',
          includeMessages: false,
          includeContext: true,
        })
      ).length;
    expect(await within(5_000, async () => (await contexts()) === 1)).toBe(true);
  } finally {
    removeDir(bundle);
  }
}, 60_000);

it('the first query after another process deletes a session still fills its limit', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const reader: FFStorageManager = store.manager;
  const strong = await reader.createSession('hud', 'strong');
  const weak = await reader.createSession('hud', 'weak');
  await reader.addMessages(
    'hud',
    strong,
    Array.from({ length: 30 }, (_, i) => ({ role: 'user', content: `foo foo foo ${i}` })),
  );
  await reader.addMessages(
    'hud',
    weak,
    Array.from({ length: 8 }, (_, i) => ({
      role: 'user',
      content: `foo appears once in a much longer message about other things, number ${i}`,
    })),
  );
  expect(
    (await reader.searchMessages('hud', 'foo', { limit: 5 })).every((m) => m.content.startsWith('foo foo')),
  ).toBe(true);
  const writer = await store.reopen();
  expect(await writer.deleteSession('hud', strong)).toBe(true);
  const after = await reader.searchMessages('hud', 'foo', { limit: 5 });
  expect(after).toHaveLength(5);
  expect(after.every((m) => m.content.startsWith('foo appears once'))).toBe(true);
}, 60_000);

it('a user another process restores from a different backup (same session ids, same lengths) is read afresh', async () => {
  store = await fsBackend.create({}, SEARCH_ONLY);
  const a: FFStorageManager = store.manager;
  const sid = await a.createSession('ida', 'title one');
  const mine = [
    a.createMessage({ role: 'user', content: 'alpha lighthouse one' }),
    a.createMessage({ role: 'user', content: 'alpha lighthouse two' }),
  ];
  await a.addMessages('ida', sid, mine);
  const dir = path.join(store.basePath, '..', `${path.basename(store.basePath)}-backups`);
  try {
    await a.exportData(path.join(dir, 'now'));
    // Another backup: the same session and as many messages, other ids, text and title.
    const records = fs
      .readFileSync(path.join(dir, 'now', 'records.jsonl'), 'utf8')
      .replace(mine[0]!.messageId, 'msg_0000000000b1')
      .replace(mine[1]!.messageId, 'msg_0000000000b2')
      .replaceAll('alpha lighthouse', 'beta harbour')
      .replace('"title one"', '"title two"');
    fs.cpSync(path.join(dir, 'now'), path.join(dir, 'other'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'other', 'records.jsonl'), records);
    expect(await a.searchMessages('ida', 'alpha')).toHaveLength(2);
    expect(await a.getMessage('ida', sid, mine[0]!.messageId)).not.toBeNull();

    const b = await store.reopen();
    expect(await b.deleteUser('ida', { force: true })).toBe(true);
    await b.importData(path.join(dir, 'other'));

    expect(await within(5_000, async () => (await a.getSession('ida', sid))?.title === 'title two')).toBe(
      true,
    );
    expect(await a.getMessage('ida', sid, 'msg_0000000000b1')).toMatchObject({ content: 'beta harbour one' });
    expect(await a.getMessage('ida', sid, mine[0]!.messageId)).toBeNull();
    expect(
      await a.addMessage('ida', sid, { role: 'user', content: 'dup', messageId: 'msg_0000000000b2' }),
    ).toBe(false);
    expect(await within(5_000, async () => (await a.searchMessages('ida', 'harbour')).length === 2)).toBe(
      true,
    );
    expect(await a.searchMessages('ida', 'alpha')).toEqual([]);
  } finally {
    removeDir(dir);
  }
}, 60_000);
