/**
 * API.md §3 and §6 checked point by point against the manager (fs backend, real optional packages):
 * names, argument order, false/null semantics, FFValidationError on hostile ids and wrong types.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FFNotFoundError, FFStorageManager, FFValidationError } from '../src/index.js';
import { collect, fsBackend, type TestStore, tempDir, removeDir, testConfig } from './helpers.js';

const HOSTILE = ['../x', 'a/b', 'a\u0000b', '', ' x', 42 as unknown as string];

describe('API.md §3 / §6 contract', () => {
  let store: TestStore;
  let m: FFStorageManager;
  let sid: string;
  let docId: string;
  beforeAll(async () => {
    store = await fsBackend.create({}, { features: { vectors: false } });
    m = store.manager;
    sid = await m.createSession('alice', 'T');
    await m.addMessage('alice', sid, { role: 'user', content: 'hello there' });
    docId = await m.saveDocument('alice', sid, 'a.txt', 'bytes');
  });
  afterAll(async () => store?.cleanup());

  it('open(config) and open({ config, overrides }) construct + initialize; a bad base path throws', async () => {
    const dir = tempDir();
    try {
      const a = await FFStorageManager.open(testConfig(dir));
      expect(await a.initialize()).toBe(true);
      await a.close();
      const b = await FFStorageManager.open({ config: testConfig(dir) });
      expect(await b.listUsers()).toEqual([]);
      await b.close();
      // A base path under a regular file cannot be created.
      fs.writeFileSync(path.join(dir, 'file'), 'x');
      await expect(FFStorageManager.open(testConfig(path.join(dir, 'file', 'x')))).rejects.toMatchObject({
        name: 'FFStorageError',
      });
      const unusable = new FFStorageManager(testConfig(path.join(dir, 'file', 'y')));
      expect(await unusable.initialize()).toBe(false);
      await unusable.close();
    } finally {
      removeDir(dir);
    }
  });

  it('users: false on duplicate create / missing update / missing delete; extra keys kept; sorted list', async () => {
    expect(await m.createUser('bob', { username: 'b', name: 'Bob', preferences: { a: 1 } })).toBe(true);
    expect(await m.createUser('bob')).toBe(false);
    expect(await m.getUserProfile('bob')).toMatchObject({ userId: 'bob', username: 'b', name: 'Bob' });
    expect(await m.getUserProfile('nobody')).toBeNull();
    expect(await m.updateUserProfile('nobody', { username: 'x' })).toBe(false);
    expect(await m.updateUserProfile('bob', { preferences: { b: 2 } })).toBe(true);
    expect((await m.getUserProfile('bob'))?.preferences).toEqual({ a: 1, b: 2 });
    expect(await m.listUsers()).toEqual(['alice', 'bob']);
    expect(await m.listUsers({ limit: 1, offset: 1 })).toEqual(['bob']);
    expect(await m.deleteUser('nobody')).toBe(false);
    expect(await m.deleteUser('alice')).toBe(false); // has sessions, no force
    expect(await m.userExists('alice')).toBe(true);
  });

  it('sessions and messages: null/[]/false for well-formed missing ids', async () => {
    const missing = 'chat_session_20200101_000000_000000';
    expect(await m.getSession('alice', missing)).toBeNull();
    expect(await m.getSession('nobody', missing)).toBeNull();
    expect(await m.updateSession('alice', missing, { title: 'x' })).toBe(false);
    expect(await m.deleteSession('alice', missing)).toBe(false);
    expect(await m.listSessions('nobody')).toEqual([]);
    expect(await m.addMessage('alice', missing, { role: 'user', content: 'x' })).toBe(false);
    expect(await m.addMessages('alice', missing, [{ role: 'user', content: 'x' }])).toEqual([]);
    expect(await m.getMessages('alice', missing)).toEqual([]);
    expect(await m.getAllMessages('alice', missing)).toEqual([]);
    expect(await m.getMessage('alice', sid, 'msg_000000000000')).toBeNull();
    expect(await m.countMessages('alice', missing)).toBe(0);
    expect(await m.getDocument('alice', sid, '00000000_none.txt')).toBeNull();
    expect(await m.getDocumentInfo('alice', sid, '00000000_none.txt')).toBeNull();
    expect(await m.deleteDocument('alice', sid, '00000000_none.txt')).toBe(false);
    expect(await m.updateDocumentAnalysis('alice', sid, '00000000_none.txt', { a: 1 })).toBe(false);
    expect(await m.listDocuments('alice', missing)).toEqual([]);
    expect(await m.getContext('alice', missing)).toBeNull();
    expect(await m.updateContext('alice', missing, { summary: 's' })).toBe(false);
    expect(await m.getContextHistory('alice', missing)).toEqual([]);
    await expect(m.getSessionStats('alice', missing)).rejects.toBeInstanceOf(FFNotFoundError);
    expect(await m.deletePersona('nobody_persona')).toBe(false);
    expect(await m.savePersona('p1', { name: 'P' })).toBe(true);
    expect(await m.getPersona('nobody_persona')).toBeNull();
    expect(await m.getPanel('panel_20200101_000000_000000')).toBeNull();
    expect(await m.addPanelMessage('panel_20200101_000000_000000', { role: 'analyst', content: 'x' })).toBe(
      false,
    );
    expect(await m.getPanelMessages('panel_20200101_000000_000000')).toEqual([]);
    expect(await m.getPanelStats('panel_20200101_000000_000000')).toBeNull();
  });

  it('messages: seq, reverse, addMessage bumps updatedAt, exact messageCount', async () => {
    const before = (await m.getSession('alice', sid))!.updatedAt;
    await new Promise((r) => setTimeout(r, 5));
    await m.addMessages('alice', sid, [
      { role: 'assistant', content: 'second' },
      { role: 'user', content: 'third' },
    ]);
    const s = await m.getSession('alice', sid);
    expect(s?.messageCount).toBe(3);
    expect(s!.updatedAt > before).toBe(true);
    const all = await m.getMessages('alice', sid);
    expect(all.map((x) => x.seq)).toEqual([0, 1, 2]);
    expect((await m.getMessages('alice', sid, { reverse: true, limit: 1 }))[0]?.content).toBe('third');
    expect((await m.getRecentMessages('alice', sid, 2)).map((x) => x.content)).toEqual(['second', 'third']);
    expect(m.createMessage({ role: 'user', content: 'x' }).messageId).toMatch(/^msg_[0-9a-f]{12}$/);
  });

  it('§6.16 stats shapes; getMessages defaults to search.defaultPageSize; searchMessages is capped', async () => {
    expect(await m.getUserStats('alice')).toMatchObject({
      userId: 'alice',
      sessionCount: 1,
      messageCount: expect.any(Number),
      documentCount: 1,
      totalSizeBytes: expect.any(Number),
      messagesByRole: expect.any(Object),
      firstActivity: expect.any(String),
      lastActivity: expect.any(String),
    });
    expect(await m.getStorageStats()).toMatchObject({
      userCount: expect.any(Number),
      sessionCount: expect.any(Number),
      messageCount: expect.any(Number),
      documentCount: 1,
      totalSizeBytes: expect.any(Number),
      compressionRatio: expect.any(Number),
    });
    expect(await m.getDocumentStats('alice')).toMatchObject({
      totalDocuments: 1,
      totalSizeBytes: 5,
      totalSizeMb: expect.any(Number),
      documentTypes: expect.any(Object),
      mostCommonType: expect.anything(),
    });
    expect(Object.keys((await m.analyzeConversation('alice', sid))!)).toEqual(
      expect.arrayContaining([
        'messageCount',
        'messagesByRole',
        'averageMessageLength',
        'firstMessageAt',
        'lastMessageAt',
        'topTerms',
        'activityByHour',
      ]),
    );
    const analytics = (await m.getUserAnalytics('alice', { days: 7 }))!;
    expect(analytics).toMatchObject({
      days: 7,
      sessionsCreated: expect.any(Number),
      messagesByRole: expect.any(Object),
    });
    expect(analytics.messagesPerDay[0]).toMatchObject({
      date: expect.any(String),
      count: expect.any(Number),
    });
    expect(await m.verify()).toMatchObject({ ok: true, issues: [] });
    expect(await m.healthCheck()).toMatchObject({ healthy: expect.any(Boolean) });

    const small = await store.reopen({ search: { defaultPageSize: 2 }, runtime: { defaultSearchLimit: 3 } });
    const s2 = await small.createSession('dave', 'paging');
    await small.addMessages(
      'dave',
      s2,
      Array.from({ length: 5 }, (_, i) => ({ role: 'user', content: `needle number ${i}` })),
    );
    expect((await small.getMessages('dave', s2)).map((x) => x.seq)).toEqual([0, 1]);
    expect((await small.getAllMessages('dave', s2)).length).toBe(5);
    expect((await small.searchMessages('dave', 'needle')).length).toBe(3);
    expect((await small.searchMessages('dave', 'needle', { limit: 50 })).length).toBe(3);
  });

  it('timestamps given with an offset are stored as UTC with Z (messages, contexts)', async () => {
    const s2 = await m.createSession('alice', 'times');
    await m.addMessage('alice', s2, { role: 'user', content: 'x', timestamp: '2025-01-01T10:00:00+02:00' });
    const [stored] = await m.getMessages('alice', s2);
    expect(stored?.timestamp).toBe('2025-01-01T08:00:00.000Z');
    await m.updateContext('alice', s2, { summary: 's', timestamp: '2025-03-01T00:30:00-01:00' });
    expect((await m.getContext('alice', s2))?.timestamp).toBe('2025-03-01T01:30:00.000Z');
  });

  it('values JSON cannot store are refused where they are; issue paths name the argument as written', async () => {
    const s5 = await m.createSession('alice', 'json');
    const paths = async (call: () => Promise<unknown>) => {
      const error = await call().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(FFValidationError);
      return (error as FFValidationError).issues.map((i) => i.path);
    };
    const fn = () => 1;
    expect(
      await paths(() => m.addMessage('alice', s5, { role: 'user', content: 'x', metadata: { f: fn } })),
    ).toEqual(['metadata.f']);
    expect(
      await paths(() =>
        m.addMessages('alice', s5, [
          { role: 'user', content: 'fine' },
          { role: 'user', content: 'x', metadata: { deep: [1, { n: 10n }] } },
        ]),
      ),
    ).toEqual(['messages.1.metadata.deep.1.n']);
    expect(
      await paths(() =>
        m.addMessages('alice', s5, [
          { role: 'user', content: 'ok' },
          { role: 'user', content: '' },
        ]),
      ),
    ).toEqual(['messages.1.content']);
    expect(await paths(() => m.createUser('zed', { metadata: { m: new Map() } }))).toEqual([
      'profile.metadata.m',
    ]);
    expect(await paths(() => m.createPanel('multi_persona', ['analyst', 'creative'], { x: 1n }))).toEqual([
      'config.x',
    ]);
    // Paths name the argument as the caller wrote it.
    expect(await paths(() => m.saveDocument('alice', s5, 'a.exe', 'x'))).toEqual(['filename']);
    expect(await paths(() => m.saveDocument('alice', s5, 'a.txt', 'x', { n: 1n } as never))).toEqual([
      'metadata.n',
    ]);
    expect(await paths(() => m.updateSessionMetadata('alice', s5, { n: 1n }))).toEqual(['metadata.n']);
    // A search text over the limit is named as the argument, with the limit.
    const long = 'moon '.repeat(2_001);
    for (const call of [() => m.searchMessages('alice', long), () => m.searchDocuments('alice', long)]) {
      const error = (await call().catch((e: unknown) => e)) as FFValidationError;
      expect(error.issues).toEqual([expect.objectContaining({ path: 'query', limit: 10_000 })]);
    }
    expect(await paths(() => m.advancedSearch({ query: long, userId: 'alice' }))).toEqual(['query.query']);
    expect(await paths(() => m.updateDocumentAnalysis('alice', sid, docId, { deep: { n: 1n } }))).toEqual([
      'analysis.deep.n',
    ]);
    // Nothing was written by any of them.
    expect(await m.countMessages('alice', s5)).toBe(0);
    expect((await m.getSession('alice', s5))?.metadata).toEqual({});
    expect((await m.listDocuments('alice', sid)).find((d) => d.documentId === docId)?.analysis).toEqual({});
    expect(await m.userExists('zed')).toBe(false);
    expect(await m.listPanels()).toEqual([]);
  });

  it('addMessages refuses a batch that repeats a message id, storing nothing', async () => {
    const s4 = await m.createSession('alice', 'dups');
    const batch = [
      { role: 'user', content: 'one', messageId: 'msg_aaaaaaaaaaaa' },
      { role: 'user', content: 'two', messageId: 'msg_bbbbbbbbbbbb' },
      { role: 'user', content: 'three', messageId: 'msg_aaaaaaaaaaaa' },
    ];
    const error = await m.addMessages('alice', s4, batch).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(FFValidationError);
    expect((error as FFValidationError).issues[0]?.path).toBe('messages.2.messageId');
    expect(await m.countMessages('alice', s4)).toBe(0);
  });

  it('newest first keeps log order for messages of one session stamped in the same millisecond', async () => {
    const s3 = await m.createSession('alice', 'ties');
    const timestamp = '2024-05-01T12:00:00.000Z';
    for (let i = 0; i < 8; i++)
      await m.addMessage('alice', s3, { role: 'user', content: `tie ${i}`, timestamp });
    const order = (results: { content: string }[]) => results.map((r) => r.content.split(' ')[1]).join('');
    expect(order(await m.advancedSearch({ query: '', userId: 'alice', sessionIds: [s3] }))).toBe('76543210');
    expect(order(await m.searchByTimeRange(timestamp, timestamp, { userId: 'alice' }))).toBe('76543210');
  });

  it('hostile ids and wrong types throw FFValidationError on reads and writes', async () => {
    const calls: [string, (bad: string) => Promise<unknown>][] = [
      ['getSession(u, bad)', (bad) => m.getSession('alice', bad)],
      ['getSession(bad, s)', (bad) => m.getSession(bad, sid)],
      ['getUserProfile', (bad) => m.getUserProfile(bad)],
      ['userExists', (bad) => m.userExists(bad)],
      ['listSessions', (bad) => m.listSessions(bad)],
      ['getMessages', (bad) => m.getMessages('alice', bad)],
      ['getAllMessages', (bad) => m.getAllMessages('alice', bad)],
      ['getMessage', (bad) => m.getMessage('alice', bad, 'msg_000000000000')],
      ['getMessage(u, s, bad)', (bad) => m.getMessage('alice', sid, bad)],
      ['getRecentMessages', (bad) => m.getRecentMessages('alice', bad, 1)],
      ['countMessages', (bad) => m.countMessages('alice', bad)],
      ['addMessage', (bad) => m.addMessage('alice', bad, { role: 'user', content: 'x' })],
      ['deleteSession', (bad) => m.deleteSession('alice', bad)],
      ['updateSession', (bad) => m.updateSession('alice', bad, { title: 'x' })],
      ['getDocument', (bad) => m.getDocument('alice', sid, bad)],
      ['getDocumentInfo', (bad) => m.getDocumentInfo('alice', sid, bad)],
      ['listDocuments', (bad) => m.listDocuments('alice', bad)],
      ['deleteDocument', (bad) => m.deleteDocument('alice', sid, bad)],
      ['getContext', (bad) => m.getContext('alice', bad)],
      ['getContextHistory', (bad) => m.getContextHistory('alice', bad)],
      ['updateContext', (bad) => m.updateContext('alice', bad, { summary: 's' })],
      ['getSessionStats', (bad) => m.getSessionStats('alice', bad)],
      ['getUserStats', (bad) => m.getUserStats(bad)],
      ['deleteUser', (bad) => m.deleteUser(bad)],
      ['searchMessages', (bad) => m.searchMessages(bad, 'x')],
      ['searchMessages sessionId', (bad) => m.searchMessages('alice', 'x', { sessionId: bad })],
      ['searchMessages sessionIds', (bad) => m.searchMessages('alice', 'x', { sessionIds: [sid, bad] })],
      ['searchDocuments sessionIds', (bad) => m.searchDocuments('alice', 'x', { sessionIds: [bad] })],
      [
        'advancedSearch sessionIds',
        (bad) => m.advancedSearch({ query: 'x', userId: 'alice', sessionIds: [bad] }),
      ],
      ['searchPanelMessages panelIds', (bad) => m.searchPanelMessages('alice', 'x', { panelIds: [bad] })],
      ['getPersona', (bad) => m.getPersona(bad)],
      ['deletePersona', (bad) => m.deletePersona(bad)],
      ['getPanel', (bad) => m.getPanel(bad)],
      ['getPanelMessages', (bad) => m.getPanelMessages(bad)],
      ['streamMessages', (bad) => collect(m.streamMessages('alice', bad))],
    ];
    for (const [name, call] of calls) {
      for (const bad of HOSTILE) {
        // (streamMessages validates when called: a synchronous throw counts too)
        const error = await Promise.resolve()
          .then(() => call(bad))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error, `${name}(${JSON.stringify(bad)})`).toBeInstanceOf(FFValidationError);
      }
    }
    const wrongTypes: [string, () => Promise<unknown>][] = [
      ['listSessions limit', () => m.listSessions('alice', { limit: 'ten' as never })],
      ['listUsers limit', () => m.listUsers({ limit: 'ten' as never })],
      ['getMessages limit', () => m.getMessages('alice', sid, { limit: 'ten' as never })],
      ['getMessages reverse', () => m.getMessages('alice', sid, { reverse: 'yes' as never })],
      ['getRecentMessages n', () => m.getRecentMessages('alice', sid, 'ten' as never)],
      ['getContextHistory limit', () => m.getContextHistory('alice', sid, 'ten' as never)],
      [
        'getPanelMessages limit',
        () => m.getPanelMessages('panel_20200101_000000_000000', { limit: 'ten' as never }),
      ],
      ['searchMessages limit', () => m.searchMessages('alice', 'x', { limit: 'ten' as never })],
      ['createSession type', () => m.createSession('alice', 'x', { sessionType: 5 as never })],
      ['addMessage empty', () => m.addMessage('alice', sid, { role: 'user', content: '' })],
      ['createPanel too few', () => m.createPanel('multi_persona', ['analyst'])],
      ['createPanel unknown type', () => m.createPanel('nope', ['analyst', 'creative'])],
      ['deleteUser force', () => m.deleteUser('alice', { force: 'yes' as never })],
    ];
    for (const [name, call] of wrongTypes) {
      const error = await Promise.resolve()
        .then(call)
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(error, name).toBeInstanceOf(FFValidationError);
    }
    expect(await m.getDocument('alice', sid, docId)).toEqual(new TextEncoder().encode('bytes'));
  });
});
