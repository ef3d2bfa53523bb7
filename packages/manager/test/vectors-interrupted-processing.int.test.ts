/**
 * A processDocument interrupted between saving the document and indexing its chunks (a kill, or an
 * indexing failure) left a document that listed as processed and had no vectors, which nothing reported
 * or repaired (an audit killed the call at that point in 3 of 3 runs). verify reports it and repair
 * indexes it. Real files, faiss and lunr.
 */
import { afterEach, expect, it } from 'vitest';
import { fsBackend, type TestStore } from './helpers.js';

let store: TestStore | undefined;
afterEach(async () => {
  await store?.cleanup();
  store = undefined;
});

const TEXT =
  'The lighthouse keeper climbed the spiral stairs every evening. He trimmed the wick and polished ' +
  'the great lens until it shone. Ships passing the reef at night steered by its beam.';

it('verify reports a processed document without chunks, and repair indexes it', async () => {
  store = await fsBackend.create();
  const m = store.manager;
  const sid = await m.createSession('alice', 'docs');
  // What the interrupted call leaves: the document saved with its processing record, no chunks.
  const documentId = await m.saveDocument('alice', sid, 'lighthouse.txt', TEXT, {
    processing: { chunkingStrategy: 'optimized_summary', embeddingProvider: 'hashed-ngram', format: 'text' },
  });
  expect(await m.vectorSearch('alice', 'lighthouse keeper lens', { threshold: -1 })).toEqual([]);

  const report = await m.verify();
  expect(report.ok).toBe(false);
  expect(report.issues).toEqual([
    expect.objectContaining({
      code: 'vectors.behind',
      key: `users/alice/sessions/${sid}/documents/${documentId}`,
      repaired: false,
    }),
  ]);
  const repaired = await m.verify({ repair: true });
  expect(repaired.issues.every((i) => i.repaired)).toBe(true);
  const hits = await m.vectorSearch('alice', 'lighthouse keeper lens', { threshold: -1 });
  expect(hits.length).toBeGreaterThan(0);
  expect(hits.every((h) => h.metadata?.storedDocumentId === documentId)).toBe(true);
  expect(await m.verify()).toMatchObject({ ok: true, issues: [] });

  // A document processDocument stored normally, and one stored without processing, are not reported.
  await m.processDocument(
    { filename: 'reef.txt', content: 'Ships steer clear of the reef at night.' },
    'alice',
    sid,
  );
  await m.saveDocument('alice', sid, 'plain.txt', 'never processed');
  expect(await m.verify()).toMatchObject({ ok: true, issues: [] });

  // Vectors a caller deleted on purpose are not interrupted processing: verify leaves them deleted,
  // until the document is processed again.
  expect(await m.deleteDocumentVectors('alice', sid, documentId)).toBe(true);
  expect(await m.verify()).toMatchObject({ ok: true, issues: [] });
  await m.verify({ repair: true });
  const after = await m.vectorSearch('alice', 'lighthouse keeper lens', { threshold: -1 });
  expect(after.filter((h) => h.metadata?.storedDocumentId === documentId)).toEqual([]);
});
