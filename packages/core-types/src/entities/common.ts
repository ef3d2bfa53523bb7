import { z } from 'zod';
import { SAFE_ID_PATTERN } from '../ids.js';

const CALENDAR_DATE = /^\s*([+-]\d{6}|\d{4})-(\d{2})-(\d{2})/;

/**
 * `Date.parse`, except that a calendar date that does not exist is NaN: V8 rolls `2024-02-30` over to
 * March 1st and `2023-02-29` to March 1st, which would store a shifted time instead of refusing it
 * (Python's `fromisoformat`, the reference, refuses both).
 */
export function parseTimestampMs(s: string): number {
  const ms = Date.parse(s);
  if (Number.isNaN(ms)) return ms;
  const m = CALENDAR_DATE.exec(s);
  if (m) {
    const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
    const probe = new Date(0);
    probe.setUTCFullYear(year, month - 1, day);
    if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) return Number.NaN;
  }
  return ms;
}

/** ISO-8601 timestamp string (the store writes UTC with `Z`; imported data may carry an offset). */
export const IsoTimestamp = z
  .string()
  .refine((s) => !Number.isNaN(parseTimestampMs(s)), { message: 'must be an ISO-8601 timestamp' });
/**
 * A timestamp a caller gives for something stored (a message, a context, a persona): a Date or any
 * ISO-8601 string, stored as UTC with `Z` (API.md §1). An offset is applied; a date-time without one
 * is local time, as in JavaScript's Date (and the Python importer's default).
 */
export const UtcTimestampInput = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const t = v instanceof Date ? v.getTime() : parseTimestampMs(v);
  if (Number.isNaN(t)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 timestamp or a Date' });
    return z.NEVER;
  }
  return new Date(t).toISOString();
});

/** A session, panel or other id that becomes a key segment (see assertSafeId): hostile ids never pass. */
export const SafeIdSchema = z
  .string()
  .regex(SAFE_ID_PATTERN, `must match ${SAFE_ID_PATTERN.source}`)
  .refine((s) => !s.includes('..'), { message: 'must not contain ".."' });

/**
 * Where and why `value` would not survive a JSON round trip (a function, a BigInt, a symbol, NaN, a Map
 * or other class instance, a cycle), or null when it would. Dates are fine (they become ISO strings);
 * `undefined` is fine (it is dropped, as JSON.stringify drops it).
 */
export function jsonProblem(
  value: unknown,
  seen: Set<object> = new Set(),
): { path: (string | number)[]; message: string } | null {
  switch (typeof value) {
    case 'string':
    case 'boolean':
    case 'undefined':
      return null;
    case 'number':
      return Number.isFinite(value)
        ? null
        : { path: [], message: 'must be a finite number (JSON has no NaN)' };
    case 'object':
      break;
    default:
      return { path: [], message: `is a ${typeof value}, which JSON cannot store` };
  }
  if (value === null || value instanceof Date) return null;
  if (seen.has(value)) return { path: [], message: 'refers to itself (JSON cannot store a cycle)' };
  const proto = Object.getPrototypeOf(value);
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) {
    const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
    return { path: [], message: `is a ${name}, not a plain object (JSON cannot store it faithfully)` };
  }
  seen.add(value);
  try {
    const entries: [string | number, unknown][] = Array.isArray(value)
      ? value.map((v, i) => [i, v])
      : Object.entries(value);
    for (const [key, v] of entries) {
      const inner = jsonProblem(v, seen);
      if (inner) return { path: [key, ...inner.path], message: inner.message };
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/** Adds a zod issue at the first value of `value` that JSON cannot store (see jsonProblem). */
export function refineJson(value: unknown, ctx: z.RefinementCtx): void {
  const problem = jsonProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
}

/** Caller metadata: a plain object of JSON values (stored as JSON; nothing is dropped silently). */
export const Metadata = z.record(z.string(), z.unknown()).superRefine(refineJson);
export type Metadata = z.infer<typeof Metadata>;
export const EntityMap = z.record(z.string(), z.array(z.string()));
export type EntityMap = z.infer<typeof EntityMap>;
/** A probability-like score in [0, 1]. */
export const UnitInterval = z.number().min(0).max(1);

export function nowIso(date: Date = new Date()): string {
  return date.toISOString();
}
