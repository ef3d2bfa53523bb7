import { z } from 'zod';
import { IsoTimestamp, Metadata, refineJson } from './common.js';

/** A user profile. Extra keys (name, email, …) are kept as top-level fields, never dropped. */
export const UserProfileSchema = z.looseObject({
  userId: z.string().min(1),
  username: z.string(),
  createdAt: IsoTimestamp,
  updatedAt: IsoTimestamp,
  preferences: Metadata,
  metadata: Metadata,
});
export type UserProfile = z.infer<typeof UserProfileSchema>;

export const UserProfileInputSchema = z
  .looseObject({
    username: z.string().max(200).optional(),
    preferences: Metadata.optional(),
    metadata: Metadata.optional(),
  })
  // The extra top-level keys are stored as JSON too (preferences and metadata are checked above).
  .superRefine(({ preferences: _p, metadata: _m, ...extra }, ctx) => refineJson(extra, ctx));
export type UserProfileInput = z.infer<typeof UserProfileInputSchema>;
