/**
 * The vector feature through the manager on real files (storage-fs in a temp dir, real faiss, real lunr):
 * document processing for every supported format, vector / message / hybrid search, deletes, statistics.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type Embedder, FFValidationError, TOKENS } from '../src/index.js';
import { fsBackend, removeDir, type TestStore, tempDir } from './helpers.js';

function minimalPdf(lines: string[]): Uint8Array {
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\(/g, '\\(').replace(/\)/g, '\\)');
  const stream = [
    'BT',
    '/F1 12 Tf',
    '14 TL',
    '72 720 Td',
    ...lines.flatMap((l, i) => (i ? ['T*', `(${esc(l)}) Tj`] : [`(${esc(l)}) Tj`])),
    'ET',
  ].join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let out = '%PDF-1.4\n';
  const offsets = objects.map((o, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${o}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

const FAISS_TEXT =
  'Faiss is a library for efficient similarity search of dense vectors. It builds flat, inverted file and HNSW ' +
  'indexes. An inverted file index probes a few lists per query. HNSW walks a navigable small world graph.';
const BREAD_TEXT =
  'To bake bread, mix flour, water, salt and yeast. Knead the dough and let it rise for an hour. ' +
  'Bake the loaf in a hot oven until the crust is brown.';

describe('vector feature (manager, storage-fs)', () => {
  let store: TestStore;
  // Export bundles a test writes outside its store, removed with it.
  const bundles: string[] = [];
  afterEach(async () => {
    await store?.cleanup();
    for (const dir of bundles.splice(0)) removeDir(dir);
  });

  it('processes documents of every format, finds their chunks, and removes them with the document', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    // The search feature catches a user up from storage on their first query; run it now so this test
    // checks the live path (a catch-up re-indexes only what the search feature can decode itself).
    await m.advancedSearch({ query: 'warm up', userId: 'alice' });
    const dir = tempDir('ffdb-vec-src-');
    fs.writeFileSync(path.join(dir, 'faiss.txt'), FAISS_TEXT);
    const txt = await m.processDocument(path.join(dir, 'faiss.txt'), 'alice', sid);
    expect(txt).toMatchObject({ success: true, chunkCount: 1, vectorCount: 1 });
    expect(txt.processingTime).toBeGreaterThan(0);
    expect(Object.keys(txt.timings ?? {})).toEqual(['extract', 'chunk', 'embed', 'index']);
    const pdf = await m.processDocument(
      { filename: 'bread.pdf', content: minimalPdf(BREAD_TEXT.split('. ')) },
      'alice',
      sid,
    );
    expect(pdf).toMatchObject({ success: true, chunkCount: 1 });
    const md = await m.processDocument(
      { filename: 'notes.md', content: '# Gardening\n\nTomatoes need sun and water every day.' },
      'alice',
      sid,
    );
    const json = await m.processDocument(
      { filename: 'cfg.json', content: '{"planet":"Mars","moons":["Phobos","Deimos"]}' },
      'alice',
      sid,
    );
    const csv = await m.processDocument(
      { filename: 't.csv', content: 'city,country\n"Paris, Texas",USA\nLyon,France\n' },
      'alice',
      sid,
    );
    for (const r of [md, json, csv]) expect(r.success).toBe(true);
    fs.rmSync(dir, { recursive: true, force: true });

    const hits = await m.vectorSearch('alice', 'similarity search with an inverted file index');
    expect(hits[0]).toMatchObject({ type: 'vector_chunk', sessionId: sid, userId: 'alice' });
    expect(hits[0]?.metadata.documentId).toBe(txt.documentId);
    expect(hits[0]?.content).toContain('Faiss');
    const bread = await m.vectorSearch('alice', 'baking a loaf of bread with yeast', {
      topK: 1,
      threshold: 0,
    });
    expect(bread).toHaveLength(1);
    expect(bread[0]?.metadata.documentId).toBe(pdf.documentId);
    expect(
      (await m.vectorSearch('alice', 'Phobos Deimos moons', { topK: 1, threshold: 0 }))[0]?.metadata
        .documentId,
    ).toBe(json.documentId);
    // threshold 0 and topK 0 are honoured (no falsy defaults).
    expect(await m.vectorSearch('alice', 'bread', { topK: 0 })).toEqual([]);
    expect(
      (await m.vectorSearch('alice', 'zebra quantum', { threshold: 0, topK: 50 })).length,
    ).toBeGreaterThanOrEqual(1);
    expect(await m.vectorSearch('alice', 'zebra quantum', { threshold: 0.99 })).toEqual([]);
    // The PDF's extracted text is in the full-text index too.
    const fts = await m.advancedSearch({
      query: 'knead dough',
      userId: 'alice',
      includeMessages: false,
      includeDocuments: true,
    });
    expect(fts.map((r) => r.id)).toContain(pdf.documentId);

    const stats = await m.getVectorStats('alice', sid);
    expect(stats).toMatchObject({
      totalVectors: 5,
      totalDocuments: 5,
      vectorDimensions: 384,
      providersUsed: ['hashed-ngram'],
    });
    expect(stats.storageSizeBytes).toBeGreaterThan(0);

    expect(await m.deleteDocument('alice', sid, pdf.documentId)).toBe(true);
    const ftsAfter = await m.advancedSearch({
      query: 'knead dough',
      userId: 'alice',
      includeMessages: false,
      includeDocuments: true,
    });
    expect(ftsAfter.map((r) => r.id)).not.toContain(pdf.documentId);
    expect(
      (await m.vectorSearch('alice', 'baking bread with yeast', { threshold: 0, topK: 10 })).map(
        (h) => h.metadata.documentId,
      ),
    ).not.toContain(pdf.documentId);
    expect(await m.deleteDocumentVectors('alice', sid, txt.documentId)).toBe(true);
    expect((await m.getVectorStats('alice', sid)).totalVectors).toBe(3);
    // Nothing left to delete, or a document that never had vectors: false, as every delete of something missing.
    expect(await m.deleteDocumentVectors('alice', sid, txt.documentId)).toBe(false);
    expect(await m.deleteDocumentVectors('alice', sid, 'deadbeef_never.txt')).toBe(false);

    // A restart keeps the vectors.
    const again = await store.reopen();
    expect((await again.getVectorStats('alice', sid)).totalVectors).toBe(3);
    expect(
      (await again.vectorSearch('alice', 'tomatoes sun water', { topK: 1, threshold: 0 }))[0]?.metadata
        .documentId,
    ).toBe(md.documentId);
  });

  it('reports failures in the result and throws on invalid input', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('bob');
    const missing = await m.processDocument('/nonexistent/dir/file.txt', 'bob', sid);
    expect(missing).toMatchObject({ success: false, chunkCount: 0, vectorCount: 0 });
    expect(missing.error).toMatch(/not found/);
    const bad = await m.processDocument({ filename: 'x.json', content: '{oops' }, 'bob', sid);
    expect(bad.success).toBe(false);
    // A well-formed session that does not exist fails the same way (nothing is written).
    const noSession = await m.processDocument(
      { filename: 'a.txt', content: 'hi' },
      'bob',
      'chat_session_nope',
    );
    expect(noSession).toMatchObject({ success: false, documentId: '', chunkCount: 0 });
    expect(noSession.error).toMatch(/Session chat_session_nope not found/);
    expect(await m.listDocuments('bob', 'chat_session_nope')).toEqual([]);
    await expect(
      m.processDocument({ filename: 'a.txt', content: 'hi' }, 'bob', sid, { chunkingStrategy: 'nope' }),
    ).rejects.toMatchObject({ issues: [{ path: 'opts.chunkingStrategy' }] });
    // Each issue names the option as the caller spelled it.
    await expect(
      m.storeDocumentWithVectors('bob', sid, 'notes.txt', 'hi', { metadata: 'x' as never }),
    ).rejects.toMatchObject({ issues: [{ path: 'opts.metadata' }] });
    await expect(
      m.storeDocumentWithVectors('bob', sid, 'notes.txt', 'hi', { chunkingStrategy: 'nope' }),
    ).rejects.toMatchObject({ issues: [{ path: 'opts.chunkingStrategy' }] });
    await expect(m.listPanels('x' as never)).rejects.toMatchObject({ issues: [{ path: 'opts' }] });
    await expect(m.vectorSearch('bob', '')).rejects.toBeInstanceOf(FFValidationError);
    await expect(m.vectorSearch('bob', 'x', { topK: -1 })).rejects.toMatchObject({
      issues: [{ path: 'opts.topK', limit: 10_000 }],
    });
    await expect(m.hybridSearch('bob', 'x', { sessionIds: ['a/b'] })).rejects.toMatchObject({
      issues: [{ path: 'opts.sessionIds.0' }],
    });
    await expect(m.hybridSearch('bob', 'x', { vectorWeight: 2 })).rejects.toBeInstanceOf(FFValidationError);
    await expect(m.vectorSearch('bob', 'x', { embeddingProvider: 'openai' })).rejects.toMatchObject({
      code: 'FF_EMBEDDING',
    });
    expect(() => m.chunkText('x', 'unknown')).toThrow(FFValidationError);
    expect(m.chunkText('One. Two. Three.', 'sentence_short').map((c) => c.text)).toEqual([
      'One. Two.',
      'Three.',
    ]);
  });

  it('vector.chunkingStrategies applies: its settings, its own names, and a default only it defines', async () => {
    store = await fsBackend.create({
      vector: {
        defaultChunkingStrategy: 'semantic',
        chunkingStrategies: {
          ...DEFAULT_CONFIG.vector.chunkingStrategies,
          fixed_size: { chunkSize: 40, chunkOverlap: 0, preserveWords: true },
          two_sentences: { sentencesPerChunk: 2, overlapSentences: 0 },
        },
      },
    });
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    // The config's default, `semantic`, is a strategy: documents process with it.
    const result = await m.processDocument({ filename: 'faiss.txt', content: FAISS_TEXT }, 'alice', sid);
    expect(result).toMatchObject({ success: true, chunkCount: 1 });
    expect(m.chunkText(FAISS_TEXT)).toHaveLength(1);
    for (const c of m.chunkText(FAISS_TEXT, 'fixed_size')) expect(c.charCount).toBeLessThanOrEqual(40);
    expect(m.chunkText(BREAD_TEXT, 'two_sentences').map((c) => c.text)).toEqual([
      'To bake bread, mix flour, water, salt and yeast. Knead the dough and let it rise for an hour.',
      'Bake the loaf in a hot oven until the crust is brown.',
    ]);
    const byName = await m.processDocument({ filename: 'bread.txt', content: BREAD_TEXT }, 'alice', sid, {
      chunkingStrategy: 'two_sentences',
    });
    expect(byName).toMatchObject({ success: true, chunkCount: 2 });
  });

  it('a second embedding space throws before anything is stored; bad ids and extensions throw', async () => {
    // A local OpenAI-compatible server gives an 8-dimensional space beside the default hashed one.
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => {
        body += d;
      });
      req.on('end', () => {
        const input = (JSON.parse(body) as { input: string | string[] }).input;
        const texts = Array.isArray(input) ? input : [input];
        res.setHeader('content-type', 'application/json');
        res.end(
          JSON.stringify({
            data: texts.map((t, index) => ({
              index,
              embedding: Array.from({ length: 8 }, (_, k) => Math.sin(k + t.length) + 0.01),
            })),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      store = await fsBackend.create({
        vector: {
          embeddingProviders: {
            ...DEFAULT_CONFIG.vector.embeddingProviders,
            local8: {
              modelName: 'm8',
              embeddingDimension: 8,
              requiresApiKey: false,
              apiUrl: `http://127.0.0.1:${port}/v1/embeddings`,
              normalizeVectors: true,
              maxTokens: 512,
            },
          },
        },
      });
      const m = store.manager;
      const sid = await m.createSession('fay');
      expect(await m.storeDocumentWithVectors('fay', sid, 'bread', BREAD_TEXT)).toBe(true);
      const mismatch = { name: 'FFEmbeddingError', code: 'FF_SPACE_MISMATCH' };
      await expect(
        m.storeDocumentWithVectors('fay', sid, 'cars', 'Cars have wheels.', { embeddingProvider: 'local8' }),
      ).rejects.toMatchObject(mismatch);
      await expect(
        m.processDocument({ filename: 'cars.txt', content: 'Cars have wheels.' }, 'fay', sid, {
          embeddingProvider: 'local8',
        }),
      ).rejects.toMatchObject(mismatch);
      await expect(
        m.processDocument({ filename: 'tool.exe', content: 'MZ' }, 'fay', sid),
      ).rejects.toBeInstanceOf(FFValidationError);
      for (const bad of ['../x', 'a/b', 'a\u0000b', '']) {
        await expect(m.deleteDocumentVectors('fay', sid, bad)).rejects.toBeInstanceOf(FFValidationError);
      }
      // Nothing of the refused calls was stored; the session's statistics count its vectors.
      expect((await m.listDocuments('fay', sid)).map((d) => d.originalName)).toEqual(['bread.txt']);
      const vectors = (await m.getVectorStats('fay', sid)).totalVectors;
      expect(vectors).toBeGreaterThan(0);
      const sessionStats = await m.getSessionStats('fay', sid);
      expect(sessionStats.vectorCount).toBe(vectors);
      // The user's total counts what the session's counts (vector bytes included), so they add up.
      expect((await m.getUserStats('fay'))?.totalSizeBytes).toBe(sessionStats.totalSizeBytes);
      // Another user may use the other space.
      const other = await m.createSession('gus');
      expect(
        await m.storeDocumentWithVectors('gus', other, 'cars', 'Cars have wheels.', {
          embeddingProvider: 'local8',
        }),
      ).toBe(true);
    } finally {
      server.close();
    }
  });

  it('rebuildVectorIndex moves a user to a new embedding space; a failing provider changes nothing', async () => {
    store = await fsBackend.create();
    const first = store.manager;
    const sid = await first.createSession('hal', 'S');
    expect(
      (await first.processDocument({ filename: 'bread.md', content: BREAD_TEXT }, 'hal', sid)).success,
    ).toBe(true);
    await first.addMessage('hal', sid, {
      role: 'user',
      content: 'Penguins huddle against the polar wind',
      metadata: { enableEmbeddings: true },
    });
    expect(await first.searchSimilarMessages('hal', 'penguins huddle polar wind')).toHaveLength(1);
    const before = (await first.getVectorStats('hal', sid)).totalVectors as number;
    await first.close();

    const providers = DEFAULT_CONFIG.vector.embeddingProviders as Record<string, Record<string, unknown>>;
    const wider = {
      vector: {
        embeddingProviders: {
          ...providers,
          'hashed-ngram': { ...providers['hashed-ngram'], embeddingDimension: 256 },
        },
      },
    };
    // A provider that cannot be reached: the rebuild fails before it touches the index.
    const dead = {
      vector: {
        defaultEmbeddingProvider: 'dead',
        embeddingProviders: {
          ...providers,
          dead: {
            modelName: 'none',
            embeddingDimension: 8,
            requiresApiKey: false,
            apiUrl: 'http://127.0.0.1:9/v1/embeddings',
            normalizeVectors: true,
            maxTokens: 512,
          },
        },
      },
    };
    const failing = await store.reopen(dead as never);
    await expect(failing.rebuildVectorIndex('hal')).rejects.toMatchObject({ code: 'FF_EMBEDDING' });
    await failing.close();

    const m = await store.reopen(wider as never);
    await expect(m.vectorSearch('hal', 'sourdough starter')).rejects.toMatchObject({
      code: 'FF_SPACE_MISMATCH',
    });
    const progress: number[] = [];
    const report = await m.rebuildVectorIndex(undefined, { onProgress: (p) => progress.push(p.done) });
    expect(report).toMatchObject({
      users: 1,
      messages: 1,
      space: { provider: 'hashed-ngram', dimension: 256 },
    });
    expect(report.chunks).toBe(before - 1);
    expect(progress).toEqual([1]);
    expect((await m.vectorSearch('hal', 'sourdough starter')).length).toBeGreaterThan(0);
    expect(
      (await m.searchSimilarMessages('hal', 'penguins huddle polar wind')).map((r) => r.content),
    ).toEqual(['Penguins huddle against the polar wind']);
    expect((await m.getVectorStats('hal', sid)).totalVectors).toBe(before);
    expect((await m.verify()).ok).toBe(true);
    expect(fs.existsSync(path.join(store.basePath, 'users/hal/features/vectors/rebuild.json'))).toBe(false);
    await expect(m.rebuildVectorIndex('../x')).rejects.toBeInstanceOf(FFValidationError);
    expect((await m.rebuildVectorIndex('nobody')).users).toBe(0);

    // Documents stored and deleted while a rebuild runs: the new one keeps its chunks, the deleted one
    // does not come back.
    const bread = (await m.listDocuments('hal', sid))[0]!.documentId;
    const rebuilding = m.rebuildVectorIndex('hal');
    const cheese = m.processDocument(
      { filename: 'cheese.md', content: 'Camembert ripens under a white rind in Normandy cellars.' },
      'hal',
      sid,
    );
    const deleted = m.deleteDocument('hal', sid, bread);
    const [, processed] = await Promise.all([rebuilding, cheese, deleted]);
    expect(processed.success).toBe(true);
    expect((await m.vectorSearch('hal', 'camembert white rind')).map((r) => r.metadata.documentId)).toContain(
      processed.documentId,
    );
    const sourdough = await m.vectorSearch('hal', 'sourdough starter');
    expect(sourdough.filter((r) => r.metadata.storedDocumentId === bread)).toEqual([]);
    expect((await m.getVectorStats('hal', sid)).totalVectors).toBe(processed.vectorCount + 1);
  });

  it('stores documents with vectors, replaces chunks on reprocessing, and keeps users apart', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const s1 = await m.createSession('carol');
    const s2 = await m.createSession('dan');
    expect(await m.storeDocumentWithVectors('carol', s1, 'guide', FAISS_TEXT)).toBe(true);
    expect(await m.storeDocumentWithVectors('dan', s2, 'guide', BREAD_TEXT)).toBe(true);
    expect((await m.getVectorStats('carol', s1)).totalVectors).toBe(1);
    expect(
      await m.storeDocumentWithVectors('carol', s1, 'guide', `${BREAD_TEXT} ${FAISS_TEXT}`, {
        chunkingStrategy: 'sentence_short',
      }),
    ).toBe(true);
    const st = await m.getVectorStats('carol', s1);
    // 7 sentences, 2 per chunk.
    expect(st.totalVectors).toBe(4);
    expect(st.totalDocuments).toBe(1);
    const carol = await m.vectorSearch('carol', 'bread', { threshold: 0, topK: 100 });
    expect(carol.every((h) => h.userId === 'carol' && h.sessionId === s1)).toBe(true);
    const dan = await m.vectorSearch('dan', 'faiss vectors', { threshold: -1, topK: 100 });
    expect(dan.every((h) => h.sessionId === s2)).toBe(true);
    expect(dan).toHaveLength(1);
    expect(await m.deleteSession('dan', s2)).toBe(true);
    expect(await m.vectorSearch('dan', 'bread', { threshold: 0 })).toEqual([]);
  });

  it('embeds messages off the request path and fuses both legs in hybrid search', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('erin');
    await m.addMessage('erin', sid, {
      role: 'user',
      content: 'My cat sleeps on the warm windowsill all afternoon.',
      metadata: { enableEmbeddings: true },
    });
    await m.addMessage('erin', sid, {
      role: 'assistant',
      content: 'Stock markets fell after the interest rate decision.',
      metadata: { enableEmbeddings: true },
    });
    await m.addMessage('erin', sid, { role: 'user', content: 'This one is not embedded: cats and kittens.' });
    // The default embedder is lexical: the query shares words with the message it should find.
    const similar = await m.searchSimilarMessages('erin', 'cat sleeping on a windowsill', {
      similarityThreshold: 0,
    });
    expect(similar[0]).toMatchObject({ type: 'message', content: expect.stringContaining('windowsill') });
    expect(similar.map((r) => r.content).join(' ')).not.toContain('not embedded');
    await m.storeDocumentWithVectors(
      'erin',
      sid,
      'pets.txt',
      'Cats like sleeping in sunny spots. Kittens play with yarn.',
    );

    const onlyText = await m.hybridSearch('erin', 'cats', { vectorWeight: 0, topK: 10 });
    const onlyVector = await m.hybridSearch('erin', 'cats', { vectorWeight: 1, topK: 10 });
    const both = await m.hybridSearch('erin', 'cats', { topK: 10 });
    const rrf = await m.hybridSearch('erin', 'cats', { fusion: 'rrf', topK: 10 });
    const rrfText = await m.hybridSearch('erin', 'cats', { fusion: 'rrf', vectorWeight: 0, topK: 10 });
    const rrfVector = await m.hybridSearch('erin', 'cats', { fusion: 'rrf', vectorWeight: 1, topK: 10 });
    // rrf weighs its legs too: w = 0 keeps the text leg's order, w = 1 the vector leg's.
    const ids = (list: { id: string }[]) => list.map((r) => r.id);
    expect(ids(rrfText).slice(0, onlyText.filter((r) => r.explain?.text !== undefined).length)).toEqual(
      ids(onlyText.filter((r) => r.explain?.text !== undefined)),
    );
    expect(ids(rrfVector).slice(0, onlyVector.filter((r) => r.explain?.vector !== undefined).length)).toEqual(
      ids(onlyVector.filter((r) => r.explain?.vector !== undefined)),
    );
    expect(ids(rrfText)).not.toEqual(ids(rrfVector));
    for (const list of [onlyText, onlyVector, both, rrf, rrfText, rrfVector]) {
      expect(list.length).toBeGreaterThan(0);
      for (const r of list) {
        expect(r.explain).toBeDefined();
        expect(r.relevanceScore).toBe(r.explain?.fused);
        expect(r.relevanceScore).toBeGreaterThanOrEqual(0);
        expect(r.relevanceScore).toBeLessThanOrEqual(1);
      }
    }
    // w = 0: ranked by the text leg alone; w = 1: by the vector leg alone.
    const textScores = onlyText.map((r) => r.explain?.text ?? 0);
    expect([...textScores].sort((a, b) => b - a)).toEqual(textScores);
    const vecScores = onlyVector.map((r) => r.explain?.vector ?? 0);
    expect([...vecScores].sort((a, b) => b - a)).toEqual(vecScores);
    expect(both.some((r) => r.explain?.text !== undefined && r.explain?.vector !== undefined)).toBe(true);
    // The vector leg stops at vectorSearch's threshold: the stock-market message shares no word with
    // "cats" and is no hit of either leg, under any weight or fusion (it scored up to 0.98 under rrf).
    for (const list of [onlyText, onlyVector, both, rrf, rrfText, rrfVector])
      expect(list.map((r) => r.content).join(' ')).not.toContain('Stock markets');
    const loose = await m.hybridSearch('erin', 'cats', { vectorWeight: 1, topK: 10, threshold: -1 });
    expect(loose.map((r) => r.content).join(' ')).toContain('Stock markets');
    // A document both legs found is one result carrying both scores (its chunks fold into it), not a
    // `document` and a `vector_chunk` at half a score each.
    const pets = both.filter((r) => r.content.includes('Kittens play with yarn'));
    expect(pets).toHaveLength(1);
    expect(pets[0]).toMatchObject({
      type: 'document',
      explain: { text: expect.any(Number), vector: expect.any(Number) },
    });
    // advancedSearch delegates to hybrid search.
    const adv = await m.advancedSearch({
      query: 'cats',
      userId: 'erin',
      hybridSearch: true,
      vectorWeight: 1,
    });
    expect(adv.map((r) => r.id)).toEqual(onlyVector.map((r) => r.id));
  });

  it('exportData and importData carry document chunks: vector search finds them after the import', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    expect(
      await m.storeDocumentWithVectors('alice', sid, 'faiss', FAISS_TEXT, { metadata: { tag: 'f' } }),
    ).toBe(true);
    const processed = await m.processDocument({ filename: 'bread.md', content: BREAD_TEXT }, 'alice', sid, {
      chunkingStrategy: 'sentence_short',
    });
    expect(processed.success).toBe(true);
    const bundle = tempDir('ffdb-vec-bundle-');
    bundles.push(bundle);
    const exported = await m.exportData(bundle);
    const before = await m.vectorSearch('alice', 'inverted file index', { topK: 10 });
    const stats = await m.getVectorStats('alice', sid);
    expect(exported).toMatchObject({ vectorChunks: stats.totalVectors });

    const target = await fsBackend.create();
    try {
      const t = target.manager;
      let last = { done: 0, total: -1 };
      const imported = await t.importData(bundle, {
        onProgress: (p: { done: number; total: number }) => {
          last = p;
        },
      });
      expect(imported).toMatchObject({ vectorChunks: stats.totalVectors, issues: [] });
      // Progress counts chunks as the manifest's total does, so it ends at its total.
      expect(last.done).toBe(last.total);
      const after = await t.vectorSearch('alice', 'inverted file index', { topK: 10 });
      expect(after.map((r) => [r.id, r.content, r.relevanceScore, r.timestamp])).toEqual(
        before.map((r) => [r.id, r.content, r.relevanceScore, r.timestamp]),
      );
      expect(await t.getVectorStats('alice', sid)).toMatchObject({
        totalVectors: stats.totalVectors,
        totalDocuments: stats.totalDocuments,
      });
      // Importing again skips the session and its chunks: nothing is stored twice.
      expect(await t.importData(bundle)).toMatchObject({ vectorChunks: 0 });
      expect((await t.getVectorStats('alice', sid)).totalVectors).toBe(stats.totalVectors);
    } finally {
      await target.cleanup();
    }
  });

  it('an import that stopped inside a session is finished by the next import, nothing stored twice', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    for (const content of ['first note', 'second note', 'third note'])
      await m.addMessage('alice', sid, { role: 'user', content });
    const docId = await m.saveDocument('alice', sid, 'bread.txt', BREAD_TEXT);
    expect(await m.storeDocumentWithVectors('alice', sid, 'bread', BREAD_TEXT)).toBe(true);
    const bundle = tempDir('ffdb-vec-resume-');
    bundles.push(bundle);
    await m.exportData(bundle);
    // The import stops at the first document (its bytes are missing): the messages before it are stored.
    const docFile = path.join(bundle, 'documents', 'alice', sid, docId);
    const bytes = fs.readFileSync(docFile);
    fs.rmSync(docFile);
    const target = await fsBackend.create();
    try {
      const t = target.manager;
      await expect(t.importData(bundle, { strict: true })).rejects.toMatchObject({ code: 'FF_VALIDATION' });
      expect(await t.countMessages('alice', sid)).toBe(3);
      const report = await t.verify();
      expect(report.issues).toEqual([expect.objectContaining({ code: 'IMPORT_INCOMPLETE' })]);
      fs.writeFileSync(docFile, bytes);
      const again = await t.importData(bundle);
      expect(again).toMatchObject({ sessions: 0, sessionsResumed: 1, issues: [] });
      expect((await t.getAllMessages('alice', sid)).map((x) => x.content)).toEqual([
        'first note',
        'second note',
        'third note',
      ]);
      expect((await t.listDocuments('alice', sid)).length).toBe((await m.listDocuments('alice', sid)).length);
      expect(await t.getVectorStats('alice', sid)).toMatchObject({
        totalVectors: (await m.getVectorStats('alice', sid)).totalVectors,
      });
      expect((await t.verify()).ok).toBe(true);
      // Finished: a third import skips the session like any other.
      expect(await t.importData(bundle)).toMatchObject({ sessions: 0, sessionsResumed: 0, messages: 0 });
    } finally {
      await target.cleanup();
    }
  });

  it("importData embeds chunks in the user's own space when the store already holds another one", async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    expect(await m.storeDocumentWithVectors('alice', sid, 'bread', BREAD_TEXT)).toBe(true);
    const bundle = tempDir('ffdb-vec-space-');
    bundles.push(bundle);
    await m.exportData(bundle);
    // The target process embeds with its own provider (letter counts, 8 dimensions), and alice already
    // has vectors there: the bundle's hashed-ngram chunks cannot join that index as they are.
    const letters: Embedder = {
      id: 'letters',
      capabilities: { local: true, batch: true },
      space: { provider: 'letters', model: 'letters-1', dimension: 8 },
      async embed(texts: string[]) {
        return texts.map((t) => {
          const v = new Float32Array(8);
          for (let i = 0; i < t.length; i++) v[t.charCodeAt(i) % 8] = (v[t.charCodeAt(i) % 8] as number) + 1;
          return v;
        });
      },
    };
    const target = await fsBackend.create({}, { overrides: { [TOKENS.Embedder]: letters } });
    try {
      const t = target.manager;
      const own = await t.createSession('alice', 'mine');
      expect(await t.storeDocumentWithVectors('alice', own, 'notes', 'Some notes of my own.')).toBe(true);
      const report = await t.importData(bundle);
      expect(report).toMatchObject({ issues: [] });
      expect(report.vectorChunks).toBeGreaterThan(0);
      expect(await t.getVectorStats('alice', sid)).toMatchObject({
        totalVectors: report.vectorChunks,
        providersUsed: ['letters'],
      });
    } finally {
      await target.cleanup();
    }
  });

  it('importData leaves out the chunk entries that are not chunks of the session, and stores the rest', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'docs');
    const processed = await m.processDocument({ filename: 'bread.md', content: BREAD_TEXT }, 'alice', sid, {
      chunkingStrategy: 'sentence_short',
    });
    expect(processed.chunkCount).toBe(2);
    const bundle = tempDir('ffdb-vec-hostile-');
    bundles.push(bundle);
    await m.exportData(bundle);
    const file = path.join(bundle, 'records.jsonl');
    const records = fs
      .readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const chunkRecord = records.find((r) => r.type === 'vector_chunks');
    const [good] = chunkRecord.data;
    chunkRecord.data.push(
      { ...good, id: `other_session/${good.id.split('/')[1]}` },
      { ...good, id: `${sid}/../../escape_chunk_0` },
      { ...good, id: `${sid}/ghost_chunk_0`, metadata: { ...good.metadata, storedDocumentId: 'ghost.md' } },
      { ...good, id: `${sid}/msg_chunk_0`, metadata: { ...good.metadata, kind: 'message' } },
    );
    // First, before the user has an index here: a provider this process does not have is replaced by
    // the default one (and later chunks by the user's index's provider).
    chunkRecord.data.unshift({
      ...good,
      id: `${sid}/${good.metadata.documentId}_chunk_99`,
      metadata: { ...good.metadata, provider: 'no-such-provider' },
    });
    // An id naming another document than its metadata says: it would replace that document's chunk.
    chunkRecord.data.push({ ...good, id: `${sid}/other.md_chunk_0` });
    fs.writeFileSync(file, `${records.map((r) => JSON.stringify(r)).join('\n')}\n`);

    const target = await fsBackend.create();
    try {
      const report = await target.manager.importData(bundle);
      expect(report).toMatchObject({ vectorChunks: 3 });
      const messages = (report.issues as { message: string }[]).map((i) => i.message).join('\n');
      expect(messages).toContain('belongs to another session');
      expect(messages).toContain('has an invalid id');
      expect(messages).toContain('belongs to no document of the session');
      expect(messages).toContain('is not a document chunk');
      expect(messages).not.toContain('no-such-provider');
      expect(messages).toContain('has an id that does not name its documentId');
      expect(await target.manager.getVectorStats('alice', sid)).toMatchObject({
        totalVectors: 3,
        providersUsed: ['hashed-ngram'],
      });
      const found = await target.manager.vectorSearch('alice', 'bread oven', { topK: 10 });
      expect(found.every((r) => !r.id.includes('..') && !r.id.startsWith('ghost'))).toBe(true);
    } finally {
      await target.cleanup();
    }
  });

  it('turning vector.embedMessages on embeds the messages stored while it was off (and off-on again)', async () => {
    store = await fsBackend.create({ vector: { embedMessages: false } });
    const first = store.manager;
    const sid = await first.createSession('carl', 'S');
    await first.addMessage('carl', sid, { role: 'user', content: 'Penguins huddle against the polar wind' });
    // A vector query records the positions the feature considered, under the setting of the time.
    expect(await first.searchSimilarMessages('carl', 'penguins huddle')).toEqual([]);
    await first.close();

    const on = await store.reopen({ vector: { embedMessages: true } });
    const found = await on.searchSimilarMessages('carl', 'penguins huddle against wind');
    expect(found.map((r) => r.content)).toEqual(['Penguins huddle against the polar wind']);
    expect((await on.verify()).issues.filter((i) => i.code.startsWith('vectors'))).toEqual([]);
    await on.close();

    const off = await store.reopen({ vector: { embedMessages: false } });
    await off.addMessage('carl', sid, { role: 'user', content: 'Walruses rest on floating ice' });
    await off.searchSimilarMessages('carl', 'walruses');
    await off.close();
    const again = await store.reopen({ vector: { embedMessages: true } });
    const both = await again.searchSimilarMessages('carl', 'walruses rest on floating ice');
    expect(both.map((r) => r.content)).toContain('Walruses rest on floating ice');
    expect((await again.verify()).ok).toBe(true);
  });

  it('advancedSearch in vector and hybrid modes applies every filter of the query, and searches every user without userId', async () => {
    store = await fsBackend.create({ vector: { embedMessages: true } });
    const m = store.manager;
    const s1 = await m.createSession('alice', 'S1');
    const s2 = await m.createSession('bob', 'S2');
    await m.addMessage('alice', s1, {
      role: 'user',
      content: 'Giraffes have long necks',
      timestamp: '2024-01-01T00:00:00Z',
      metadata: { tag: 'a' },
    });
    await m.addMessage('alice', s1, {
      role: 'assistant',
      content: 'Giraffes eat acacia leaves',
      timestamp: '2024-06-01T00:00:00Z',
    });
    await m.addMessage('bob', s2, { role: 'user', content: 'Giraffes sleep standing up' });
    await m.storeDocumentWithVectors('alice', s1, 'giraffes.txt', 'Giraffes are the tallest land animals.', {
      metadata: { tag: 'doc' },
    });
    const hybrid = (extra: Record<string, unknown>) =>
      m.advancedSearch({ query: 'giraffes', userId: 'alice', hybridSearch: true, ...extra });
    const messages = (rs: { type: string }[]) => rs.filter((r) => r.type === 'message');

    const assistant = await hybrid({ messageRoles: ['assistant'] });
    expect(messages(assistant).map((r) => r.content)).toEqual(['Giraffes eat acacia leaves']);
    const early = await hybrid({ endDate: '2024-03-01T00:00:00Z' });
    expect(early.map((r) => r.content)).toEqual(['Giraffes have long necks']);
    const tagged = await hybrid({ metadata: { tag: 'a' } });
    expect(tagged.map((r) => r.content)).toEqual(['Giraffes have long necks']);
    const noMessages = await hybrid({ includeMessages: false });
    expect(noMessages.length).toBeGreaterThan(0);
    expect(messages(noMessages)).toEqual([]);
    expect(messages(await hybrid({ includeDocuments: false })).length).toBe(2);
    expect((await hybrid({ includeDocuments: false })).every((r) => r.type === 'message')).toBe(true);
    const docTagged = await m.advancedSearch({
      query: 'giraffes',
      userId: 'alice',
      useVectorSearch: true,
      similarityThreshold: 0,
      metadata: { tag: 'doc' },
    });
    expect(docTagged.length).toBeGreaterThan(0);
    expect(
      await m.advancedSearch({
        query: 'giraffes',
        userId: 'alice',
        useVectorSearch: true,
        similarityThreshold: 0,
        metadata: { tag: 'other' },
      }),
    ).toEqual([]);
    for (const r of assistant) expect(r.explain?.fused).toBe(r.relevanceScore);

    // Without userId: every user's hybrid results, each with explain and a fused score in [0, 1].
    const everyone = await m.advancedSearch({ query: 'giraffes', hybridSearch: true });
    expect(new Set(everyone.map((r) => r.userId))).toEqual(new Set(['alice', 'bob']));
    for (const r of everyone) {
      expect(r.explain?.fused).toBe(r.relevanceScore);
      expect(r.relevanceScore).toBeLessThanOrEqual(1);
    }
    const scores = everyone.map((r) => r.relevanceScore);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });
});
