import { randomBytes } from 'node:crypto';
import { FFValidationError } from './errors.js';

/** Caller-chosen user ids: no sanitising, no silent renaming — anything else is rejected. */
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;

/** `<prefix>_<YYYYMMDD>_<HHMMSS>_<6 digits>` — session, panel and context snapshot ids. */
export const TIMED_ID_PATTERN = /^[a-z][a-z_]*_\d{8}_\d{6}_\d{6}$/;
/** Ids this store generates or imports: conservative characters only, so they are always safe path segments. */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}$/;
/** Longest sanitised name inside a document id, so the id fits one 255-character key segment. */
export const MAX_DOCUMENT_NAME_LENGTH = 246;
export const DOCUMENT_ID_PATTERN = /^[0-9a-f]{8}_[A-Za-z0-9_.-]{1,246}$/;

function randomHex(n: number): string {
  return randomBytes(Math.ceil(n / 2))
    .toString('hex')
    .slice(0, n);
}

export function generateMessageId(): string {
  return `msg_${randomHex(12)}`;
}

export function generateInsightId(): string {
  return `insight_${randomHex(12)}`;
}

/**
 * Timed ids are `<prefix>_<YYYYMMDD>_<HHMMSS>_<mmm><nnn>`: the UTC time, its milliseconds, and a
 * 3-digit counter within that millisecond.
 * - Ids from the real clock use a process-wide logical clock that never goes backwards, so they are
 *   unique and lexically ordered by creation even for back-to-back calls; more than 1000 ids in one
 *   millisecond borrow from the next one.
 * - An explicit time within a second of the real clock (a manager passing `clock.now()`) is treated the
 *   same way. Any other explicit time (imports, replays, fixed test clocks) keeps that time and takes the
 *   next free counter of that millisecond; it never moves the logical clock (a far-future date cannot skew
 *   later ids).
 * Every issued tick is recorded per millisecond (bounded LRU), so the two kinds never collide in-process.
 * Across processes the caller still checks existence under a lock (see the manager).
 */
/** The last real-clock id issued: [milliseconds, counter]. */
let last: [number, number] = [0, -1];
/** Next free counter per millisecond; kept in least-recently-used order. */
const nextCounter = new Map<number, number>();
const MAX_TRACKED_MILLISECONDS = 10_000;
/** 9999-12-31T23:59:59.999Z: the id format has a 4-digit year. */
const MAX_ID_TIME_MS = 253_402_300_799_999;

/** The first free (millisecond, counter) at or after the given one; records it as used. */
function claim(startMs: number, startCounter: number): [number, number] {
  let ms = startMs;
  let counter = startCounter;
  for (;;) {
    const next = nextCounter.get(ms) ?? 0;
    if (counter < next) counter = next;
    if (counter > 999) {
      ms += 1; // more than 1000 ids in one millisecond: borrow from the next one
      counter = 0;
      continue;
    }
    nextCounter.delete(ms);
    nextCounter.set(ms, counter + 1);
    if (nextCounter.size > MAX_TRACKED_MILLISECONDS)
      nextCounter.delete(nextCounter.keys().next().value as number);
    return [ms, counter];
  }
}

/** An explicit time this close to the real clock is treated as "now" (e.g. a manager passing clock.now()). */
const NOW_WINDOW_MS = 1000;

function nextTick(explicit: Date | undefined): [number, number] {
  const realNow = Date.now();
  let ms = realNow;
  if (explicit) {
    ms = explicit.getTime();
    if (!Number.isFinite(ms) || ms < 0 || ms > MAX_ID_TIME_MS) {
      throw new FFValidationError('invalid date for a generated id', { path: 'now' });
    }
    if (Math.abs(ms - realNow) > NOW_WINDOW_MS) return claim(ms, 0);
  }
  // Real time: never behind the last real-time id, so ids sort in creation order even if the clock steps back.
  last = ms > last[0] ? claim(ms, 0) : claim(last[0], last[1] + 1);
  return last;
}

function formatTimed(prefix: string, [ms, counter]: [number, number]): string {
  const d = new Date(ms);
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  const time = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${prefix}_${date}_${time}_${p(d.getUTCMilliseconds(), 3)}${p(counter, 3)}`;
}

export function generateTimedId(prefix: string, now?: Date): string {
  if (!/^[a-z][a-z_]*$/.test(prefix))
    throw new FFValidationError(`invalid id prefix ${JSON.stringify(prefix)}`, { path: 'prefix' });
  return formatTimed(prefix, nextTick(now));
}

export function generateSessionId(prefix = 'chat_session', now?: Date): string {
  return generateTimedId(prefix, now);
}

export function generatePanelId(now?: Date, prefix = 'panel'): string {
  return generateTimedId(prefix, now);
}

export function generateContextSnapshotId(now?: Date): string {
  return generateTimedId('context', now);
}

/** `<8 hex>_<sanitized filename>` */
export function generateDocumentId(filename: string): string {
  // 8 hex + `_` + name must still fit one 255-character key segment.
  return `${randomHex(8)}_${sanitizeFilename(filename, MAX_DOCUMENT_NAME_LENGTH)}`;
}

/**
 * The reference's filename sanitiser: NFKD, drop non-ASCII, replace anything but word characters,
 * whitespace, `.` and `-` with `_`, collapse whitespace to `_`, strip leading/trailing `.`/`_`,
 * `unnamed` when empty, and shorten to `maxLength` keeping the extension.
 */
export function sanitizeFilename(name: string, maxLength = 255): string {
  let s = name.normalize('NFKD').replace(/[^\x00-\x7F]/g, '');
  s = s.replace(/[^\w\s.-]/g, '_');
  s = s.replace(/\s+/g, '_');
  s = s.replace(/^[._]+|[._]+$/g, '');
  // Control characters are not \w, so they became `_` above; `..` can only survive inside a name.
  s = s.replace(/\.{2,}/g, '.');
  if (s.length === 0) s = 'unnamed';
  if (s.length > maxLength) {
    const dot = s.lastIndexOf('.');
    let ext = dot > 0 && s.length - dot <= 20 ? s.slice(dot) : '';
    // Keep the extension only with at least one character of name before it; the shortened name loses
    // a trailing `.`, so the result never holds `..` (which a document id may not).
    if (ext.length >= maxLength) ext = '';
    const name = s.slice(0, maxLength - ext.length).replace(/\.+$/, '');
    s = (name || 'unnamed'.slice(0, Math.max(1, maxLength - ext.length))) + ext;
  }
  return s;
}

/**
 * A user id is a directory name in the file store, whose log directories end in this suffix (see
 * docs/format.md): an id ending in it would be taken for a log, so it is refused up front, by name.
 */
export const RESERVED_USER_ID_SUFFIX = '.fflog';

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value) && !value.endsWith(RESERVED_USER_ID_SUFFIX);
}

/** Throws FFValidationError naming `field` unless `value` is a valid user id. */
export function assertUserId(value: unknown, field = 'userId'): string {
  if (!isValidUserId(value)) {
    const reserved = typeof value === 'string' && value.endsWith(RESERVED_USER_ID_SUFFIX);
    throw new FFValidationError([
      reserved
        ? {
            path: field,
            message: `must not end with "${RESERVED_USER_ID_SUFFIX}" (the store's log directories do)`,
          }
        : {
            path: field,
            message: `must match ${USER_ID_PATTERN.source} (1-100 characters, letters, digits, _ . @ -; no leading symbol)`,
            limit: 100,
          },
    ]);
  }
  return value;
}

/** Throws FFValidationError naming `field` unless `value` is a safe id (session, document, panel, persona, …). */
export function assertSafeId(value: unknown, field: string, pattern: RegExp = SAFE_ID_PATTERN): string {
  if (typeof value !== 'string' || !pattern.test(value) || value.includes('..')) {
    throw new FFValidationError([{ path: field, message: `must match ${pattern.source}` }]);
  }
  return value;
}
