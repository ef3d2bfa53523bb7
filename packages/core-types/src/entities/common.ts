import { z } from 'zod';
import { SAFE_ID_PATTERN } from '../ids.js';

/** ISO-8601 timestamp string (the store writes UTC with `Z`; imported data may carry an offset). */
export const IsoTimestamp = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 timestamp' });
/**
 * A timestamp a caller gives for something stored (a message, a context, a persona): a Date or any
 * ISO-8601 string, stored as UTC with `Z` (API.md §1). An offset is applied; a date-time without one
 * is local time, as in JavaScript's Date (and the Python importer's default).
 */
export const UtcTimestampInput = z.union([z.string(), z.date()]).transform((v, ctx) => {
  const t = v instanceof Date ? v.getTime() : Date.parse(v);
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

export const Metadata = z.record(z.string(), z.unknown());
export type Metadata = z.infer<typeof Metadata>;
export const EntityMap = z.record(z.string(), z.array(z.string()));
export type EntityMap = z.infer<typeof EntityMap>;
/** A probability-like score in [0, 1]. */
export const UnitInterval = z.number().min(0).max(1);

export function nowIso(date: Date = new Date()): string {
  return date.toISOString();
}
