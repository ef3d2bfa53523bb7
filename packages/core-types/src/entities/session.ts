import { z } from 'zod';
import { IsoTimestamp, Metadata } from './common.js';

/** The longest session title any configuration allows (`runtime.maxSessionNameLength` may not exceed it). */
export const SESSION_TITLE_MAX_CHARS = 1000;

export const SessionSchema = z.object({
  sessionId: z.string().min(1),
  userId: z.string().min(1),
  /** Hard bound; `runtime.maxSessionNameLength` (200) is the configured one. */
  title: z.string().max(SESSION_TITLE_MAX_CHARS),
  /** `chat`, `panel`, `debate`, `problem_solving` or a custom type. */
  sessionType: z.string().min(1),
  createdAt: IsoTimestamp,
  updatedAt: IsoTimestamp,
  /** Always exact: derived from the message log. */
  messageCount: z.number().int().nonnegative(),
  metadata: Metadata,
});
export type Session = z.infer<typeof SessionSchema>;

export const DEFAULT_SESSION_TITLES: Record<string, string> = {
  chat: 'New Chat',
  panel: 'Panel Session',
  debate: 'Debate Session',
  problem_solving: 'Problem Solving Session',
};
export const FALLBACK_SESSION_TITLE = 'New Session';

export const SessionUpdateSchema = z.object({
  title: z.string().min(1).max(SESSION_TITLE_MAX_CHARS).optional(),
  metadata: Metadata.optional(),
});
export type SessionUpdate = z.infer<typeof SessionUpdateSchema>;
