/**
 * A process that only reads finds what another process wrote. Two managers on one store stand for two
 * processes: each has its own search index (and worker); neither sees the other's change hooks.
 */
import { afterEach, expect, it } from 'vitest';
import type { FFStorageManager } from '../src/index.js';
import { fsBackend, type TestStore } from './helpers.js';

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
