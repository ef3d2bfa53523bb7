/**
 * importFromPython on test/fixtures/python-store (the original's exact layout, written by
 * scripts/make-python-fixture.py): every imported field, ids kept, naive timestamps converted, what is
 * skipped reported, the search index built, a re-run adding nothing — and `ffdb import --from python`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FFStorageManager } from '@ffdb/manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE, errorLine, ffdb, parse, tempDir } from './helpers.js';

const tmp = tempDir('pyimport');
let m: FFStorageManager;
let report: any;

const A = 'chat_session_20250801_091243_704359';
const B = 'chat_session_20250722_175402';
const C = 'chat_session_20250601_120000_000001';
const P = 'panel_20250801_100000_123456';

beforeAll(async () => {
  m = await FFStorageManager.open({ storage: { basePath: path.join(tmp.dir, 'store') } });
  // Berlin is UTC+2 in summer: 09:12:43 local is 07:12:43Z.
  report = await m.importFromPython(FIXTURE, { timezone: 'Europe/Berlin' });
});
afterAll(async () => {
  await m?.close();
  tmp.cleanup();
});

describe('importFromPython', () => {
  it('reports what it imported and skipped', () => {
    expect(report.imported).toEqual({
      users: 3,
      sessions: 4,
      messages: 9,
      documents: 1,
      contexts: 1,
      contextSnapshots: 1,
      personas: 3,
      panels: 1,
      panelMessages: 2,
      panelInsights: 1,
    });
    expect(report.userIds).toEqual(['alice', 'bob', 'carol']);
    expect(report.timeZone).toBe('Europe/Berlin');
    const skipped = Object.fromEntries(
      report.skipped.map((s: { path: string; reason: string }) => [s.path, s.reason]),
    );
    expect(skipped).toEqual({
      'personas_global/broken.json': 'malformed JSON',
      'users/alice/chat_session_20250801_091243_704359/messages.jsonl:4': 'malformed JSON line',
      'users/alice/chat_session_20250801_091243_704359/messages.jsonl:6': 'empty content',
      'users/alice/chat_session_20250801_091243_704359/documents/metadata.json#deadbeef_missing.txt':
        'document bytes are missing',
      'users/bob/chat_session_20250722_175402.backup_20250723_101010':
        'not a session directory (backup or vector data)',
      'panel_sessions/panel_20250801_100000_123456/messages.jsonl:3': 'malformed JSON line',
      'users/default': 'no profile.json and no sessions (vector data is not imported)',
      'users/alice/panel_session_1a2b3c4d/technical_expert_messages.jsonl':
        'per-persona copy of messages.jsonl (the messages are imported once)',
    });
    expect(report.skippedCount).toBe(8);
    // A report never quotes file contents.
    expect(JSON.stringify(report)).not.toContain('cut off');
  });

  it('imports profiles with every field, extra keys kept', async () => {
    expect(await m.getUserProfile('alice')).toEqual({
      userId: 'alice',
      username: 'Alice Example',
      createdAt: '2025-08-01T07:10:00.000Z',
      updatedAt: '2025-08-01T07:11:00.250Z',
      preferences: { theme: 'dark', language: 'en' },
      metadata: { plan: 'pro' },
      email: 'alice@example.com',
    });
    expect(await m.getUserProfile('bob')).toMatchObject({
      userId: 'bob',
      username: 'bob',
      createdAt: '2025-07-22T15:50:00.000Z',
      preferences: {},
      metadata: {},
    });
    // carol (old layout, no profile.json) exists with an empty profile.
    expect(await m.getUserProfile('carol')).toMatchObject({ userId: 'carol', username: '' });
    expect(await m.listUsers()).toEqual(['alice', 'bob', 'carol']);
  });

  it('keeps session ids, titles, types, times and metadata (new and old keys)', async () => {
    expect(await m.getSession('alice', A)).toEqual({
      sessionId: A,
      userId: 'alice',
      title: 'Python questions',
      sessionType: 'chat',
      createdAt: '2025-08-01T07:12:43.704Z',
      updatedAt: '2025-08-01T07:20:01.500Z',
      messageCount: 3,
      metadata: { topic: 'python' },
    });
    expect(await m.getSession('bob', B)).toEqual({
      sessionId: B,
      userId: 'bob',
      title: 'Old chat',
      sessionType: 'chat',
      createdAt: '2025-07-22T15:54:02.123Z',
      updatedAt: '2025-07-22T15:56:00.000Z',
      messageCount: 2,
      metadata: {},
    });
    // No session.json: title defaults, times come from the messages.
    expect(await m.getSession('carol', C)).toMatchObject({
      sessionId: C,
      title: 'New Chat',
      sessionType: 'chat',
      createdAt: '2025-06-01T10:00:01.000Z',
      updatedAt: '2025-06-01T10:00:05.000Z',
      messageCount: 2,
    });
    expect((await m.listSessions('bob')).map((s) => s.sessionId)).toEqual([B]);
  });

  it('keeps message ids, roles, content, timestamps, attachments and metadata', async () => {
    expect(await m.getAllMessages('alice', A)).toEqual([
      {
        messageId: 'msg_6ac309fcc87f',
        role: 'user',
        content: 'How do I read a file in Python?',
        timestamp: '2025-08-01T07:12:43.705Z',
        attachments: [],
        metadata: {},
        seq: 0,
      },
      {
        messageId: 'msg_0b1c2d3e4f50',
        role: 'assistant',
        content: 'Use open() in a with block; it closes the file for you.',
        timestamp: '2025-08-01T07:13:10.000Z',
        attachments: ['801ce057_python_guide.md'],
        metadata: { model: 'gpt-4', tokens: 17 },
        seq: 1,
      },
      {
        messageId: 'msg_a1b2c3d4e5f6',
        role: 'user',
        content: 'Thanks, and for writing?',
        timestamp: '2025-08-01T07:20:01.500Z',
        attachments: [],
        metadata: {},
        seq: 2,
      },
    ]);
    // Old `id` keys become messageId.
    const bob = await m.getAllMessages('bob', B);
    expect(bob.map((x) => [x.messageId, x.role, x.content, x.timestamp])).toEqual([
      ['msg_111111111111', 'user', 'Hello from the old format', '2025-07-22T15:54:10.000Z'],
      ['msg_222222222222', 'assistant', 'Hi Bob, welcome back.', '2025-07-22T15:56:00.000Z'],
    ]);
    const carol = await m.getAllMessages('carol', C);
    expect(carol.map((x) => x.messageId)).toEqual(['msg_c0ffee000001', 'msg_c0ffee000002']);
  });

  it("imports the chat app's panel sessions (type from the id, per-persona copies skipped)", async () => {
    expect(await m.getSession('alice', 'panel_session_1a2b3c4d')).toMatchObject({
      sessionType: 'panel',
      title: 'Panel Session',
      createdAt: '2025-08-02T09:00:00.000Z',
      updatedAt: '2025-08-02T09:00:05.000Z',
      messageCount: 2,
    });
    const msgs = await m.getAllMessages('alice', 'panel_session_1a2b3c4d');
    expect(msgs.map((x) => [x.messageId, x.role, x.metadata])).toEqual([
      ['msg_ps0000000001', 'user', { conversation_entry: 1 }],
      [
        'msg_ps0000000002',
        'technical_expert',
        { persona: 'technical_expert', conversation_entry: 2, multimodal: false },
      ],
    ]);
  });

  it('keeps documents: id, record fields and exact bytes; a document without bytes is skipped', async () => {
    const docs = await m.listDocuments('alice', A);
    expect(docs).toHaveLength(1);
    const bytes = readFileSync(path.join(FIXTURE, 'users/alice', A, 'documents/801ce057_python_guide.md'));
    expect(docs[0]).toEqual({
      documentId: '801ce057_python_guide.md',
      filename: '801ce057_python_guide.md',
      originalName: 'python_guide.md',
      path: expect.stringContaining('801ce057_python_guide.md'),
      mimeType: 'text/markdown',
      size: bytes.byteLength,
      uploadedAt: '2025-08-01T07:14:00.000Z',
      uploadedBy: 'alice',
      // The original's { analysis: { results, timestamp } } in updateDocumentAnalysis' shape, UTC.
      analysis: { analysis: { summary: 'A short guide' }, analyzedAt: '2025-08-01T07:14:30.000Z' },
      metadata: { tags: ['python', 'guide'] },
    });
    expect(Buffer.from((await m.getDocument('alice', A, '801ce057_python_guide.md'))!)).toEqual(bytes);
  });

  it('keeps the situational context and its history with snapshot ids', async () => {
    expect(await m.getContext('alice', A)).toEqual({
      summary: 'Alice is learning file I/O in Python.',
      keyPoints: ['reading files', 'with blocks'],
      entities: { languages: ['python'] },
      timestamp: '2025-08-01T07:20:05.000Z',
      confidence: 0.8,
      messageRange: { start: 'msg_6ac309fcc87f', end: 'msg_a1b2c3d4e5f6' },
      metadata: { source: 'auto' },
    });
    expect(await m.getContextHistory('alice', A)).toEqual([
      {
        snapshotId: 'context_20250801_091500_000001',
        summary: 'Alice asked how to read a file.',
        keyPoints: ['reading files'],
        entities: {},
        timestamp: '2025-08-01T07:15:00.000Z',
        confidence: 0.5,
        messageRange: null,
        metadata: {},
      },
    ]);
  });

  it('imports plain and rich global personas and user personas', async () => {
    expect(await m.getPersona('technical_expert')).toMatchObject({
      personaId: 'technical_expert',
      name: 'Technical Expert',
      description: 'Deep technical answers',
      traits: ['precise', 'thorough'],
      expertise: ['software', 'databases'],
      communicationStyle: { formality: 'high' },
      isGlobal: true,
      ownerId: null,
      metadata: { version: 2 },
      createdAt: '2025-07-01T08:00:00.000Z',
      // The importer keeps the persona's own times: updated_at 2025-07-02T10:00:00 naive, Berlin (UTC+2
      // in summer) -> 08:00Z. The panel's snapshot of this persona (updated_at 07-01) must not win.
      updatedAt: '2025-07-02T08:00:00.000Z',
    });
    expect(await m.getPersona('creative_writer')).toMatchObject({
      personaId: 'creative_writer',
      name: 'Creative Writer',
      description: 'Writes vivid prose',
      category: 'creative',
      demographics: { age: 34, occupation: 'novelist', location: 'Portland' },
      behavioralTraits: {
        communication_style: 'expressive',
        decision_making: 'intuitive',
        values: ['originality'],
        strengths: ['imagery'],
        personality: 'warm',
      },
      capabilities: ['storytelling', 'editing'],
      expertiseAreas: ['fiction', 'poetry'],
      llmConfigPersona: { llm_provider: 'openai', temperature: 0.9, max_tokens: 800 },
      systemPrompt: 'You are a creative writer.',
      isGlobal: true,
    });
    expect(await m.getPersona('study_buddy', 'alice')).toMatchObject({
      personaId: 'study_buddy',
      name: 'Study Buddy',
      description: 'Quizzes Alice',
      traits: ['patient'],
      expertise: ['python'],
      communicationStyle: { tone: 'friendly' },
      isGlobal: false,
      ownerId: 'alice',
    });
    expect(await m.getPersona('broken')).toBeNull();
  });

  it('imports panels with their messages and insights, ids kept', async () => {
    expect(await m.getPanel(P)).toMatchObject({
      panelId: P,
      type: 'expert_panel',
      personas: ['technical_expert', 'creative_writer'],
      createdAt: '2025-08-01T08:00:00.123Z',
      config: expect.objectContaining({ topic: 'naming a database' }),
      metadata: expect.objectContaining({ owner: 'alice' }),
    });
    const msgs = await m.getPanelMessages(P, { limit: 10 });
    expect(
      msgs.map((x) => ({
        messageId: x.messageId,
        role: x.role,
        personaId: x.personaId,
        content: x.content,
        timestamp: x.timestamp,
        responseTo: x.responseTo ?? null,
        consensusLevel: x.consensusLevel,
      })),
    ).toEqual([
      {
        messageId: 'msg_p00000000001',
        role: 'technical_expert',
        personaId: 'technical_expert',
        content: 'Call it ffdb: short and descriptive.',
        timestamp: '2025-08-01T08:01:00.000Z',
        responseTo: null,
        consensusLevel: 0.6,
      },
      {
        messageId: 'msg_p00000000002',
        role: 'creative_writer',
        personaId: 'creative_writer',
        content: 'I agree, ffdb has a ring to it.',
        timestamp: '2025-08-01T08:02:00.000Z',
        responseTo: 'msg_p00000000001',
        consensusLevel: 0.9,
      },
    ]);
    expect(msgs[1]!.metadata).toMatchObject({ mood: 'upbeat' });
    expect(await m.getPanelInsights(P)).toEqual([
      expect.objectContaining({
        insightId: 'insight_0123456789ab',
        panelId: P,
        type: 'recommendation',
        content: 'Name the project ffdb.',
        supportingMessages: ['msg_p00000000001', 'msg_p00000000002'],
        consensusLevel: 0.75,
        createdAt: '2025-08-01T08:05:00.000Z',
        createdBy: 'technical_expert',
        metadata: { votes: 2 },
      }),
    ]);
  });

  it('builds the search index', async () => {
    const hits = await m.advancedSearch({ query: 'file', userId: 'alice' });
    expect(hits.map((h) => h.id)).toContain('msg_6ac309fcc87f');
    const old = await m.advancedSearch({ query: 'format', userId: 'bob' });
    expect(old.map((h) => h.id)).toContain('msg_111111111111');
  });

  it('adds nothing on a second run', async () => {
    const again: any = await m.importFromPython(FIXTURE, { timezone: 'Europe/Berlin' });
    expect(again.imported).toEqual(Object.fromEntries(Object.keys(again.imported).map((k) => [k, 0])));
    expect(again.existing).toMatchObject({
      users: 3,
      sessions: 4,
      messages: 9,
      documents: 1,
      personas: 3,
      panels: 1,
    });
    expect(await m.countMessages('alice', A)).toBe(3);
  });

  it('rejects an unknown time zone and a missing directory', async () => {
    await expect(m.importFromPython(FIXTURE, { timezone: 'Mars/Olympus' })).rejects.toMatchObject({
      code: 'FF_VALIDATION',
    });
    await expect(m.importFromPython(path.join(tmp.dir, 'absent'))).rejects.toMatchObject({
      code: 'FF_VALIDATION',
    });
  });
});

describe('ffdb import --from python', () => {
  it('imports into a new store, naive times read in the local zone (TZ)', async () => {
    const store = path.join(tmp.dir, 'cli-store');
    const r = await ffdb(['--data', store, '--json', 'import', '--from', 'python', FIXTURE], {
      env: { TZ: 'America/New_York' },
    });
    expect(r.code, r.stderr).toBe(0);
    const out = parse(r);
    expect(out).toMatchObject({ from: 'python', source: FIXTURE });
    expect(out.report.imported).toMatchObject({ users: 3, sessions: 4, messages: 9 });
    // New York is UTC-4 in summer.
    const s = parse(await ffdb(['--data', store, '--json', 'session', 'show', 'alice', A]));
    expect(s.session.createdAt).toBe('2025-08-01T13:12:43.704Z');
    const human = await ffdb(['--data', store, 'import', '--from', 'python', '--timezone', 'UTC', FIXTURE]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/messages\s+0\s+9/);
    expect(human.stdout).toContain('Skipped 8:');
    const bad = await ffdb([
      '--data',
      store,
      'import',
      '--from',
      'python',
      '--timezone',
      'Nowhere/None',
      FIXTURE,
    ]);
    expect(bad.code).toBe(2);
    expect(errorLine(bad)).toMatch(/timezone/);
  });
});
