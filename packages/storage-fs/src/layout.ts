import path from 'node:path';
import {
  FFValidationError,
  MAX_KEY_SEGMENT_LENGTH,
  resolveInside,
  validateKey,
  validatePrefix,
} from '@ffdb/core-types';

/**
 * On-disk names. Everything the engine owns lives under `.ffdb/` (WAL, locks, trash) except
 * `ffdb.json`; logs are directories named `<key>.fflog`; temp files start with `.ffdb-tmp-`.
 * Those names are reserved so that no blob key can collide with engine files.
 */
export const FORMAT_VERSION = 1;
export const FORMAT_FILE = 'ffdb.json';
export const INTERNAL_DIR = '.ffdb';
export const WAL_DIR = 'wal';
export const LOCK_DIR = 'locks';
export const TRASH_DIR = 'trash';
export const LOG_SUFFIX = '.fflog';
export const TMP_PREFIX = '.ffdb-tmp-';
export const ACTIVE_SUFFIX = '.seg';
export const SEALED_SUFFIX = '.sseg';

export function isReservedName(segment: string): boolean {
  return segment.endsWith(LOG_SUFFIX) || segment.startsWith(TMP_PREFIX);
}

/**
 * Keys that passed `checkKey` (input -> normalised key). Every append validates its log key; a hot log
 * is validated once, not on each of its appends. Bounded: cleared when full.
 */
const validKeys = new Map<string, string>();
const VALID_KEYS_MAX = 16_384;

export function checkKey(key: unknown, field = 'key'): string {
  if (typeof key === 'string') {
    const hit = validKeys.get(key);
    if (hit !== undefined) return hit;
  }
  const k = checkKeyUncached(key, field);
  if (validKeys.size >= VALID_KEYS_MAX) validKeys.clear();
  validKeys.set(key as string, k);
  return k;
}

/** The longest last segment of a log key: its directory is that segment + LOG_SUFFIX, one file name. */
export const MAX_LOG_NAME_LENGTH = MAX_KEY_SEGMENT_LENGTH - LOG_SUFFIX.length;

/**
 * checkKey for a log being written: its directory name (last segment + ".fflog") must fit one file
 * name (255 bytes), so the last segment has 249 characters at most. Refused before anything is written.
 */
export function checkLogKey(key: unknown, field = 'log'): string {
  const k = checkKey(key, field);
  const last = k.slice(k.lastIndexOf('/') + 1);
  // On every append: a name of at most 83 UTF-16 units fits (3 bytes each at most) without measuring.
  if (last.length * 3 > MAX_LOG_NAME_LENGTH && Buffer.byteLength(last, 'utf8') > MAX_LOG_NAME_LENGTH) {
    throw new FFValidationError([
      {
        path: field,
        message: `a log's last key segment may have at most ${MAX_LOG_NAME_LENGTH} bytes (its directory adds "${LOG_SUFFIX}")`,
        limit: MAX_LOG_NAME_LENGTH,
      },
    ]);
  }
  return k;
}

/** validateKey + the engine's reserved names. */
function checkKeyUncached(key: unknown, field: string): string {
  const k = validateKey(key, field);
  const segments = k.split('/');
  if (segments[0] === INTERNAL_DIR || k === FORMAT_FILE) {
    throw new FFValidationError([
      { path: field, message: `key ${JSON.stringify(segments[0])} is reserved by the store` },
    ]);
  }
  for (const s of segments) {
    if (isReservedName(s)) {
      throw new FFValidationError([
        {
          path: field,
          message: `key segments may not end with "${LOG_SUFFIX}" or start with "${TMP_PREFIX}"`,
        },
      ]);
    }
  }
  return k;
}

/** A prefix ('' = whole store) with trailing slashes removed. */
export function checkPrefix(prefix: unknown, field = 'prefix'): string {
  const p = validatePrefix(prefix, field);
  if (p !== '') checkKey(p, field);
  return p;
}

export class Layout {
  readonly root: string;
  constructor(basePath: string) {
    this.root = path.resolve(basePath);
  }
  get formatFile(): string {
    return path.join(this.root, FORMAT_FILE);
  }
  get internal(): string {
    return path.join(this.root, INTERNAL_DIR);
  }
  get walDir(): string {
    return path.join(this.root, INTERNAL_DIR, WAL_DIR);
  }
  get lockDir(): string {
    return path.join(this.root, INTERNAL_DIR, LOCK_DIR);
  }
  get trashDir(): string {
    return path.join(this.root, INTERNAL_DIR, TRASH_DIR);
  }
  /** Absolute path of a blob (or prefix directory); proven to stay inside the root. */
  blob(key: string): string {
    return resolveInside(this.root, key);
  }
  /** Directory holding a log's segments. */
  logDir(key: string): string {
    return resolveInside(this.root, key) + LOG_SUFFIX;
  }
  /** Path of a prefix ('' = root). */
  prefix(prefix: string): string {
    return prefix === '' ? this.root : resolveInside(this.root, prefix);
  }
  /** Key of an absolute path inside the root. */
  keyOf(abs: string): string {
    return path.relative(this.root, abs).split(path.sep).join('/');
  }
}

export function walFileName(gen: number): string {
  return `${String(gen).padStart(16, '0')}.wal`;
}

export function parseWalFileName(name: string): number | undefined {
  const m = /^(\d{16})\.wal$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

export function activeSegmentName(firstSeq: number): string {
  return `${String(firstSeq).padStart(16, '0')}${ACTIVE_SUFFIX}`;
}

export function sealedSegmentName(firstSeq: number, lastSeq: number, rev: number): string {
  return `${String(firstSeq).padStart(16, '0')}-${String(lastSeq).padStart(16, '0')}.r${rev}${SEALED_SUFFIX}`;
}

export type SegmentName =
  | { kind: 'active'; first: number; name: string }
  | { kind: 'sealed'; first: number; last: number; rev: number; name: string };

export function parseSegmentName(name: string): SegmentName | undefined {
  let m = /^(\d{16})\.seg$/.exec(name);
  if (m) return { kind: 'active', first: Number(m[1]), name };
  m = /^(\d{16})-(\d{16})\.r(\d+)\.sseg$/.exec(name);
  if (m) return { kind: 'sealed', first: Number(m[1]), last: Number(m[2]), rev: Number(m[3]), name };
  return undefined;
}
