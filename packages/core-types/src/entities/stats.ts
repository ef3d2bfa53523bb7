import { z } from 'zod';

const Counts = z.record(z.string(), z.number());

export const SessionStatsSchema = z.looseObject({
  sessionId: z.string(),
  userId: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  storagePath: z.string(),
  messageCount: z.number(),
  documentCount: z.number(),
  totalSizeBytes: z.number(),
  averageMessageSize: z.number(),
  vectorCount: z.number(),
  hasContext: z.boolean(),
  contextSnapshots: z.number(),
  lastActivity: z.string(),
});
export type SessionStats = z.infer<typeof SessionStatsSchema>;

export const UserStatsSchema = z.looseObject({
  userId: z.string(),
  sessionCount: z.number(),
  messageCount: z.number(),
  documentCount: z.number(),
  totalSizeBytes: z.number(),
  messagesByRole: Counts,
  firstActivity: z.string().nullable(),
  lastActivity: z.string().nullable(),
});
export type UserStats = z.infer<typeof UserStatsSchema>;

export const StorageStatsSchema = z.looseObject({
  userCount: z.number(),
  sessionCount: z.number(),
  messageCount: z.number(),
  documentCount: z.number(),
  totalSizeBytes: z.number(),
  /** bytes on disk / logical bytes (1 = no saving). */
  compressionRatio: z.number(),
});
export type StorageStats = z.infer<typeof StorageStatsSchema>;

export const DocumentStatsSchema = z.looseObject({
  totalDocuments: z.number(),
  totalSizeBytes: z.number(),
  totalSizeMb: z.number(),
  documentTypes: Counts,
  mostCommonType: z.string().nullable(),
});
export type DocumentStats = z.infer<typeof DocumentStatsSchema>;

export const ConversationAnalysisSchema = z.looseObject({
  messageCount: z.number(),
  messagesByRole: Counts,
  averageMessageLength: z.number(),
  firstMessageAt: z.string().nullable(),
  lastMessageAt: z.string().nullable(),
  topTerms: z.array(z.object({ term: z.string(), count: z.number() })),
  activityByHour: z.array(z.number()),
});
export type ConversationAnalysis = z.infer<typeof ConversationAnalysisSchema>;

export const UserAnalyticsSchema = z.looseObject({
  days: z.number(),
  messagesPerDay: z.array(z.object({ date: z.string(), count: z.number() })),
  sessionsCreated: z.number(),
  messagesByRole: Counts,
});
export type UserAnalytics = z.infer<typeof UserAnalyticsSchema>;

export const PanelStatsSchema = z.looseObject({
  panelId: z.string(),
  messageCount: z.number(),
  messagesByPersona: Counts,
  averageConsensus: z.number().nullable(),
  insightCount: z.number(),
});
export type PanelStats = z.infer<typeof PanelStatsSchema>;
