import path from 'node:path';
import { FFValidationError } from './errors.js';

/** Limits on storage keys: relative, `/`-separated, every segment a plain name. */
export const MAX_KEY_LENGTH = 1024;
export const MAX_KEY_SEGMENT_LENGTH = 255;

// Control characters, backslashes and colons (drive letters, NTFS streams) are never part of a key.
const FORBIDDEN_IN_SEGMENT = /[\x00-\x1f\x7f\\:]/;

/** Problems with a key, or [] when it is a valid storage key. */
export function keyProblems(key: unknown): string[] {
  if (typeof key !== 'string') return ['key must be a string'];
  if (key.length === 0) return ['key cannot be empty'];
  if (key.length > MAX_KEY_LENGTH) return [`key longer than ${MAX_KEY_LENGTH} characters`];
  if (key.startsWith('/')) return ['key must be relative'];
  if (/^[A-Za-z]:/.test(key)) return ['key must not carry a drive letter'];
  const problems: string[] = [];
  for (const segment of key.split('/')) {
    if (segment === '') problems.push('key has an empty segment');
    else if (segment === '.' || segment === '..')
      problems.push(`key segment ${JSON.stringify(segment)} is not allowed`);
    else if (FORBIDDEN_IN_SEGMENT.test(segment))
      problems.push('key contains a control character, backslash or colon');
    else if (segment.length > MAX_KEY_SEGMENT_LENGTH)
      problems.push(`key segment longer than ${MAX_KEY_SEGMENT_LENGTH}`);
    if (problems.length) break;
  }
  return problems;
}

/** Throws FFValidationError unless `key` is a valid relative storage key; returns it. */
export function validateKey(key: unknown, field = 'key'): string {
  const problems = keyProblems(key);
  if (problems.length) throw new FFValidationError(problems.map((message) => ({ path: field, message })));
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
