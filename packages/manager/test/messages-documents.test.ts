import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type FFError, FFNotFoundError, FFValidationError, MessageRole } from '../src/index.js';
import { BACKENDS, type TestStore, tempDir } from './helpers.js';

async function validationError(p: Promise<unknown>): Promise<FFValidationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(FFValidationError.isInstance(err)).toBe(true);
  expect((err as FFError).code).toBe('FF_VALIDATION');
  return err as FFValidationError;
}

describe.each(BACKENDS)('messages ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('createMessage fills ids and timestamps and validates', () => {
    return (async () => {
      store = await backend.create();
      const m = store.manager.createMessage({ role: MessageRole.USER, content: 'hi' });
      expect(m.messageId).toMatch(/^msg_[0-9a-f]{12}$/);
      expect(m.timestamp).toMatch(/Z$/);
      expect(() => store.manager.createMessage({ role: 'user', content: '  ' })).toThrow(/content/);
      expect(() => store.manager.createMessage({ role: '', content: 'x' })).toThrow(/role/);
    })();
  });

  it('adds, reads in order with seq, pages, reverses, counts; false for a missing session', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('u1');
    for (let i = 0; i < 25; i++) {
      expect(
        await m.addMessage('u1', sid, {
          role: i % 2 ? 'assistant' : 'user',
          content: `message ${i}`,
          metadata: { i },
        }),
      ).toBe(true);
    }
    const first = await m.getMessages('u1', sid);
    expect(first).toHaveLength(20); // search.defaultPageSize
    expect(first[0]).toMatchObject({
      content: 'message 0',
      seq: 0,
      role: 'user',
      attachments: [],
      metadata: { i: 0 },
    });
    expect((await m.getMessages('u1', sid, { limit: 5, offset: 20 })).map((x) => x.seq)).toEqual([
      20, 21, 22, 23, 24,
    ]);
    expect((await m.getMessages('u1', sid, { limit: 3, reverse: true })).map((x) => x.seq)).toEqual([
      24, 23, 22,
    ]);
    expect(
      (await m.getMessages('u1', sid, { limit: 3, offset: 2, reverse: true })).map((x) => x.seq),
    ).toEqual([22, 21, 20]);
    expect(await m.getAllMessages('u1', sid)).toHaveLength(25);
    expect((await m.getRecentMessages('u1', sid, 3)).map((x) => x.seq)).toEqual([22, 23, 24]);
    expect(await m.countMessages('u1', sid)).toBe(25);
    expect((await m.getSession('u1', sid))?.messageCount).toBe(25);
    const one = first[3]!;
    expect(await m.getMessage('u1', sid, one.messageId)).toEqual(one);
    expect(await m.getMessage('u1', sid, 'msg_000000000000')).toBeNull();
    const missing = 'chat_session_20200101_000000_000000';
    expect(await m.addMessage('u1', missing, { role: 'user', content: 'x' })).toBe(false);
    expect(await m.countMessages('u1', missing)).toBe(0);
    expect(await m.getAllMessages('u1', missing)).toEqual([]);
    await validationError(m.getMessages('u1', sid, { limit: 'ten' } as never));
  });

  it('getAllMessages has no cap (1000 messages)', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('u2');
    const stored = await m.addMessages(
      'u2',
      sid,
      Array.from({ length: 1000 }, (_, i) => ({ role: 'user', content: `n${i}` })),
    );
    expect(stored).toHaveLength(1000);
    expect(stored[999]?.seq).toBe(999);
    const all = await m.getAllMessages('u2', sid);
    expect(all).toHaveLength(1000);
    expect(all.map((x) => x.content)).toEqual(stored.map((x) => x.content));
    expect(
      await m.addMessages('u2', 'chat_session_20200101_000000_000000', [{ role: 'user', content: 'x' }]),
    ).toEqual([]);
  });

  it('keeps caller message ids, timestamps, attachments and parentId', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('u3');
    const msg = m.createMessage({
      role: 'assistant',
      content: 'c',
      attachments: ['a.png'],
      parentId: 'msg_aaaaaaaaaaaa',
      timestamp: '2024-01-02T03:04:05.000Z',
    });
    expect(await m.addMessage('u3', sid, msg)).toBe(true);
    const [back] = await m.getAllMessages('u3', sid);
    expect(back).toEqual({ ...msg, seq: 0 });
  });

  it('size limit is UTF-8 JSON bytes; bad input throws and writes nothing', async () => {
    store = await backend.create({ storage: { maxMessageSizeBytes: 400 } } as never);
    const m = store.manager;
    const sid = await m.createSession('u4');
    // 'é' is 2 bytes in UTF-8: 150 chars = 300 bytes of content plus the JSON envelope > 400.
    const e = await validationError(m.addMessage('u4', sid, { role: 'user', content: 'é'.repeat(150) }));
    expect(e.issues[0]?.limit).toBe(400);
    expect(e.message).not.toContain('é');
    await validationError(m.addMessage('u4', sid, { role: 'user', content: '' }));
    await validationError(m.addMessage('u4', sid, { role: '', content: 'x' }));
    await validationError(m.addMessage('u4', sid, { role: 'user', content: 5 } as never));
    await validationError(m.addMessage('u4', sid, null as never));
    await validationError(
      m.addMessages('u4', sid, [
        { role: 'user', content: 'ok' },
        { role: 'user', content: '' },
      ]),
    );
    await validationError(m.addMessage('u4', sid, { role: 'user', content: 'x', messageId: '../evil' }));
    expect(await m.countMessages('u4', sid)).toBe(0);
    expect(await m.addMessage('u4', sid, { role: 'user', content: 'é'.repeat(100) })).toBe(true);
  });

  it('100 concurrent addMessage calls: all stored, count exact, updatedAt bumped', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('u5');
    const before = (await m.getSession('u5', sid))!.updatedAt;
    await new Promise((r) => setTimeout(r, 5));
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => m.addMessage('u5', sid, { role: 'user', content: `c${i}` })),
    );
    expect(results.every(Boolean)).toBe(true);
    const all = await m.getAllMessages('u5', sid);
    expect(all).toHaveLength(100);
    expect(new Set(all.map((x) => x.content)).size).toBe(100);
    expect(all.map((x) => x.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const s = await m.getSession('u5', sid);
    expect(s?.messageCount).toBe(100);
    expect(s!.updatedAt > before).toBe(true);
  });
});

describe.each(BACKENDS)('documents ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('saves, returns exact bytes, info, list, analysis, delete', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('d1');
    const bytes = new Uint8Array([0, 1, 2, 255, 254, 10, 13]);
    const id = await m.saveDocument('d1', sid, 'Photo.PNG', bytes, { source: 'camera' });
    expect(id).toMatch(/^[0-9a-f]{8}_Photo\.PNG$/);
    expect(await m.getDocument('d1', sid, id)).toEqual(bytes);
    const info = await m.getDocumentInfo('d1', sid, id);
    expect(info).toMatchObject({
      documentId: id,
      filename: id,
      originalName: 'Photo.PNG',
      mimeType: 'image/png',
      size: 7,
      uploadedBy: 'd1',
      analysis: {},
      metadata: { source: 'camera' },
    });
    expect(info?.path).toBe(`users/d1/sessions/${sid}/documents/${id}`);
    const md = await m.storeDocument('d1', sid, {
      filename: 'notes.md',
      content: '# Title',
      uploadedBy: 'bot',
      originalName: 'My Notes.md',
    });
    expect((await m.getDocumentInfo('d1', sid, md))?.mimeType).toBe('text/markdown');
    expect((await m.listDocuments('d1', sid)).map((d) => d.documentId)).toEqual([id, md]);
    expect(await m.updateDocumentAnalysis('d1', sid, md, { summary: 'short', words: 2 })).toBe(true);
    const analysed = await m.getDocumentInfo('d1', sid, md);
    expect(analysed?.analysis.analysis).toEqual({ summary: 'short', words: 2 });
    expect(typeof analysed?.analysis.analyzedAt).toBe('string');
    // Read-your-writes: the very next search finds the document by a word of its new analysis (it took
    // the background catch-up, ~250 ms, before).
    expect(await m.searchDocuments('d1', 'chameleon')).toEqual([]); // the index is warm and caught up
    expect(await m.updateDocumentAnalysis('d1', sid, md, { summary: 'a chameleon changes colour' })).toBe(
      true,
    );
    expect((await m.searchDocuments('d1', 'chameleon')).map((d) => d.documentId)).toEqual([md]);
    expect(await m.updateDocumentAnalysis('d1', sid, '00000000_x.txt', {})).toBe(false);
    expect(await m.deleteDocument('d1', sid, id)).toBe(true);
    expect(await m.deleteDocument('d1', sid, id)).toBe(false);
    expect(await m.getDocument('d1', sid, id)).toBeNull();
    expect(await m.getDocumentInfo('d1', sid, id)).toBeNull();
    expect((await m.listDocuments('d1', sid)).map((d) => d.documentId)).toEqual([md]);
    // MIME by extension; unknown allowed ones are octet-stream.
    const docx = await m.saveDocument('d1', sid, 'report.docx', 'x');
    expect((await m.getDocumentInfo('d1', sid, docx))?.mimeType).toBe('application/octet-stream');
  });

  it('limits: inclusive size, case-insensitive allow-list, nothing written on rejection', async () => {
    store = await backend.create({
      storage: { maxDocumentSizeBytes: 10 },
      document: { maxFileSizeBytes: 10 },
    } as never);
    const m = store.manager;
    const sid = await m.createSession('d2');
    expect(await m.saveDocument('d2', sid, 'ten.TXT', new Uint8Array(10))).toMatch(/_ten\.TXT$/);
    const e = await validationError(m.saveDocument('d2', sid, 'eleven.txt', new Uint8Array(11)));
    expect(e.issues[0]?.limit).toBe(10);
    // A leading-dot name (.txt) is a hidden file without an extension, as pathlib's suffix says.
    for (const name of ['run.exe', 'a.bat', 'x.py', 'noext', 'x.tar.gz', '.txt', 'notes.']) {
      await validationError(m.saveDocument('d2', sid, name, 'x'));
    }
    await validationError(m.saveDocument('d2', sid, 'a.txt', 5 as never));
    expect(await m.listDocuments('d2', sid)).toHaveLength(1);
  });

  it('sanitises filenames, rejects hostile ids, isolates users, 404s for missing session', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('d3');
    const id = await m.saveDocument('d3', sid, '../../etc/pass wd.txt', 'x');
    expect(id).toMatch(/^[0-9a-f]{8}_etc_pass_wd\.txt$|^[0-9a-f]{8}_[A-Za-z0-9_.-]+\.txt$/);
    expect(id.includes('/')).toBe(false);
    const long = await m.saveDocument('d3', sid, `${'a'.repeat(400)}.txt`, 'x');
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long.endsWith('.txt')).toBe(true);
    await validationError(m.getDocument('d3', sid, '../../profile.json'));
    await validationError(m.getDocument('d3', sid, 'a/b'));
    // Another user cannot reach it through their own ids.
    const other = await m.createSession('intruder');
    expect(await m.getDocument('intruder', other, id)).toBeNull();
    expect(await m.getDocument('intruder', sid, id)).toBeNull();
    const err = await m
      .saveDocument('d3', 'chat_session_20200101_000000_000000', 'a.txt', 'x')
      .catch((e: unknown) => e);
    expect(FFNotFoundError.isInstance(err)).toBe(true);
  });

  it('streams a large document from a path without holding it twice', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('d4');
    const dir = tempDir('ffdb-doc-');
    const file = path.join(dir, 'big.txt');
    const chunk = Buffer.alloc(1024 * 1024, 'abcdefghij');
    fs.writeFileSync(file, Buffer.concat([chunk, chunk, chunk, Buffer.from('tail')]));
    const id = await m.storeDocument('d4', sid, { filename: 'big.txt', path: file });
    const info = await m.getDocumentInfo('d4', sid, id);
    expect(info?.size).toBe(3 * 1024 * 1024 + 4);
    const back = await m.getDocument('d4', sid, id);
    expect(Buffer.from(back!).equals(fs.readFileSync(file))).toBe(true);
    await validationError(
      m.storeDocument('d4', sid, { filename: 'x.txt', path: path.join(dir, 'missing.txt') }),
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe.each(BACKENDS)('situational context ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('current context, snapshots with unique ids, history newest first with limit', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('c1');
    expect(await m.getContext('c1', sid)).toBeNull();
    expect(
      await m.updateContext('c1', sid, {
        summary: 'First',
        keyPoints: ['a'],
        entities: { topics: ['x'] },
        confidence: 0.5,
      }),
    ).toBe(true);
    expect(await m.getContext('c1', sid)).toMatchObject({
      summary: 'First',
      keyPoints: ['a'],
      confidence: 0.5,
      messageRange: null,
    });
    expect(await m.updateContext('c1', 'chat_session_20200101_000000_000000', { summary: 'x' })).toBe(false);
    await validationError(m.updateContext('c1', sid, { summary: '' }));
    await validationError(m.updateContext('c1', sid, { summary: 'x', confidence: 2 }));
    await validationError(
      m.updateContext('c1', sid, { summary: 'x', keyPoints: Array.from({ length: 11 }, () => 'k') }),
    );
    for (let i = 0; i < 5; i++)
      expect(await m.saveContextSnapshot('c1', sid, { summary: `snap ${i}` })).toBe(true);
    const history = await m.getContextHistory('c1', sid);
    expect(history.map((h) => h.summary)).toEqual(['snap 4', 'snap 3', 'snap 2', 'snap 1', 'snap 0']);
    expect(new Set(history.map((h) => h.snapshotId)).size).toBe(5);
    expect(history[0]?.snapshotId).toMatch(/^context_\d{8}_\d{6}_\d{6}$/);
    expect((await m.getContextHistory('c1', sid, 2)).map((h) => h.summary)).toEqual(['snap 4', 'snap 3']);
    expect(await m.saveContextSnapshot('c1', 'chat_session_20200101_000000_000000', { summary: 'x' })).toBe(
      false,
    );
    expect(await m.getContextHistory('c1', 'chat_session_20200101_000000_000000')).toEqual([]);
  });

  it('extractSituationalContext is extractive, deterministic and offline', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('c2');
    expect(await m.extractSituationalContext('c2', sid)).toBeNull();
    const lines = [
      'We are migrating the billing service from Python to TypeScript this quarter.',
      'The billing service handles invoices and refunds for every customer.',
      'Please review https://github.com/acme/billing before Friday and email ops@acme.io.',
      'The TypeScript migration of the billing service needs a new invoice schema.',
      'Lunch was nice today.',
      'Refunds must keep working during the billing migration.',
    ];
    for (const [i, content] of lines.entries())
      await m.addMessage('c2', sid, { role: i % 2 ? 'assistant' : 'user', content });
    const a = await m.extractSituationalContext('c2', sid);
    const b = await m.extractSituationalContext('c2', sid);
    expect({ ...a, timestamp: '' }).toEqual({ ...b, timestamp: '' });
    expect(a?.summary.toLowerCase()).toContain('billing');
    expect(a?.keyPoints.length).toBeGreaterThan(0);
    expect(a?.entities.urls).toEqual(['https://github.com/acme/billing']);
    expect(a?.entities.emails).toEqual(['ops@acme.io']);
    expect(a?.entities.languages).toEqual(['python']);
    // The same extractor as extractEntities: the context's entities are what it says of the same text.
    expect(a?.entities).toEqual(await m.extractEntities(lines.join('\n')));
    const all = await m.getAllMessages('c2', sid);
    expect(a?.messageRange).toEqual({ start: all[0]?.messageId, end: all.at(-1)?.messageId });
    const saved = await m.extractSituationalContext('c2', sid, { save: true });
    expect((await m.getContext('c2', sid))?.summary).toBe(saved?.summary);
    expect(await m.getContextHistory('c2', sid)).toHaveLength(1);
  });
});
