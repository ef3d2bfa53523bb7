import type { Logger, StorageBackend } from '@ffdb/core-types';
import { z } from 'zod';

export const INDEX_TYPES = ['flat', 'ivf', 'hnsw', 'auto'] as const;
export type IndexType = (typeof INDEX_TYPES)[number];
/** What an index actually is right now (`auto` resolves to one of these). */
export type IndexKind = 'flat' | 'ivf' | 'hnsw';

const isStorage = (v: unknown): v is StorageBackend =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as StorageBackend).read === 'function' &&
  typeof (v as StorageBackend).append === 'function';

export const FaissVectorIndexOptionsSchema = z.object({
  /** Where indexes are persisted (the StorageBackend port; the manager passes its store). */
  storage: z.custom<StorageBackend>(isStorage, { message: 'must be a StorageBackend' }),
  /** Key prefix under which `<userId>/…` index files live. */
  prefix: z.string().min(1).default('index/vectors'),
  /** `flat` = exact; `ivf`/`hnsw` = approximate; `auto` = flat until `rebuildThreshold` live vectors, then `autoKind`. */
  indexType: z.enum(INDEX_TYPES).default('flat'),
  /** What `auto` switches to above `rebuildThreshold`. */
  autoKind: z.enum(['ivf', 'hnsw']).default('hnsw'),
  /** Live vectors above which `auto` leaves exact search (the reference's vector.indexRebuildThreshold). */
  rebuildThreshold: z.number().int().positive().default(10_000),
  /**
   * IVF lists probed per query (capped at the list count). Lexical embeddings need many: with the default
   * ~4·sqrt(n) lists, 256 gives recall@10 ~0.98 on 20k and ~0.97 on 100k Brown-text embeddings (16 gave ~0.65
   * and ~0.82); docs/performance.md (Vectors) has the curve.
   */
  nprobe: z.number().int().positive().max(65_536).default(256),
  /** IVF list count; default ~4·sqrt(n), bounded so every list gets about 39+ training points. */
  nlist: z.number().int().positive().max(65_536).optional(),
  /** IVF stays exact (flat) until this many vectors exist to train on. */
  ivfMinTrainSize: z.number().int().positive().default(1_000),
  /** HNSW neighbours per node. */
  hnswM: z.number().int().min(4).max(128).default(32),
  /**
   * HNSW build-time candidate list. 128 builds a better graph than 80 (100k Brown-text embeddings: recall@10
   * 0.972 instead of 0.949 at efSearch 32) for ~30 % more build time.
   */
  efConstruction: z.number().int().positive().max(4_096).default(128),
  /** HNSW query-time candidate list. */
  efSearch: z.number().int().positive().max(4_096).default(128),
  /** Rebuild (compact) an index when deleted vectors exceed this share of it. */
  tombstoneRebuildRatio: z.number().gt(0).max(1).default(0.3),
  /**
   * Write a full snapshot (and start a new journal) after this many journalled vectors. An upsert of at least
   * this many is journalled as one raw float32 file instead, folded into the next snapshot.
   */
  checkpointEvery: z.number().int().positive().default(20_000),
  /** Loaded user indexes kept in memory (LRU); evicted ones are checkpointed and reloaded lazily. */
  cacheMaxIndexes: z.number().int().positive().default(16),
  /**
   * A loaded index is brought up to date with what other processes made durable before every write, and
   * before a read (search, stats, entries, positions) once this long has passed since it last was
   * (checking costs ~30 µs, a tenth of an HNSW search). 0: before every read too.
   */
  readRefreshMs: z.number().int().min(0).max(60_000).default(100),
  /**
   * Snapshot and journal files of a generation other than the manifest's (left by a crash in the middle of a
   * checkpoint) are deleted on load and flush once they are this old: younger ones may belong to a
   * checkpoint another process is writing right now.
   */
  orphanGraceMs: z
    .number()
    .int()
    .nonnegative()
    .default(10 * 60_000),
  logger: z.custom<Logger>((v) => v === undefined || (typeof v === 'object' && v !== null)).optional(),
});

export type FaissVectorIndexOptions = z.input<typeof FaissVectorIndexOptionsSchema>;
export type ResolvedFaissVectorIndexOptions = z.output<typeof FaissVectorIndexOptionsSchema>;
