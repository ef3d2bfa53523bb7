/**
 * Re-processing a document (issue 6, "reprocessing replaces old chunks"): `processDocument` under the same
 * `documentId`, `storeDocumentWithVectors` with the same id, and the feature's `reprocessDocument` leave no
 * stale chunk in `vectorSearch` and no stale text in full-text search. Real files, faiss and lunr.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FaissVectorFeature } from '../src/features/vectors/index.js';
import type { FFStorageManager } from '../src/index.js';
import { fsBackend, type TestStore } from './helpers.js';

const OLD_TEXT =
  'The zeppelin drifted over the harbour at dawn. Its crew watched the gulls below. ' +
  'A zeppelin needs calm winds to dock. The mooring mast stood ready.';
const NEW_TEXT = 'Sourdough bread needs flour, water and a lively starter. Bake it in a hot oven.';

function vectorFeature(m: FFStorageManager): FaissVectorFeature {
  // reprocessDocument is on the feature only (not part of the manager's API).
  const f = (m as unknown as { features: Map<string, unknown> }).features.get('vectors');
  if (!f) throw new Error('vector feature not loaded');
  return f as FaissVectorFeature;
}

async function staleHits(m: FFStorageManager, userId: string) {
  const vector = await m.vectorSearch(userId, 'zeppelin harbour mooring crew', { threshold: -1, topK: 100 });
  const text = await m.advancedSearch({ query: 'zeppelin', userId, includeDocuments: true });
  return {
    chunks: vector.filter((h) => /zeppelin|gulls|mooring/i.test(h.content)).length,
    text: text.length,
    allChunks: vector.length,
  };
}

describe('re-processing a document replaces its chunks (manager, storage-fs)', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('processDocument with the same documentId leaves no stale chunk nor full-text hit', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    const opts = { documentId: 'harbour-notes', chunkingStrategy: 'sentence_short' };
    const first = await m.processDocument({ filename: 'notes.md', content: OLD_TEXT }, 'alice', sid, opts);
    expect(first.success).toBe(true);
    expect(first.chunkCount).toBe(2);
    expect((await staleHits(m, 'alice')).chunks).toBe(2);
    expect((await staleHits(m, 'alice')).text).toBeGreaterThan(0);

    const second = await m.processDocument({ filename: 'notes.md', content: NEW_TEXT }, 'alice', sid, opts);
    expect(second.success).toBe(true);
    expect(second.chunkCount).toBe(1);
    expect(await staleHits(m, 'alice')).toEqual({ chunks: 0, text: 0, allChunks: 1 });
    const fresh = await m.vectorSearch('alice', 'sourdough starter', { topK: 5 });
    expect(fresh.map((h) => h.content)).toEqual([NEW_TEXT]);
    expect(fresh[0]?.metadata.documentId).toBe('harbour-notes');
    expect(
      (await m.advancedSearch({ query: 'sourdough', userId: 'alice', includeDocuments: true })).length,
    ).toBe(1);
    const stats = await m.getVectorStats('alice', sid);
    expect([stats.totalVectors, stats.totalDocuments]).toEqual([1, 1]);

    // Without a documentId every call is a new document (the reference's default).
    await m.processDocument({ filename: 'other.md', content: OLD_TEXT }, 'alice', sid, {
      chunkingStrategy: 'sentence_short',
    });
    expect((await m.getVectorStats('alice', sid)).totalDocuments).toBe(2);
    await expect(
      m.processDocument({ filename: 'x.md', content: 'x' }, 'alice', sid, { documentId: '../escape' }),
    ).rejects.toThrow(/documentId/);
  });

  it('storeDocumentWithVectors with the same id leaves no stale full-text hit', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('bob');
    expect(await m.storeDocumentWithVectors('bob', sid, 'guide', OLD_TEXT)).toBe(true);
    expect((await staleHits(m, 'bob')).text).toBeGreaterThan(0);
    expect(await m.storeDocumentWithVectors('bob', sid, 'guide', NEW_TEXT)).toBe(true);
    expect(await staleHits(m, 'bob')).toEqual({ chunks: 0, text: 0, allChunks: 1 });
  });

  /** One current stored copy: list, get, info, stats and every search show only the new version. */
  async function expectOnlyNewVersion(m: FFStorageManager, userId: string, sid: string, currentId: string) {
    const docs = await m.listDocuments(userId, sid);
    expect(docs.map((d) => d.documentId)).toEqual([currentId]);
    expect(new TextDecoder().decode((await m.getDocument(userId, sid, currentId)) ?? undefined)).toBe(
      NEW_TEXT,
    );
    const stats = (await m.getDocumentStats(userId))!;
    expect([stats.totalDocuments, stats.totalSizeBytes]).toEqual([1, Buffer.byteLength(NEW_TEXT)]);
    expect(await m.searchDocuments(userId, 'zeppelin')).toEqual([]);
    expect((await m.searchDocuments(userId, 'sourdough')).map((h) => h.documentId)).toEqual([currentId]);
    // A rebuild re-reads every stored document: an old copy left on disk would come back here.
    await m.rebuildSearchIndex(userId);
    expect(await m.searchDocuments(userId, 'zeppelin')).toEqual([]);
    expect(await staleHits(m, userId)).toEqual({ chunks: 0, text: 0, allChunks: 1 });
  }

  it('processDocument with an existing documentId replaces the stored document too', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('dave');
    const opts = { documentId: 'harbour-notes', chunkingStrategy: 'sentence_short' };
    const first = await m.processDocument({ filename: 'notes.md', content: OLD_TEXT }, 'dave', sid, opts);
    const second = await m.processDocument({ filename: 'notes.md', content: NEW_TEXT }, 'dave', sid, opts);
    expect([first.success, second.success]).toEqual([true, true]);
    expect(await m.getDocument('dave', sid, first.documentId)).toBeNull();
    expect(await m.getDocumentInfo('dave', sid, first.documentId)).toBeNull();
    await expectOnlyNewVersion(m, 'dave', sid, second.documentId);
    // And after a restart (nothing kept only in memory).
    await expectOnlyNewVersion(await store.reopen(), 'dave', sid, second.documentId);
  });

  it('storeDocumentWithVectors with an existing id replaces the stored document too', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('erin');
    expect(await m.storeDocumentWithVectors('erin', sid, 'guide', OLD_TEXT)).toBe(true);
    const [old] = await m.listDocuments('erin', sid);
    expect(await m.storeDocumentWithVectors('erin', sid, 'guide', NEW_TEXT)).toBe(true);
    const docs = await m.listDocuments('erin', sid);
    expect(docs).toHaveLength(1);
    expect(await m.getDocument('erin', sid, old?.documentId ?? '')).toBeNull();
    await expectOnlyNewVersion(m, 'erin', sid, docs[0]?.documentId ?? '');
  });

  it('the feature reprocessDocument re-chunks a stored document and replaces its chunks', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('carol');
    const r = await m.processDocument({ filename: 'notes.md', content: OLD_TEXT }, 'carol', sid, {
      chunkingStrategy: 'sentence_short',
    });
    expect(r.chunkCount).toBe(2);
    const feature = vectorFeature(m);
    const again = await feature.reprocessDocument('carol', sid, r.documentId, {
      chunkingStrategy: 'default_fixed',
    });
    expect(again).toMatchObject({ success: true, documentId: r.documentId, chunkCount: 1 });
    const hits = await m.vectorSearch('carol', 'zeppelin harbour', { threshold: -1, topK: 100 });
    expect(hits).toHaveLength(1); // the two sentence chunks are gone, one fixed-size chunk remains
    expect(hits[0]?.metadata.chunkingStrategy).toBe('default_fixed');
    expect((await m.getVectorStats('carol', sid)).totalVectors).toBe(1);
    expect((await feature.reprocessDocument('carol', sid, 'deadbeef_missing.md')).success).toBe(false);
    await expect(
      feature.reprocessDocument('carol', sid, r.documentId, { chunkingStrategy: 'nope' }),
    ).rejects.toThrow(/chunking|strategy/i);
  });
});
