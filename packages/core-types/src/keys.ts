import path from 'node:path';
import { FFValidationError } from './errors.js';

/** Limits on storage keys: relative, `/`-separated, every segment a plain name. */
export const MAX_KEY_LENGTH = 1024;
export const MAX_KEY_SEGMENT_LENGTH = 255;

// Control characters (C0, DEL and C1), backslashes and colons (drive letters, NTFS streams) are never
// part of a key.
const FORBIDDEN_IN_SEGMENT = /[\x00-\x1f\x7f-\x9f\\:]/;

/** Problems with a key, or [] when it is a valid storage key. */
export function keyProblems(key: unknown): string[] {
  return keyIssues(key).map((issue) => issue.message);
}

/**
 * keyProblems with the limit each one broke. A segment is one file or directory name, and file systems
 * count those in bytes (255 on ext4, xfs, btrfs, tmpfs): 100 CJK characters are 300 bytes, which the
 * file system refused with ENAMETOOLONG after the key had passed a check in characters.
 */
function keyIssues(key: unknown): { message: string; limit?: number }[] {
  if (typeof key !== 'string') return [{ message: 'key must be a string' }];
  if (key.length === 0) return [{ message: 'key cannot be empty' }];
  if (key.length > MAX_KEY_LENGTH)
    return [{ message: `key longer than ${MAX_KEY_LENGTH} characters`, limit: MAX_KEY_LENGTH }];
  if (key.startsWith('/')) return [{ message: 'key must be relative' }];
  if (/^[A-Za-z]:/.test(key)) return [{ message: 'key must not carry a drive letter' }];
  for (const segment of key.split('/')) {
    if (segment === '') return [{ message: 'key has an empty segment' }];
    if (segment === '.' || segment === '..')
      return [{ message: `key segment ${JSON.stringify(segment)} is not allowed` }];
    if (FORBIDDEN_IN_SEGMENT.test(segment))
      return [{ message: 'key contains a control character, backslash or colon' }];
    // A UTF-16 unit is at most 3 bytes of UTF-8: bytes are counted only for segments that could be over
    // (every append validates its key; most segments are short ASCII ids).
    if (
      segment.length > MAX_KEY_SEGMENT_LENGTH ||
      (segment.length * 3 > MAX_KEY_SEGMENT_LENGTH && Buffer.byteLength(segment) > MAX_KEY_SEGMENT_LENGTH)
    )
      return [
        {
          message: `key segment longer than ${MAX_KEY_SEGMENT_LENGTH} bytes (UTF-8)`,
          limit: MAX_KEY_SEGMENT_LENGTH,
        },
      ];
  }
  return [];
}

/** Throws FFValidationError unless `key` is a valid relative storage key; returns it. */
export function validateKey(key: unknown, field = 'key'): string {
  const issues = keyIssues(key);
  if (issues.length) throw new FFValidationError(issues.map((issue) => ({ path: field, ...issue })));
  return key as string;
}

/** A prefix is a key, or the empty string for "the whole store". */
export function validatePrefix(prefix: unknown, field = 'prefix'): string {
  if (prefix === '') return '';
  return validateKey(typeof prefix === 'string' ? prefix.replace(/\/+$/, '') : prefix, field);
}

/**
 * Resolves a validated key under `base` and proves the result stays inside it
 * (defence in depth: validation already excludes `..`, absolute paths and drive letters).
 */
export function resolveInside(base: string, key: string): string {
  validateKey(key);
  const root = path.resolve(base);
  const full = path.resolve(root, ...key.split('/'));
  const rel = path.relative(root, full);
  // `..foo` is a legal name; only `..` itself or `../…` leaves the root.
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new FFValidationError([{ path: 'key', message: 'key resolves outside the store' }]);
  }
  return full;
}

/** Joins validated segments into a key. */
export function joinKey(...segments: string[]): string {
  return validateKey(segments.join('/'));
}
