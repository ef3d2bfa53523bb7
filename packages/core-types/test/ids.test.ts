import { describe, expect, it } from 'vitest';
import {
  assertSafeId,
  assertUserId,
  DOCUMENT_ID_PATTERN,
  FFValidationError,
  generateContextSnapshotId,
  generateDocumentId,
  generateInsightId,
  generateMessageId,
  generatePanelId,
  generateSessionId,
  isValidUserId,
  MESSAGE_ID_PATTERN,
  sanitizeFilename,
  TIMED_ID_PATTERN,
  validateKey,
} from '../src/index.js';

describe('generated id formats', () => {
  it('message and insight ids', () => {
    expect(generateMessageId()).toMatch(MESSAGE_ID_PATTERN);
    expect(generateMessageId()).toMatch(/^msg_[0-9a-f]{12}$/);
    expect(generateInsightId()).toMatch(/^insight_[0-9a-f]{12}$/);
  });

  it('session, panel and context snapshot ids use UTC', () => {
    const at = new Date('2031-02-03T04:05:06.789Z');
    const s = generateSessionId('chat_session', at);
    expect(s).toMatch(/^chat_session_20310203_040506_\d{6}$/);
    expect(s).toMatch(TIMED_ID_PATTERN);
    expect(generateSessionId('problem_solving_session', at)).toMatch(
      /^problem_solving_session_\d{8}_\d{6}_\d{6}$/,
    );
    expect(generatePanelId(at)).toMatch(/^panel_20310203_040506_\d{6}$/);
    expect(generateContextSnapshotId(at)).toMatch(/^context_20310203_040506_\d{6}$/);
  });

  it('an explicit past time stays in the id (imports), still unique', () => {
    generateSessionId(); // advance the logical clock to now
    const old = new Date('2020-05-06T07:08:09.000Z');
    const a = generateSessionId('chat_session', old);
    const b = generateSessionId('chat_session', old);
    expect(a).toMatch(/^chat_session_20200506_070809_/);
    expect(b).toMatch(/^chat_session_20200506_070809_/);
    expect(a).not.toBe(b);
    expect(a < b).toBe(true);
  });

  it('an explicit time slightly behind the last id still sorts after it (clock stepped back)', () => {
    const a = generateSessionId('chat_session', new Date());
    const b = generateSessionId('chat_session', new Date(Date.now() - 500));
    expect(a < b).toBe(true);
  });

  it('rejects an invalid or out-of-range date', () => {
    expect(() => generateSessionId('chat_session', new Date('nope'))).toThrow(FFValidationError);
    expect(() => generateSessionId('chat_session', new Date('+010000-01-01T00:00:00Z'))).toThrow(
      FFValidationError,
    );
  });

  it('rejects a bad prefix', () => {
    expect(() => generateSessionId('Bad-Prefix')).toThrow(FFValidationError);
    expect(() => generateSessionId('../x')).toThrow(FFValidationError);
  });

  it('document ids are <8 hex>_<sanitized name> and fit one key segment', () => {
    expect(generateDocumentId('My Doc.txt')).toMatch(/^[0-9a-f]{8}_My_Doc\.txt$/);
    const long = generateDocumentId(`${'x'.repeat(400)}.pdf`);
    expect(long).toMatch(DOCUMENT_ID_PATTERN);
    expect(long.length).toBeLessThanOrEqual(255);
    expect(long.endsWith('.pdf')).toBe(true);
    expect(validateKey(`docs/${long}`)).toBeTruthy();
  });

  it.each([
    ['session', () => generateSessionId()],
    ['panel', () => generatePanelId()],
    ['snapshot', () => generateContextSnapshotId()],
    [
      'session (now passed explicitly, as a manager with a system clock does)',
      () => generateSessionId('chat_session', new Date()),
    ],
  ])('10,000 back-to-back %s ids are unique and in lexical creation order', (_name, gen) => {
    const ids = Array.from({ length: 10_000 }, () => gen());
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect((ids[i - 1] as string) < (ids[i] as string)).toBe(true);
  });

  it('random ids do not repeat', () => {
    const ids = new Set(Array.from({ length: 10_000 }, () => generateMessageId()));
    expect(ids.size).toBe(10_000);
  });
});

describe('user ids', () => {
  it.each([
    ['alice', true],
    ['Alice_01', true],
    ['a', true],
    ['user@example.com', true],
    ['first.last-2', true],
    ['9lives', true],
    ['a'.repeat(100), true],
    ['a'.repeat(101), false],
    ['', false],
    ['_hidden', false],
    ['.hidden', false],
    ['..', false],
    ['../etc', false],
    ['a/b', false],
    ['a\\b', false],
    ['a b', false],
    ['user\0', false],
    ['tab\tuser', false],
    ['new\nline', false],
    ['café', false],
    ['测试', false],
    ['/abs', false],
    ['C:x', false],
    ['notes.fflog', false],
    ['notes.fflog.x', true],
  ])('%j -> %s', (id, ok) => {
    expect(isValidUserId(id)).toBe(ok);
    if (ok) expect(assertUserId(id)).toBe(id);
    else expect(() => assertUserId(id)).toThrow(FFValidationError);
  });

  it('a user id ending in the log suffix is refused by name', () => {
    expect(() => assertUserId('notes.fflog')).toThrow(/userId: must not end with "\.fflog"/);
  });

  it('non-strings are rejected with the field named', () => {
    for (const v of [undefined, null, 42, {}, ['a']]) expect(isValidUserId(v)).toBe(false);
    try {
      assertUserId(7, 'ownerId');
      throw new Error('unreachable');
    } catch (e) {
      expect((e as FFValidationError).issues[0]?.path).toBe('ownerId');
    }
  });

  it('safe ids reject traversal', () => {
    expect(assertSafeId('chat_session_20250101_000000_000000', 'sessionId')).toBeTruthy();
    for (const bad of ['../x', 'a..b', 'a/b', '', '.x', 'x\0']) {
      expect(() => assertSafeId(bad, 'sessionId')).toThrow(FFValidationError);
    }
  });
});

describe('sanitizeFilename (reference examples)', () => {
  it.each([
    ['../../../etc/passwd', 'etc_passwd'],
    ['user/with/slashes', 'user_with_slashes'],
    ['user\x00null', 'user_null'],
    ['My Doc.txt', 'My_Doc.txt'],
    ['café', 'cafe'],
    ['测试', 'unnamed'],
    ['', 'unnamed'],
    ['...', 'unnamed'],
    ['  spaced   out  .md', 'spaced_out_.md'],
    ['C:\\Users\\me\\report.pdf', 'C__Users_me_report.pdf'],
    ['résumé (final).docx', 'resume__final_.docx'],
  ])('%j -> %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });

  it('names over 255 characters keep their extension', () => {
    const out = sanitizeFilename(`${'a'.repeat(300)}.txt`);
    expect(out).toHaveLength(255);
    expect(out.endsWith('.txt')).toBe(true);
    expect(sanitizeFilename('b'.repeat(300))).toHaveLength(255);
  });

  it('a short maximum never lengthens the name nor leaves `..` in it', () => {
    for (let max = 1; max <= 25; max++) {
      for (const name of ['quarterly_report.html', 'report..v2.html', 'a.b.c.d.e.f.txt']) {
        const out = sanitizeFilename(name, max);
        expect(out.length, `${name} at ${max}`).toBeLessThanOrEqual(max);
        expect(out).not.toContain('..');
        expect(out.length).toBeGreaterThan(0);
      }
    }
    expect(sanitizeFilename('quarterly_report.html', 8)).toBe('qua.html');
    // An extension that leaves no room for a name is dropped.
    expect(sanitizeFilename('quarterly_report.html', 5)).toBe('quart');
  });
});
