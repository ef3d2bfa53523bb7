/**
 * The full-text index in its worker thread (features/search/worker-search-index.ts): a search sees every
 * write acknowledged before it (read-your-writes, also right after a 1 MiB upload), and what was
 * acknowledged but not yet persisted by the index is indexed again after a crash (SIGKILL of a real child
 * process): messages by their log position, documents by their document-log position.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { FFStorageManager, type ManagerOptions } from '../src/index.js';
import { WorkerSearchIndex } from '../src/features/search/index.js';
import { runUntilThenKill } from './child.js';
import { removeDir, tempDir, testConfig } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const SEARCH_ONLY: ManagerOptions = { features: { search: true, vectors: false, personas: false } };

/** The search feature's index (to tell where it runs). */
function searchIndex(manager: FFStorageManager): unknown {
  const features = (manager as unknown as { features: Map<string, { index?: unknown }> }).features;
  return features.get('search')?.index;
}

/** Runs the child until it prints SAVED, kills it with SIGKILL, and resolves to its session and document. */
async function crashAfterSave(
  basePath: string,
  user: string,
): Promise<{ sessionId: string; documentId: string }> {
  const m = await runUntilThenKill(
    path.join(here, 'search-crash-child.ts'),
    { FFDB_BASE: basePath, FFDB_USER: user },
    /SAVED (\S+) (\S+)\n/,
  );
  return { sessionId: m[1] as string, documentId: m[2] as string };
}

describe('search index in a worker thread', () => {
  let basePath = '';
  let manager: FFStorageManager | undefined;
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
    if (basePath) removeDir(basePath);
  });

  for (const searchWorker of [true, false]) {
    it(`a search right after an upload or an append sees it (searchWorker ${searchWorker})`, async () => {
      basePath = tempDir('ffdb-search-ryw-');
      manager = await FFStorageManager.open({ config: testConfig(basePath), ...SEARCH_ONLY, searchWorker });
      const index = searchIndex(manager);
      expect(index instanceof WorkerSearchIndex).toBe(searchWorker);
      const sid = await manager.createSession('alice', 'docs');
      // A 1 MiB text document with one findable word (the index reads the first 1,000,000 characters).
      const filler = randomBytes(512 * 1024 - 8).toString('hex');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        ids.push(await manager.saveDocument('alice', sid, `big_${i}.txt`, `zanzibar${i} ${filler}`));
        const hits = await manager.searchDocuments('alice', `zanzibar${i}`);
        expect(hits.map((h) => h.documentId)).toEqual([ids[i]]);
      }
      for (let i = 0; i < 20; i++) {
        await manager.addMessage('alice', sid, { role: 'user', content: `quokka number q${i}x` });
        const found = await manager.searchMessages('alice', `q${i}x`);
        expect(found.map((m) => m.content)).toEqual([`quokka number q${i}x`]);
      }
      if (index instanceof WorkerSearchIndex) {
        // It really ran in the worker (no fallback to this thread).
        await index.whenStarted();
        expect(index.inWorker).toBe(true);
      }
      // Deletes are seen at once too.
      expect(await manager.deleteDocument('alice', sid, ids[1] as string)).toBe(true);
      expect(await manager.searchDocuments('alice', 'zanzibar1')).toEqual([]);
      expect((await manager.searchDocuments('alice', 'zanzibar2')).length).toBe(1);
    }, 60_000);
  }

  it('indexes, after a SIGKILL, the document, message and contexts the index had not persisted', async () => {
    basePath = tempDir('ffdb-search-crash-');
    const { sessionId, documentId } = await crashAfterSave(basePath, 'alice');
    manager = new FFStorageManager(testConfig(basePath), SEARCH_ONLY);
    expect(await manager.initialize()).toBe(true);
    // Both were acknowledged, so both are stored ...
    expect((await manager.getMessages('alice', sessionId)).length).toBe(2);
    expect(await manager.getDocumentInfo('alice', sessionId, documentId)).not.toBeNull();
    // ... and the first search sees them: caught up from the message log and the document log.
    const docs = await manager.searchDocuments('alice', 'lighthouse keeper');
    expect(docs.map((d) => d.documentId)).toEqual([documentId]);
    expect((await manager.searchMessages('alice', 'marmalade')).map((m) => m.role)).toEqual(['assistant']);
    expect((await manager.searchMessages('alice', 'sourdough')).length).toBe(1);
    // ... and the contexts, by their context-event positions.
    const ctx = await manager.advancedSearch({ query: 'pelican', userId: 'alice', includeContext: true });
    expect(ctx.map((r) => [r.type, r.id])).toEqual([['context', 'current']]);
    const snap = await manager.advancedSearch({ query: 'walrus', userId: 'alice', includeContext: true });
    expect(snap.map((r) => r.type)).toEqual(['context']);
    // Positions are persisted on close: a further reopen finds everything exactly once.
    await manager.close();
    manager = new FFStorageManager(testConfig(basePath), SEARCH_ONLY);
    expect(await manager.initialize()).toBe(true);
    expect((await manager.searchDocuments('alice', 'lighthouse')).length).toBe(1);
    expect((await manager.advancedSearch({ query: 'marmalade', userId: 'alice' })).length).toBe(1);
  }, 90_000);
});
