import { z } from 'zod';

/** ISO-8601 timestamp string (the store writes UTC with `Z`; imported data may carry an offset). */
export const IsoTimestamp = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 timestamp' });
export const Metadata = z.record(z.string(), z.unknown());
export type Metadata = z.infer<typeof Metadata>;
export const EntityMap = z.record(z.string(), z.array(z.string()));
export type EntityMap = z.infer<typeof EntityMap>;
/** A probability-like score in [0, 1]. */
export const UnitInterval = z.number().min(0).max(1);

export function nowIso(date: Date = new Date()): string {
  return date.toISOString();
}
