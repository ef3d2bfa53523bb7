import { randomBytes } from 'node:crypto';
import { FFValidationError } from './errors.js';

/** Caller-chosen user ids: no sanitising, no silent renaming — anything else is rejected. */
export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$/;

/** `<prefix>_<YYYYMMDD>_<HHMMSS>_<6 digits>` — session, panel and context snapshot ids. */
export const TIMED_ID_PATTERN = /^[a-z][a-z_]*_\d{8}_\d{6}_\d{6}$/;
/** Ids this store generates or imports: conservative characters only, so they are always safe path segments. */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}$/;
export const DOCUMENT_ID_PATTERN = /^[0-9a-f]{8}_[A-Za-z0-9_.-]{1,255}$/;

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
 * 3-digit counter within that millisecond. A process-wide logical clock never goes backwards, so ids
 * are unique and lexically ordered by creation within a process even for back-to-back calls; when
 * more than 1000 ids are asked for in one millisecond the clock borrows from the next one.
 * Across processes the caller still checks existence under a lock (see the manager).
 */
let lastTick = 0; // milliseconds * 1000 + counter

function nextTick(now: Date): number {
  const candidate = now.getTime() * 1000;
  lastTick = candidate > lastTick ? candidate : lastTick + 1;
  return lastTick;
}

function formatTimed(prefix: string, tick: number): string {
  const ms = Math.floor(tick / 1000);
  const counter = tick % 1000;
  const d = new Date(ms);
  const p = (v: number, w = 2) => String(v).padStart(w, '0');
  const date = `${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}`;
  const time = `${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}`;
  return `${prefix}_${date}_${time}_${p(d.getUTCMilliseconds(), 3)}${p(counter, 3)}`;
}

export function generateTimedId(prefix: string, now: Date = new Date()): string {
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
  return `${randomHex(8)}_${sanitizeFilename(filename)}`;
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
    const ext = dot > 0 && s.length - dot <= 20 ? s.slice(dot) : '';
    s = s.slice(0, maxLength - ext.length) + ext;
  }
  return s;
}

export function isValidUserId(value: unknown): value is string {
  return typeof value === 'string' && USER_ID_PATTERN.test(value);
}

/** Throws FFValidationError naming `field` unless `value` is a valid user id. */
export function assertUserId(value: unknown, field = 'userId'): string {
  if (!isValidUserId(value)) {
    throw new FFValidationError([
      {
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
