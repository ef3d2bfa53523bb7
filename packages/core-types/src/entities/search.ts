import { z } from 'zod';
import { EntityMap, Metadata, parseTimestampMs, SafeIdSchema } from './common.js';

/** A date given as a Date object or an ISO string (normalised to an ISO string). */
export const DateInput = z.union([z.date(), z.string()]).transform((d, ctx) => {
  const date = d instanceof Date ? d : new Date(parseTimestampMs(d));
  if (Number.isNaN(date.getTime())) {
    ctx.addIssue({ code: 'custom', message: 'must be a Date or an ISO-8601 string' });
    return z.NEVER;
  }
  return date.toISOString();
});

/** Longest search text accepted (the full-text index refuses longer ones too). */
export const SEARCH_QUERY_MAX_CHARS = 10_000;

export const SearchQuerySchema = z.object({
  query: z
    .string()
    .max(SEARCH_QUERY_MAX_CHARS, { message: `must be at most ${SEARCH_QUERY_MAX_CHARS} characters` })
    .default(''),
  userId: z.string().optional(),
  sessionIds: z.array(SafeIdSchema).optional(),
  startDate: DateInput.optional(),
  endDate: DateInput.optional(),
  messageRoles: z.array(z.string()).optional(),
  entities: EntityMap.optional(),
  metadata: Metadata.optional(),
  includeMessages: z.boolean().default(true),
  includeDocuments: z.boolean().default(false),
  includeContext: z.boolean().default(false),
  maxResults: z.number().int().nonnegative().optional(),
  minRelevanceScore: z.number().min(0).default(0),
  fuzzy: z.union([z.boolean(), z.number().int().min(0).max(3)]).default(false),
  prefix: z.boolean().default(false),
  useVectorSearch: z.boolean().default(false),
  hybridSearch: z.boolean().default(false),
  vectorWeight: z.number().min(0).max(1).optional(),
  similarityThreshold: z.number().min(-1).max(1).optional(),
  embeddingProvider: z.string().optional(),
  chunkingStrategy: z.string().optional(),
  /**
   * `or` (default, as the reference) keeps items matching any word, those matching more words ranked
   * higher; `and` requires every word.
   */
  mode: z.enum(['and', 'or']).optional(),
  /**
   * Opt-in extension: also return the user's panel messages (`type: 'panel_message'`, `sessionId` = the
   * panel id). Off by default, so results keep API.md's four types.
   */
  includePanelMessages: z.boolean().optional(),
});
export type SearchQuery = z.input<typeof SearchQuerySchema>;
export type ParsedSearchQuery = z.output<typeof SearchQuerySchema>;

export const SEARCH_RESULT_TYPES = [
  'message',
  'document',
  'context',
  'vector_chunk',
  'panel_message',
] as const;

export const ExplainSchema = z.object({
  text: z.number().optional(),
  vector: z.number().optional(),
  fused: z.number(),
});
export type Explain = z.infer<typeof ExplainSchema>;

export const SearchResultSchema = z.object({
  id: z.string(),
  type: z.enum(SEARCH_RESULT_TYPES),
  content: z.string(),
  sessionId: z.string(),
  userId: z.string(),
  timestamp: z.string(),
  relevanceScore: z.number(),
  highlights: z.array(z.tuple([z.number().int(), z.number().int()])),
  snippet: z.string(),
  metadata: Metadata,
  explain: ExplainSchema.optional(),
});
export type SearchResult = z.infer<typeof SearchResultSchema>;

export const VectorSearchResultSchema = z.object({
  chunkId: z.string(),
  chunkText: z.string(),
  /** Cosine similarity in [-1, 1] (the original wrongly rejected negatives). */
  similarityScore: z.number().min(-1).max(1),
  documentId: z.string(),
  sessionId: z.string(),
  metadata: Metadata,
});
export type VectorSearchResult = z.infer<typeof VectorSearchResultSchema>;

export const ProcessingResultSchema = z.object({
  success: z.boolean(),
  documentId: z.string(),
  chunkCount: z.number().int().nonnegative(),
  vectorCount: z.number().int().nonnegative(),
  /** Seconds, as in the original. */
  processingTime: z.number().nonnegative(),
  error: z.string().optional(),
  metadata: Metadata.optional(),
  /** Milliseconds per stage: extract, chunk, embed, index. */
  timings: z.record(z.string(), z.number()).optional(),
});
export type ProcessingResult = z.infer<typeof ProcessingResultSchema>;

export const ChunkSchema = z.object({
  text: z.string(),
  index: z.number().int().nonnegative(),
  total: z.number().int().positive(),
  charCount: z.number().int().nonnegative(),
  wordCount: z.number().int().nonnegative(),
  /** Character offsets into the whitespace-normalised text. */
  start: z.number().int().nonnegative(),
  end: z.number().int().nonnegative(),
});
export type Chunk = z.infer<typeof ChunkSchema>;
