import type { Clock, Compressor, Logger, StorageBackend } from '@ffdb/core-types';
import { z } from 'zod';

const isObjectWith =
  (...methods: string[]) =>
  (v: unknown): boolean =>
    typeof v === 'object' &&
    v !== null &&
    methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function');

export const LunrSearchOptionsSchema = z
  .object({
    /** Where segments and manifests are persisted (any StorageBackend). */
    storage: z.custom<StorageBackend>(isObjectWith('read', 'write', 'delete', 'list'), {
      message: 'must be a StorageBackend',
    }),
    /** Compresses segment blobs (e.g. lz4 from @ffdb/compression); none when omitted. */
    compressor: z
      .custom<Compressor>(isObjectWith('compress', 'decompress'), { message: 'must be a Compressor' })
      .optional(),
    /**
     * Also compress the index part of each segment (terms, postings, columns). Off by default: that
     * part is read on every load of a user and decompressing it costs more than reading it as is; the
     * contents (the larger part) are always compressed. Turn on to save ~14 % of disk (1,000-message users).
     */
    compressIndex: z.boolean().default(false),
    /** Key prefix of the index inside the store. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, { message: 'must be a relative key such as index/fts' })
      .default('index/fts'),
    /** Items kept in a user's in-memory tail before it is frozen into a segment. */
    flushThreshold: z.number().int().min(1).max(1_000_000).default(1000),
    /** Tails older than this are flushed in the background (0 disables the timer). */
    flushIntervalMs: z.number().int().min(0).max(3_600_000).default(1000),
    /** Segments kept loaded in memory across users (LRU by user). */
    segmentCacheSize: z.number().int().min(1).max(1_000_000).default(128),
    /** Users whose segments stay loaded (LRU). */
    cacheMaxUsers: z.number().int().min(1).max(1_000_000).default(64),
    /**
     * Bytes of loaded segments kept across users (LRU by user), next to the two counts above: whichever
     * bound is reached first unloads the least recently used users. The user being queried is never
     * unloaded, so one user larger than this still loads. Default 256 MiB (a 1,000-message user holds
     * ~1 MB, a 100,000-message one ~100 MB).
     */
    cacheMaxBytes: z
      .number()
      .int()
      .min(0)
      .default(256 * 1024 * 1024),
    /** Segments of the same size tier merged at once. */
    mergeFactor: z.number().int().min(2).max(100).default(10),
    /** Results returned when a query gives no limit. */
    defaultLimit: z.number().int().min(1).max(100_000).default(100),
    /** Upper bound for `limit` (default: none; results are gathered lazily, so a large limit costs only what matches). */
    maxLimit: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).default(Number.MAX_SAFE_INTEGER),
    /** Index terms a prefix or fuzzy term may expand to (per segment). */
    maxExpansions: z.number().int().min(1).max(10_000).default(50),
    /** Score multiplier when the whole query occurs contiguously (reference: relevanceBoostExactMatch). */
    exactMatchBoost: z.number().min(1).max(100).default(2),
    /** Snippet length in characters. */
    snippetLength: z.number().int().min(20).max(10_000).default(160),
    /**
     * Items waiting to be indexed (queued, or in tails being turned into segments) above which `add()`
     * waits for indexing to catch up. Appends never wait below it; it bounds memory under overload.
     */
    maxQueuedItems: z.number().int().min(1).default(50_000),
    /** Largest item content accepted, in characters. */
    maxContentChars: z.number().int().min(1).default(5_000_000),
    /**
     * Age after which a segment blob that no manifest names (left by a crash between the segment write
     * and the manifest write) is deleted when its user is first loaded. A younger one may be a segment
     * another process has just written and is about to name in its manifest.
     */
    orphanGraceMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .default(600_000),
    logger: z
      .custom<Logger>(isObjectWith('warn', 'debug', 'error'), { message: 'must be a Logger' })
      .optional(),
    clock: z.custom<Clock>(isObjectWith('now'), { message: 'must be a Clock' }).optional(),
  })
  .strict();

export type LunrSearchOptions = z.input<typeof LunrSearchOptionsSchema>;
export type ResolvedLunrSearchOptions = z.output<typeof LunrSearchOptionsSchema>;
