import { describe, expect, it } from 'vitest';
import {
  ChunkSchema,
  createMessage,
  DocumentRecordSchema,
  ERROR_CODES,
  FFConfigError,
  FFCorruptionError,
  FFError,
  FFLockTimeoutError,
  FFStorageError,
  FFValidationError,
  MAX_KEY_POINTS,
  MessageRole,
  MessageSchema,
  mimeTypeFor,
  PanelInsightSchema,
  PanelMessageSchema,
  PanelSchema,
  PersonaSchema,
  ProcessingResultSchema,
  SearchQuerySchema,
  SearchResultSchema,
  SessionSchema,
  SituationalContextSchema,
  StoreDocumentInputSchema,
  TOKENS,
  UserProfileSchema,
  VectorSearchResultSchema,
} from '../src/index.js';

const now = '2026-01-02T03:04:05.000Z';
const issuesOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FFValidationError);
    return (e as FFValidationError).issues;
  }
  throw new Error('expected FFValidationError');
};

describe('createMessage', () => {
  it('fills id, UTC timestamp, attachments and metadata', () => {
    const m = createMessage({ role: MessageRole.USER, content: 'hello' }, new Date(now));
    expect(m).toEqual({
      messageId: m.messageId,
      role: 'user',
      content: 'hello',
      timestamp: now,
      attachments: [],
      metadata: {},
    });
    expect(m.messageId).toMatch(/^msg_[0-9a-f]{12}$/);
    expect(MessageSchema.parse(m)).toEqual(m);
  });

  it('keeps given fields and accepts persona ids as roles', () => {
    const m = createMessage({
      role: 'analyst',
      content: 'x',
      messageId: 'msg_000000000001',
      metadata: { a: 1 },
      attachments: ['d1'],
    });
    expect(m.messageId).toBe('msg_000000000001');
    expect(m.role).toBe('analyst');
    expect(m.metadata).toEqual({ a: 1 });
  });

  it('stores a given timestamp as UTC with Z: an offset applied, a naive one as local time, a Date', () => {
    const at = (timestamp: unknown) =>
      createMessage({ role: 'user', content: 'x', timestamp } as never).timestamp;
    expect(at('2025-01-01T10:00:00+02:00')).toBe('2025-01-01T08:00:00.000Z');
    expect(at('2025-01-01T10:00:00Z')).toBe('2025-01-01T10:00:00.000Z');
    expect(at('2025-01-01T10:00:00')).toBe(new Date(2025, 0, 1, 10, 0, 0).toISOString());
    expect(at(new Date(Date.UTC(2025, 5, 1, 12)))).toBe('2025-06-01T12:00:00.000Z');
    expect(
      issuesOf(() =>
        createMessage({ role: 'user', content: 'x', timestamp: new Date(Number.NaN) } as never),
      ).map((i) => i.path),
    ).toContain('timestamp');
    // A calendar date that does not exist is refused, not rolled over into the next month.
    for (const impossible of [
      '2024-02-30T00:00:00Z',
      '2023-02-29T12:00:00Z',
      '2025-04-31',
      '2025-06-31T01:00:00+02:00',
    ]) {
      expect(
        issuesOf(() => createMessage({ role: 'user', content: 'x', timestamp: impossible } as never)).map(
          (i) => i.path,
        ),
      ).toContain('timestamp');
    }
    expect(at('2024-02-29T00:00:00Z')).toBe('2024-02-29T00:00:00.000Z');
    expect(at('2025-12-31T23:59:59Z')).toBe('2025-12-31T23:59:59.000Z');
  });

  it('MessageRole has the three standard roles', () => {
    expect(MessageRole).toEqual({ USER: 'user', ASSISTANT: 'assistant', SYSTEM: 'system' });
  });

  it.each([
    [{ role: 'user', content: '' }, 'content'],
    [{ role: 'user', content: '   ' }, 'content'],
    [{ role: '', content: 'x' }, 'role'],
    [{ role: 'user' }, 'content'],
    [{ role: 'user', content: 42 }, 'content'],
    [{ role: 'user', content: 'x', messageId: '../evil' }, 'messageId'],
    [{ role: 'user', content: 'x', timestamp: 'yesterday' }, 'timestamp'],
    [{ role: 'user', content: 'x', metadata: 'nope' }, 'metadata'],
  ])('rejects %j naming %s', (input, field) => {
    expect(issuesOf(() => createMessage(input as never)).map((i) => i.path)).toContain(field);
  });
});

describe('entity schemas and their limits', () => {
  const context = {
    summary: 's',
    keyPoints: [],
    entities: {},
    timestamp: now,
    confidence: 0.5,
    messageRange: null,
    metadata: {},
  };

  it('situational context: ≤ 10 key points, confidence in [0,1], non-empty summary', () => {
    expect(SituationalContextSchema.safeParse(context).success).toBe(true);
    expect(
      SituationalContextSchema.safeParse({ ...context, keyPoints: Array(MAX_KEY_POINTS).fill('k') }).success,
    ).toBe(true);
    expect(
      SituationalContextSchema.safeParse({ ...context, keyPoints: Array(MAX_KEY_POINTS + 1).fill('k') })
        .success,
    ).toBe(false);
    for (const confidence of [0, 1])
      expect(SituationalContextSchema.safeParse({ ...context, confidence }).success).toBe(true);
    for (const confidence of [-0.01, 1.01])
      expect(SituationalContextSchema.safeParse({ ...context, confidence }).success).toBe(false);
    expect(SituationalContextSchema.safeParse({ ...context, summary: ' ' }).success).toBe(false);
  });

  it('persona: non-global needs ownerId; name 1..1000 (the configured limit, 100 by default, is applied by the manager)', () => {
    expect(PersonaSchema.safeParse({ personaId: 'p', name: 'P' }).success).toBe(true);
    const local = PersonaSchema.safeParse({ personaId: 'p', name: 'P', isGlobal: false });
    expect(local.success).toBe(false);
    expect(local.error?.issues[0]?.path).toEqual(['ownerId']);
    expect(
      PersonaSchema.safeParse({ personaId: 'p', name: 'P', isGlobal: false, ownerId: 'alice' }).success,
    ).toBe(true);
    expect(PersonaSchema.safeParse({ personaId: 'p', name: '' }).success).toBe(false);
    expect(PersonaSchema.safeParse({ personaId: 'p', name: 'x'.repeat(1000) }).success).toBe(true);
    expect(PersonaSchema.safeParse({ personaId: 'p', name: 'x'.repeat(1001) }).success).toBe(false);
    // Rich fields of the original's persona files survive.
    const rich = PersonaSchema.parse({ personaId: 'p', name: 'P', systemPrompt: 'be nice', unknownExtra: 1 });
    expect(rich).toMatchObject({ systemPrompt: 'be nice', unknownExtra: 1, traits: [], isGlobal: true });
  });

  it('panel: at least one persona', () => {
    const panel = {
      panelId: 'panel_1',
      type: 'brainstorm',
      personas: ['a'],
      createdAt: now,
      updatedAt: now,
      messageCount: 0,
      config: {},
      metadata: {},
    };
    expect(PanelSchema.safeParse(panel).success).toBe(true);
    expect(PanelSchema.safeParse({ ...panel, personas: [] }).success).toBe(false);
    expect(PanelSchema.safeParse({ ...panel, messageCount: -1 }).success).toBe(false);
  });

  it('panel message and insight: consensus in [0,1], insight content non-empty', () => {
    const pm = {
      messageId: 'm',
      role: 'analyst',
      content: 'c',
      timestamp: now,
      attachments: [],
      metadata: {},
      personaId: 'analyst',
    };
    expect(PanelMessageSchema.safeParse({ ...pm, consensusLevel: 0.4 }).success).toBe(true);
    expect(PanelMessageSchema.safeParse({ ...pm, consensusLevel: 1.5 }).success).toBe(false);
    const insight = { insightId: 'insight_1', panelId: 'panel_1', content: 'c', createdAt: now };
    expect(PanelInsightSchema.parse(insight)).toMatchObject({
      type: 'conclusion',
      consensusLevel: 0,
      createdBy: 'system',
    });
    expect(PanelInsightSchema.safeParse({ ...insight, consensusLevel: -0.1 }).success).toBe(false);
    expect(PanelInsightSchema.safeParse({ ...insight, content: '' }).success).toBe(false);
    expect(PanelInsightSchema.safeParse({ ...insight, type: 'rant' }).success).toBe(false);
  });

  it('session, user, document', () => {
    const session = {
      sessionId: 's',
      userId: 'u',
      title: 'New Chat',
      sessionType: 'chat',
      createdAt: now,
      updatedAt: now,
      messageCount: 0,
      metadata: {},
    };
    expect(SessionSchema.safeParse(session).success).toBe(true);
    // The hard bound; runtime.maxSessionNameLength (200 by default) is applied by the manager.
    expect(SessionSchema.safeParse({ ...session, title: 'x'.repeat(1000) }).success).toBe(true);
    expect(SessionSchema.safeParse({ ...session, title: 'x'.repeat(1001) }).success).toBe(false);
    expect(SessionSchema.safeParse({ ...session, userId: '' }).success).toBe(false);
    const user = {
      userId: 'u',
      username: '',
      createdAt: now,
      updatedAt: now,
      preferences: {},
      metadata: {},
      email: 'a@b.c',
    };
    expect(UserProfileSchema.parse(user).email).toBe('a@b.c');
    expect(UserProfileSchema.safeParse({ ...user, userId: '' }).success).toBe(false);
    const doc = {
      documentId: 'd',
      filename: 'd',
      originalName: 'a.txt',
      path: 'k',
      mimeType: 'text/plain',
      size: 3,
      uploadedAt: now,
      uploadedBy: '',
      analysis: {},
      metadata: {},
    };
    expect(DocumentRecordSchema.safeParse(doc).success).toBe(true);
    expect(DocumentRecordSchema.safeParse({ ...doc, size: -1 }).success).toBe(false);
    expect(StoreDocumentInputSchema.safeParse({ filename: 'a.txt' }).success).toBe(false);
    expect(StoreDocumentInputSchema.safeParse({ filename: 'a.txt', content: 'x' }).success).toBe(true);
    expect(mimeTypeFor('A.PDF')).toBe('application/pdf');
    expect(mimeTypeFor('noext')).toBe('application/octet-stream');
  });

  it('search query: Dates and ISO strings, bounded weights', () => {
    const q = SearchQuerySchema.parse({ query: 'x', startDate: new Date(now), endDate: '2026-02-01' });
    expect(q.startDate).toBe(now);
    expect(q.endDate).toBe('2026-02-01T00:00:00.000Z');
    expect(SearchQuerySchema.safeParse({ startDate: 'not a date' }).success).toBe(false);
    expect(SearchQuerySchema.safeParse({ startDate: '2024-02-30T00:00:00Z' }).success).toBe(false);
    expect(SearchQuerySchema.safeParse({ vectorWeight: 1.1 }).success).toBe(false);
    expect(SearchQuerySchema.safeParse({ maxResults: 'ten' }).success).toBe(false);
  });

  it('search results, vector results, processing results, chunks', () => {
    const r = {
      id: 'm',
      type: 'message',
      content: 'c',
      sessionId: 's',
      userId: 'u',
      timestamp: now,
      relevanceScore: 1,
      highlights: [[0, 1]],
      snippet: 'c',
      metadata: {},
      explain: { fused: 1 },
    };
    expect(SearchResultSchema.safeParse(r).success).toBe(true);
    expect(SearchResultSchema.safeParse({ ...r, type: 'bogus' }).success).toBe(false);
    const v = {
      chunkId: 'c',
      chunkText: 't',
      similarityScore: -0.2,
      documentId: 'd',
      sessionId: 's',
      metadata: {},
    };
    expect(VectorSearchResultSchema.safeParse(v).success).toBe(true);
    expect(VectorSearchResultSchema.safeParse({ ...v, similarityScore: 1.2 }).success).toBe(false);
    expect(
      ProcessingResultSchema.safeParse({
        success: false,
        documentId: 'd',
        chunkCount: 0,
        vectorCount: 0,
        processingTime: 0,
        error: 'x',
      }).success,
    ).toBe(true);
    expect(
      ChunkSchema.safeParse({ text: 't', index: 0, total: 0, charCount: 1, wordCount: 1, start: 0, end: 1 })
        .success,
    ).toBe(false);
  });
});

describe('errors and tokens', () => {
  it('every error has a catalogued code and isInstance works', () => {
    const errors: FFError[] = [
      new FFValidationError('bad', { path: 'x' }),
      new FFStorageError('write', 'a/b', 'disk full', {
        cause: Object.assign(new Error('x'), { code: 'ENOSPC' }),
      }),
      new FFLockTimeoutError('k', 5),
      new FFCorruptionError('bad crc', { key: 'k' }),
      new FFConfigError('bad config', { issues: [{ path: 'storage.basePath', message: 'cannot be empty' }] }),
    ];
    for (const e of errors) {
      expect(Object.keys(ERROR_CODES)).toContain(e.code);
      expect(FFError.isInstance(e)).toBe(true);
    }
    expect(errors[1]?.code).toBe('FF_STORAGE_NO_SPACE');
    expect(FFValidationError.isInstance(errors[0])).toBe(true);
    expect(FFValidationError.isInstance(errors[2])).toBe(false);
    expect(FFError.isInstance(new Error('plain'))).toBe(false);
    expect(errors[4]?.message).toContain('storage.basePath');
  });

  it('tokens are global symbols', () => {
    expect(TOKENS.StorageBackend).toBe(Symbol.for('@ffdb/StorageBackend'));
    expect(new Set(Object.values(TOKENS)).size).toBe(Object.keys(TOKENS).length);
  });
});
