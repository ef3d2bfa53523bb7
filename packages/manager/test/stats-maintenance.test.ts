import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FFNotFoundError, FFValidationError } from '../src/index.js';
import { BACKENDS, fsBackend, removeDir, type TestStore, tempDir, testConfig } from './helpers.js';

async function populate(store: TestStore) {
  const m = store.manager;
  await m.createUser('alice', { username: 'Alice', email: 'a@x.io' });
  const s1 = await m.createSession('alice', 'Billing', { metadata: { project: 'b' } });
  const s2 = await m.createSession('alice', 'Other', { sessionType: 'debate' });
  await m.addMessages('alice', s1, [
    { role: 'user', content: 'How do refunds work in the billing service?' },
    { role: 'assistant', content: 'Refunds in the billing service are processed nightly.' },
    { role: 'user', content: 'And invoices? Billing invoices too?' },
  ]);
  await m.addMessage('alice', s2, { role: 'system', content: 'You are a debate moderator.' });
  const d1 = await m.saveDocument('alice', s1, 'spec.md', '# Billing spec\nRefunds.');
  const d2 = await m.saveDocument('alice', s1, 'logo.png', new Uint8Array([1, 2, 3, 4]));
  await m.updateDocumentAnalysis('alice', s1, d1, { summary: 'spec' });
  await m.updateContext('alice', s1, {
    summary: 'Billing questions',
    keyPoints: ['refunds'],
    entities: { topics: ['billing'] },
  });
  await m.saveContextSnapshot('alice', s1, { summary: 'older' });
  await m.createUser('bob');
  return { s1, s2, d1, d2 };
}

describe.each(BACKENDS)('statistics and analytics ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('session, user, storage and document stats', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1 } = await populate(store);
    const ss = await m.getSessionStats('alice', s1);
    expect(ss).toMatchObject({
      sessionId: s1,
      userId: 'alice',
      storagePath: `users/alice/sessions/${s1}`,
      messageCount: 3,
      documentCount: 2,
      vectorCount: 0,
      hasContext: true,
      contextSnapshots: 1,
    });
    const contentBytes = [
      'How do refunds work in the billing service?',
      'Refunds in the billing service are processed nightly.',
      'And invoices? Billing invoices too?',
    ].reduce((s, c) => s + Buffer.byteLength(c), 0);
    expect(ss.totalSizeBytes).toBe(contentBytes + Buffer.byteLength('# Billing spec\nRefunds.') + 4);
    expect(ss.averageMessageSize).toBe(Math.round((contentBytes / 3) * 100) / 100);
    expect(await m.storage.exists(ss.storagePath)).toBe(true);
    await expect(m.getSessionStats('alice', 'chat_session_20200101_000000_000000')).rejects.toSatisfy(
      (e: unknown) => FFNotFoundError.isInstance(e),
    );
    const us = (await m.getUserStats('alice'))!;
    expect(us).toMatchObject({
      userId: 'alice',
      sessionCount: 2,
      messageCount: 4,
      documentCount: 2,
      messagesByRole: { user: 2, assistant: 1, system: 1 },
    });
    expect(us.firstActivity).not.toBeNull();
    expect(us.lastActivity! >= us.firstActivity!).toBe(true);
    expect(await m.getUserStats('bob')).toMatchObject({
      sessionCount: 0,
      messageCount: 0,
      firstActivity: null,
    });
    // API.md: reading something missing -> null (only getSessionStats throws).
    expect(await m.getUserStats('nobody')).toBeNull();
    expect(await m.getDocumentStats('nobody')).toBeNull();
    expect(await m.getDocumentUsagePatterns('nobody')).toBeNull();
    expect(await m.getUserAnalytics('nobody', { days: 3 })).toBeNull();
    expect(await m.getUserStats('bob')).not.toBeNull();
    const st = await m.getStorageStats();
    expect(st).toMatchObject({ userCount: 2, sessionCount: 2, messageCount: 4, documentCount: 2 });
    expect(st.totalSizeBytes).toBeGreaterThan(0);
    expect(st.compressionRatio).toBeGreaterThan(0);
    const ds = (await m.getDocumentStats('alice'))!;
    expect(ds).toMatchObject({
      totalDocuments: 2,
      documentTypes: { 'text/markdown': 1, 'image/png': 1 },
      analyzedCount: 1,
    });
    expect(ds.totalSizeMb).toBe(0);
    expect(['text/markdown', 'image/png']).toContain(ds.mostCommonType);
    expect(await m.getDocumentStats('bob')).toMatchObject({ totalDocuments: 0, mostCommonType: null });
    const up = (await m.getDocumentUsagePatterns('alice'))!;
    expect(up).toMatchObject({
      totalDocuments: 2,
      sessionsWithDocuments: 1,
      byExtension: { '.md': 1, '.png': 1 },
    });
    expect((up.uploadsByHour as number[]).reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('analyzeConversation and getUserAnalytics', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1 } = await populate(store);
    const a = (await m.analyzeConversation('alice', s1))!;
    expect(a).toMatchObject({ messageCount: 3, messagesByRole: { user: 2, assistant: 1 } });
    expect(a.topTerms[0]).toEqual({ term: 'billing', count: 3 });
    expect(a.activityByHour).toHaveLength(24);
    expect(a.activityByHour.reduce((x, y) => x + y, 0)).toBe(3);
    expect(a.averageMessageLength).toBeGreaterThan(10);
    expect(a.firstMessageAt! <= a.lastMessageAt!).toBe(true);
    // First and last by time, not by position: a back-dated message stored last is the first one.
    await m.addMessage('alice', s1, {
      role: 'user',
      content: 'billing, back-dated',
      timestamp: '2020-01-01T00:00:00Z',
    });
    const dated = (await m.analyzeConversation('alice', s1))!;
    expect(dated.firstMessageAt).toBe('2020-01-01T00:00:00.000Z');
    expect(dated.lastMessageAt).toBe(a.lastMessageAt);
    expect(dated.durationSeconds).toBeGreaterThan(0);
    expect(await m.analyzeConversation('alice', 'chat_session_20200101_000000_000000')).toBeNull();
    const ua = (await m.getUserAnalytics('alice', { days: 7 }))!;
    expect(ua.days).toBe(7);
    expect(ua.messagesPerDay).toHaveLength(7);
    expect(ua.messagesPerDay.at(-1)?.count).toBe(4);
    expect(ua.sessionsCreated).toBe(2);
    expect(ua.messagesByRole).toEqual({ user: 2, assistant: 1, system: 1 });
    await expect(m.getUserAnalytics('alice', { days: 'x' } as never)).rejects.toSatisfy((e: unknown) =>
      FFValidationError.isInstance(e),
    );
  });

  it('healthCheck reports disk usage against the configured thresholds', async () => {
    store = await backend.create();
    const h = await store.manager.healthCheck();
    expect(h.healthy).toBe(true);
    expect(h.backendType).toBeTypeOf('string');
    // The reference's fields, camelCased.
    expect(h).toMatchObject({
      canRead: true,
      canWrite: true,
      config: { maxDocumentSize: store.manager.config.storage.maxDocumentSizeBytes },
    });
    if (backend.name === 'fs') {
      expect(h).toMatchObject({
        basePathExists: true,
        config: { basePath: store.manager.config.storage.basePath },
      });
      expect(h.diskUsage).toMatchObject({
        totalBytes: expect.any(Number),
        usedPercentage: expect.any(Number),
      });
      const strict = await store.reopen({
        runtime: { diskUsageWarningThreshold: 0, diskUsageCriticalThreshold: 0.001 },
      } as never);
      const bad = await strict.healthCheck();
      expect(bad.healthy).toBe(false);
      expect((bad.errors as string[]).join(' ')).toContain('critical threshold 0.001%');
    }
  });
});

describe.each(BACKENDS)('maintenance ($name)', (backend) => {
  let store: TestStore;
  const dirs: string[] = [];
  afterEach(async () => {
    await store?.cleanup();
    for (const d of dirs.splice(0)) removeDir(d);
  });

  it('verify is clean on a healthy store, finds and repairs orphans', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1, d1 } = await populate(store);
    expect(await m.verify()).toMatchObject({ ok: true, issues: [] });
    // A document whose bytes vanished, a stray file, and a session tree without an index entry.
    await m.storage.delete(`users/alice/sessions/${s1}/documents/${d1}`);
    await m.storage.write(`users/alice/sessions/${s1}/documents/deadbeef_stray.txt`, new Uint8Array([1]));
    await m.storage.write(
      'users/alice/sessions/chat_session_20200101_000000_000000/context/current.json',
      new Uint8Array([123, 125]),
    );
    // The stray document file is young: it may be a save in progress, so it is not an orphan yet.
    expect((await m.verify()).issues.map((i) => i.code).sort()).toEqual([
      'DOCUMENT_BYTES_MISSING',
      'SESSION_ORPHAN',
    ]);
    const report = await m.verify({ orphanGraceMs: 0 });
    expect(report.ok).toBe(false);
    expect(report.issues.map((i) => i.code).sort()).toEqual([
      'DOCUMENT_BYTES_MISSING',
      'DOCUMENT_ORPHAN',
      'SESSION_ORPHAN',
    ]);
    const repaired = await m.verify({ repair: true, orphanGraceMs: 0 });
    expect(repaired.issues.every((i) => i.repaired)).toBe(true);
    expect((await m.verify()).ok).toBe(true);
    expect(await m.getDocumentInfo('alice', s1, d1)).toBeNull();
  });

  it('a session another manager deleted refuses the writes of this one; a log left by a racing write is an orphan', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1 } = await populate(store);
    expect(await m.countMessages('alice', s1)).toBe(3); // m knows the session
    const other = await store.reopen();
    expect(await other.deleteSession('alice', s1)).toBe(true);
    expect(await m.addMessage('alice', s1, { role: 'user', content: 'too late' })).toBe(false);
    expect(await m.addMessages('alice', s1, [{ role: 'user', content: 'too late' }])).toEqual([]);
    expect(await m.updateContext('alice', s1, { summary: 'too late' })).toBe(false);
    // A write that passed its check just before the delete lands in a tree nobody lists: verify finds
    // it even when it holds only a message log, and repair removes it.
    await m.storage.append(`users/alice/sessions/${s1}/messages`, [{ content: 'raced' }]);
    const report = await m.verify();
    expect(report.issues.map((i) => [i.code, i.key])).toEqual([
      ['SESSION_ORPHAN', `users/alice/sessions/${s1}`],
    ]);
    await m.verify({ repair: true });
    expect((await m.verify()).ok).toBe(true);
    expect(await m.countMessages('alice', s1)).toBe(0);
    // Left by a crash between hiding a session and removing its tree: deleting it again finishes that.
    await m.storage.append(`users/alice/sessions/${s1}/messages`, [{ content: 'left over' }]);
    expect(await m.deleteSession('alice', s1)).toBe(false);
    expect(await m.countMessages('alice', s1)).toBe(0);
    expect((await m.verify()).ok).toBe(true);
  });

  it('writes racing a deleteSession in the same process answer as for a missing session, never a storage error', async () => {
    store = await backend.create();
    const m = store.manager;
    for (let round = 0; round < 20; round++) {
      const sid = await m.createSession('alice');
      const [, context, snapshot, document] = await Promise.allSettled([
        m.deleteSession('alice', sid),
        m.updateContext('alice', sid, { summary: 'racing' }),
        m.saveContextSnapshot('alice', sid, { summary: 'racing' }),
        m.saveDocument('alice', sid, 'a.txt', 'racing'),
      ]);
      // Each write either came first (it succeeded) or found the session gone: the guide's answers.
      expect(context.status === 'fulfilled' && [true, false].includes(context.value as boolean)).toBe(true);
      expect(snapshot.status === 'fulfilled' && [true, false].includes(snapshot.value as boolean)).toBe(true);
      expect(
        document.status === 'fulfilled' || (document.reason as { code?: string }).code === 'FF_NOT_FOUND',
      ).toBe(true);
    }
    // Nothing of the raced writes is left behind.
    expect(await m.listSessions('alice')).toEqual([]);
    expect((await m.verify()).ok).toBe(true);
  });

  it('compact keeps every message; cleanupOldData removes old sessions everywhere', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1, s2 } = await populate(store);
    const report = await m.compact();
    expect(report).toHaveProperty('logsCompacted');
    expect(await m.countMessages('alice', s1)).toBe(3);
    expect(await m.cleanupOldData({ olderThanDays: 1 })).toMatchObject({ sessionsDeleted: 0 });
    const future = await store.reopen();
    const dry = await future.cleanupOldData({ olderThanDays: 0, dryRun: true });
    expect(dry).toMatchObject({ sessionsDeleted: 2, dryRun: true });
    expect(await future.listSessions('alice')).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 5));
    const done = await future.cleanupOldData({ olderThanDays: 0 });
    expect(done).toMatchObject({ sessionsDeleted: 2, usersAffected: ['alice'] });
    expect(await future.listSessions('alice')).toEqual([]);
    expect(await future.getSession('alice', s2)).toBeNull();
    expect((await future.getStorageStats()).messageCount).toBe(0);
    await expect(future.cleanupOldData(undefined as never)).rejects.toSatisfy((e: unknown) =>
      FFValidationError.isInstance(e),
    );
  });

  it('exportData then importData into an empty store reproduces everything with the same ids', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1, s2, d1, d2 } = await populate(store);
    const reply = await m.beginMessageStream('alice', s2, { role: 'assistant' });
    await reply.write('streamed answer');
    await reply.complete();
    const bundle = tempDir('ffdb-bundle-');
    dirs.push(bundle);
    const ex = await m.exportData(bundle);
    expect(ex).toMatchObject({
      users: 2,
      sessions: 2,
      messages: 5,
      documents: 2,
      contexts: 1,
      contextSnapshots: 1,
    });
    const manifest = JSON.parse(fs.readFileSync(path.join(bundle, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ format: 'ffdb-bundle', version: 1 });
    // A second export into the same (now non-empty) directory is refused, and changes nothing there.
    const before = fs.readFileSync(path.join(bundle, 'records.jsonl'), 'utf8');
    await expect(m.exportData(bundle)).rejects.toSatisfy((e: unknown) => FFValidationError.isInstance(e));
    // A path with a NUL, or one under a file, is the same typed error (not Node's TypeError or ENOTDIR).
    // Under /proc too: Node's recursive mkdir there never settles (the export hung, spinning a thread).
    for (const bad of [
      `${bundle}-x\0y`,
      path.join(bundle, 'manifest.json', 'sub'),
      '/proc/ffdb-export-test',
    ]) {
      await expect(m.exportData(bad)).rejects.toSatisfy(
        (e: unknown) =>
          FFValidationError.isInstance(e) && (e as FFValidationError).issues[0]?.path === 'dest',
      );
    }
    expect(fs.readFileSync(path.join(bundle, 'records.jsonl'), 'utf8')).toBe(before);
    expect(fs.readFileSync(path.join(bundle, 'records.jsonl'), 'utf8').trim().split('\n')).toHaveLength(
      2 + 2 + 5 + 2 + 1 + 1,
    );

    const target = await backend.create();
    try {
      const t = target.manager;
      // A bundle without its records (a manifest alone) is one typed error, and imports nothing.
      const incomplete = tempDir('ffdb-bundle-part-');
      dirs.push(incomplete);
      fs.copyFileSync(path.join(bundle, 'manifest.json'), path.join(incomplete, 'manifest.json'));
      await expect(t.importData(incomplete)).rejects.toSatisfy(
        (e: unknown) => FFValidationError.isInstance(e) && /records\.jsonl/.test((e as Error).message),
      );
      expect(await t.listUsers()).toEqual([]);
      const im = await t.importData(bundle);
      expect(im).toMatchObject({
        users: 2,
        sessions: 2,
        messages: 5,
        documents: 2,
        contexts: 1,
        contextSnapshots: 1,
        skipped: 0,
      });
      expect(await t.listUsers()).toEqual(['alice', 'bob']);
      expect(await t.getUserProfile('alice')).toEqual(await m.getUserProfile('alice'));
      expect(await t.listSessions('alice')).toEqual(await m.listSessions('alice'));
      expect(await t.getAllMessages('alice', s1)).toEqual(await m.getAllMessages('alice', s1));
      expect((await t.getAllMessages('alice', s2)).at(-1)).toMatchObject({
        content: 'streamed answer',
        metadata: { streamStatus: 'complete' },
      });
      expect(await t.getDocument('alice', s1, d2)).toEqual(new Uint8Array([1, 2, 3, 4]));
      expect(await t.getDocumentInfo('alice', s1, d1)).toEqual(await m.getDocumentInfo('alice', s1, d1));
      expect(await t.getContext('alice', s1)).toEqual(await m.getContext('alice', s1));
      expect(await t.getContextHistory('alice', s1)).toEqual(await m.getContextHistory('alice', s1));
      // Importing again adds nothing twice.
      const again = await t.importData(bundle);
      expect(again).toMatchObject({ sessions: 0, messages: 0 });
      expect(await t.countMessages('alice', s1)).toBe(3);
      await expect(t.importData(path.join(bundle, 'nope'))).rejects.toSatisfy((e: unknown) =>
        FFValidationError.isInstance(e),
      );
    } finally {
      await target.cleanup();
    }
  });

  it('a bundle brings back streamed replies: empty ones, and one still streaming as interrupted', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'replies');
    await m.addMessage('alice', sid, { role: 'user', content: 'hi' });
    // Stopped before its first token, completed with no text, and still being written at export time.
    const stopped = await m.beginMessageStream('alice', sid, { role: 'assistant' });
    await stopped.abort('stopped by user');
    const silent = await m.beginMessageStream('alice', sid, { role: 'assistant' });
    await silent.complete();
    const open = await m.beginMessageStream('alice', sid, { role: 'assistant' });
    await open.write('still going');
    await m.addMessage('alice', sid, { role: 'user', content: 'after' });
    const bundle = tempDir('ffdb-bundle-');
    dirs.push(bundle);
    await m.exportData(bundle);
    await open.complete();
    const target = await backend.create();
    try {
      const t = target.manager;
      const im = await t.importData(bundle);
      expect(im).toMatchObject({ messages: 5, skipped: 0, issues: [] });
      const shape = (x: {
        messageId: string;
        content: string;
        seq: number;
        metadata: Record<string, unknown>;
      }) => [x.messageId, x.seq, x.content, x.metadata.streamStatus];
      expect((await t.getAllMessages('alice', sid)).map(shape)).toEqual([
        [expect.any(String), 0, 'hi', undefined],
        [stopped.messageId, 1, '', 'interrupted'],
        [silent.messageId, 2, '', 'complete'],
        // Its writer lives in the other store: here it can never finish, so it reads as interrupted.
        [open.messageId, 3, 'still going', 'interrupted'],
        [expect.any(String), 4, 'after', undefined],
      ]);
      expect((await t.getMessage('alice', sid, open.messageId))?.metadata.streamReason).toBe(
        'imported while streaming',
      );
      expect((await t.verify()).ok).toBe(true);
      // A plain message still needs content, in a bundle as anywhere.
      const records = path.join(bundle, 'records.jsonl');
      const lines = fs.readFileSync(records, 'utf8').trim().split('\n');
      const i = lines.findIndex((l) => l.includes('"after"'));
      lines[i] = (lines[i] as string).replace('"after"', '"   "');
      fs.writeFileSync(records, `${lines.join('\n')}\n`);
      const other = await backend.create();
      try {
        const bad = await other.manager.importData(bundle);
        expect(bad.messages).toBe(4);
        expect(JSON.stringify(bad.issues)).toContain('content cannot be empty');
      } finally {
        await other.cleanup();
      }
    } finally {
      await target.cleanup();
    }
  });

  it('two imports of one bundle at once store every message once', async () => {
    store = await backend.create();
    const m = store.manager;
    const sid = await m.createSession('alice', 'many');
    await m.addMessages(
      'alice',
      sid,
      Array.from({ length: 1500 }, (_, i) => ({ role: 'user', content: `message number ${i}` })),
    );
    const bundle = tempDir('ffdb-bundle-');
    dirs.push(bundle);
    await m.exportData(bundle);
    const target = await backend.create();
    try {
      const t = target.manager;
      const [a, b] = await Promise.all([t.importData(bundle), t.importData(bundle)]);
      // One import wrote the session; the other found it being written and skipped it.
      expect((a.sessions as number) + (b.sessions as number)).toBe(1);
      expect((a.sessionsResumed as number) + (b.sessionsResumed as number)).toBe(0);
      expect(await t.countMessages('alice', sid)).toBe(1500);
      expect((await t.verify()).ok).toBe(true);
    } finally {
      await target.cleanup();
    }
  });

  it('importData says why it skips a session this store deleted (ids are never reused)', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1 } = await populate(store);
    const bundle = tempDir('ffdb-bundle-');
    dirs.push(bundle);
    await m.exportData(bundle);
    expect(await m.deleteSession('alice', s1)).toBe(true);
    const report = await m.importData(bundle);
    expect(report).toMatchObject({ sessions: 0 });
    const issues = report.issues as { line: number; message: string }[];
    expect(issues).toHaveLength(1);
    expect(issues[0]?.message).toContain(`session ${s1} of user alice was deleted in this store`);
    expect(await m.getSession('alice', s1)).toBeNull();
    // Sessions that exist are still skipped quietly.
    expect((await m.importData(bundle)).issues).toHaveLength(1);
  });
});

describe('verify reports damaged data as FF_CORRUPTION (fs)', () => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('a flipped byte in a message segment: reads skip the record, verify reports FF_CORRUPTION', async () => {
    store = await fsBackend.create();
    const m = store.manager;
    const sid = await m.createSession('alice');
    for (let i = 0; i < 5; i++)
      await m.addMessage('alice', sid, { role: 'user', content: `message number ${i}` });
    await m.close();
    const logDir = path.join(store.basePath, 'users', 'alice', 'sessions', sid, 'messages.fflog');
    const segment = fs
      .readdirSync(logDir)
      .map((n) => path.join(logDir, n))
      .find((f) => fs.statSync(f).size > 0);
    expect(segment).toBeDefined();
    const bytes = fs.readFileSync(segment as string);
    const at = bytes.indexOf('message number 2');
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at] === 0x6d ? 0x4d : 0x6d; // 'm' <-> 'M'
    fs.writeFileSync(segment as string, bytes);
    const r = await store.reopen();
    expect((await r.getAllMessages('alice', sid)).map((x) => x.content)).not.toContain('message number 2');
    const report = await r.verify();
    expect(report.ok).toBe(false);
    expect(report.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'FF_CORRUPTION', kind: 'corrupt_record' })]),
    );
  });
});

describe.each(BACKENDS)('restart persistence ($name)', (backend) => {
  let store: TestStore;
  afterEach(async () => store?.cleanup());

  it('close, reopen: everything is there', async () => {
    store = await backend.create();
    const m = store.manager;
    const { s1, s2, d1 } = await populate(store);
    await m.updateSession('alice', s2, { title: 'Renamed', metadata: { x: 1 } });
    const before = {
      users: await m.listUsers(),
      profile: await m.getUserProfile('alice'),
      sessions: await m.listSessions('alice'),
      messages: await m.getAllMessages('alice', s1),
      doc: await m.getDocument('alice', s1, d1),
      docs: await m.listDocuments('alice', s1),
      ctx: await m.getContext('alice', s1),
      history: await m.getContextHistory('alice', s1),
    };
    await m.close();
    const r = await store.reopen();
    expect({
      users: await r.listUsers(),
      profile: await r.getUserProfile('alice'),
      sessions: await r.listSessions('alice'),
      messages: await r.getAllMessages('alice', s1),
      doc: await r.getDocument('alice', s1, d1),
      docs: await r.listDocuments('alice', s1),
      ctx: await r.getContext('alice', s1),
      history: await r.getContextHistory('alice', s1),
    }).toEqual(before);
    expect((await r.getSession('alice', s2))?.title).toBe('Renamed');
    expect(await r.addMessage('alice', s1, { role: 'user', content: 'after restart' })).toBe(true);
    expect((await r.getSession('alice', s1))?.messageCount).toBe(4);
  });
});

describe('an append racing a delete of its session', () => {
  it('is refused and leaves nothing behind (the delete came first)', async () => {
    const { MemoryStorageBackend } = await import('@ffdb/conformance');
    const { FFStorageManager, TOKENS } = await import('../src/index.js');
    const backend = new MemoryStorageBackend();
    // The writer's storage runs `beforeAppend` (once) right before a message append reaches the store.
    let beforeAppend: (() => Promise<unknown>) | null = null;
    const racing = new Proxy(backend, {
      get(target, prop) {
        if (prop === 'append') {
          return async (log: string, records: never[]) => {
            const hook = log.endsWith('/messages') ? beforeAppend : null;
            if (hook) {
              beforeAppend = null;
              await hook();
            }
            return target.append(log, records);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const base = tempDir();
    const options = { features: { search: false, vectors: false, personas: false } } as const;
    const writer = new FFStorageManager(testConfig(base), {
      ...options,
      overrides: { [TOKENS.StorageBackend]: racing },
    });
    const deleter = new FFStorageManager(testConfig(base), {
      ...options,
      overrides: { [TOKENS.StorageBackend]: backend },
    });
    try {
      const sid = await writer.createSession('rae', 'race');
      expect(await writer.addMessage('rae', sid, { role: 'user', content: 'before' })).toBe(true);
      beforeAppend = () => deleter.deleteSession('rae', sid);
      expect(await writer.addMessage('rae', sid, { role: 'user', content: 'during' })).toBe(false);
      expect(await writer.countMessages('rae', sid)).toBe(0);
      expect(await backend.exists(`users/rae/sessions/${sid}`)).toBe(false);
      expect((await writer.verify()).issues).toEqual([]);
    } finally {
      await writer.close();
      await deleter.close();
      removeDir(base);
    }
  });
});
