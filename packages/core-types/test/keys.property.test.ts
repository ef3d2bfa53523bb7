import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  FFValidationError,
  generateContextSnapshotId,
  generateDocumentId,
  generatePanelId,
  generateSessionId,
  isValidUserId,
  keyProblems,
  resolveInside,
  sanitizeFilename,
  validateKey,
} from '../src/index.js';

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ffdb-keys-'));
const root = path.resolve(base);
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

/** Independent check (not using resolveInside's own logic): strictly below the base directory. */
function isStrictlyInside(full: string): boolean {
  return full.startsWith(root + path.sep) && path.resolve(full) === full;
}

const hostilePiece = fc.constantFrom(
  '..',
  '.',
  '/',
  '//',
  '\\',
  '\0',
  '\x01',
  '\x1f',
  '\x7f',
  '\n',
  '\r',
  '\t',
  'C:',
  'c:\\',
  '/etc/passwd',
  '~',
  '%2e%2e',
  '%2f',
  '\u2024\u2024',
  '\uff0e\uff0e',
  '\u202e',
  'é',
  'e\u0301',
  '测试',
  '😀',
  ' ',
  '...',
  '.git',
  'NUL',
  'con',
  ':',
  '*',
  '?',
  '"',
  '<',
  '>',
  '|',
  '\ud800',
);
/** Strings built from traversal fragments, separators, control characters and arbitrary unicode. */
const hostile = fc
  .array(fc.oneof(hostilePiece, fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ maxLength: 8 })), {
    maxLength: 12,
  })
  .map((parts) => parts.join(''));

const runs = { numRuns: 2000 };

describe('nothing escapes the base directory', () => {
  it('every key validateKey accepts resolves strictly inside the base', () => {
    fc.assert(
      fc.property(hostile, (key) => {
        let accepted = true;
        try {
          validateKey(key);
        } catch (e) {
          expect(e).toBeInstanceOf(FFValidationError);
          accepted = false;
        }
        if (!accepted) {
          expect(() => resolveInside(base, key)).toThrow(FFValidationError);
          return;
        }
        expect(keyProblems(key)).toEqual([]);
        expect(isStrictlyInside(resolveInside(base, key))).toBe(true);
      }),
      runs,
    );
  });

  it('keys joined from hostile segments never escape', () => {
    fc.assert(
      fc.property(fc.array(hostile, { minLength: 1, maxLength: 5 }), (segments) => {
        const key = segments.join('/');
        if (keyProblems(key).length) return;
        expect(isStrictlyInside(resolveInside(base, key))).toBe(true);
      }),
      runs,
    );
  });

  it('every sanitised filename is one safe segment inside the base', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const safe = sanitizeFilename(name);
        expect(safe.length).toBeGreaterThan(0);
        expect(safe.length).toBeLessThanOrEqual(255);
        expect(safe).toMatch(/^[A-Za-z0-9_.-]+$/);
        expect(safe).not.toMatch(/^[._]|[._]$/);
        expect(keyProblems(safe)).toEqual([]);
        const full = resolveInside(base, safe);
        expect(isStrictlyInside(full)).toBe(true);
        expect(path.dirname(full)).toBe(root);
      }),
      runs,
    );
  });

  it('every generated document id is one safe segment inside the base', () => {
    fc.assert(
      fc.property(hostile, (name) => {
        const id = generateDocumentId(name);
        expect(keyProblems(`users/u/documents/${id}`)).toEqual([]);
        expect(path.dirname(resolveInside(base, id))).toBe(root);
      }),
      { numRuns: 500 },
    );
  });

  it('accepted user ids are safe segments; generated timed ids too', () => {
    fc.assert(
      fc.property(
        hostile,
        fc.date({ min: new Date('1970-01-02'), max: new Date('9999-12-31'), noInvalidDate: true }),
        (id, when) => {
          if (isValidUserId(id)) expect(path.dirname(resolveInside(base, id))).toBe(root);
          for (const generated of [
            generateSessionId('chat_session', when),
            generatePanelId(when),
            generateContextSnapshotId(when),
          ]) {
            expect(path.dirname(resolveInside(base, `users/x/${generated}`))).toBe(
              path.join(root, 'users', 'x'),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it.each([
    '..',
    '../x',
    'a/../../b',
    '/etc/passwd',
    'C:/Windows',
    'c:x',
    'a\\..\\b',
    'a\0b',
    'a/./b',
    'a//b',
    '',
    'a/',
    'x\n',
    '\x1b[2J',
  ])('hostile key %j is rejected', (key) => {
    expect(() => validateKey(key)).toThrow(FFValidationError);
    expect(() => resolveInside(base, key)).toThrow(FFValidationError);
  });

  it('a segment is measured in UTF-8 bytes, as file systems count a name', () => {
    expect(() => validateKey(`a/${'键'.repeat(85)}`)).not.toThrow(); // 255 bytes
    for (const key of [`a/${'键'.repeat(86)}`, `${'é'.repeat(128)}/x`, 'x'.repeat(256)]) {
      const error = (() => {
        try {
          validateKey(key);
        } catch (e) {
          return e;
        }
      })();
      expect(FFValidationError.isInstance(error), key).toBe(true);
      expect((error as FFValidationError).issues[0]).toMatchObject({ path: 'key', limit: 255 });
    }
    expect(() => validateKey('y'.repeat(1025))).toThrow(/1024/);
    // C1 control characters are control characters too.
    expect(() => validateKey('a\u0085b')).toThrow(FFValidationError);
  });

  it('names that merely start with dots are fine and stay inside', () => {
    for (const key of ['..foo', '...', '.hidden/x', 'a/..b']) {
      expect(isStrictlyInside(resolveInside(base, key))).toBe(true);
    }
  });
});
