import { z } from 'zod';
import { EntityMap, IsoTimestamp, Metadata, UnitInterval, UtcTimestampInput } from './common.js';

export const MAX_KEY_POINTS = 10;

export const SituationalContextSchema = z.object({
  summary: z.string().refine((s) => s.trim().length > 0, { message: 'summary cannot be empty' }),
  keyPoints: z.array(z.string()).max(MAX_KEY_POINTS, `too many key points (max ${MAX_KEY_POINTS})`),
  entities: EntityMap,
  timestamp: IsoTimestamp,
  confidence: UnitInterval,
  messageRange: z.object({ start: z.string(), end: z.string() }).nullable(),
  metadata: Metadata,
});
export type SituationalContext = z.infer<typeof SituationalContextSchema>;

export const SituationalContextInputSchema = z.object({
  summary: SituationalContextSchema.shape.summary,
  keyPoints: SituationalContextSchema.shape.keyPoints.optional(),
  entities: EntityMap.optional(),
  timestamp: UtcTimestampInput.optional(),
  confidence: UnitInterval.optional(),
  messageRange: SituationalContextSchema.shape.messageRange.optional(),
  metadata: Metadata.optional(),
});
export type SituationalContextInput = z.infer<typeof SituationalContextInputSchema>;

/** A stored snapshot with its id (`context_<YYYYMMDD>_<HHMMSS>_<6 digits>`). */
export interface ContextSnapshot {
  snapshotId: string;
  context: SituationalContext;
}
