import type { Clock, Codec, Compressor, Logger } from '@ffdb/core-types';
import { FFValidationError } from '@ffdb/core-types';
import { z } from 'zod';

/** How long an append waits before its promise resolves. */
export const DurabilitySchema = z.enum(['always', 'batch', 'none']);
export type Durability = z.infer<typeof DurabilitySchema>;

const portSchema = <T>(name: string, methods: string[]) =>
  z.custom<T>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
    { message: `${name} must implement ${methods.join(', ')}` },
  );

/**
 * Options of the filesystem backend. Every number has a bound so a typo cannot turn into an
 * unbounded cache or a zero-byte segment.
 */
export const FsStorageOptionsSchema = z.object({
  /** Root directory of the store. */
  basePath: z.string().min(1),
  /** Create the base path when it does not exist (false: FF_STORAGE_MISSING_BASE). */
  createIfMissing: z.boolean().default(true),
  /** `always`: fsync before an append resolves; `batch`: fsync within `batchDelayMs`; `none`: never wait. */
  durability: DurabilitySchema.default('always'),
  batchDelayMs: z.number().int().min(0).max(10_000).default(5),
  /** Bound on every lock wait (locking.timeoutSeconds * 1000). */
  lockTimeoutMs: z.number().int().min(1).max(3_600_000).default(30_000),
  /** A lock file whose owner is on another host (or unreadable) is considered stale after this long. */
  lockStaleMs: z.number().int().min(100).max(3_600_000).default(30_000),
  /** The active segment of a log is sealed (and compressed) once it reaches this size. */
  segmentMaxBytes: z
    .number()
    .int()
    .min(4096)
    .max(1 << 30)
    .default(1 << 20),
  /** … or once it holds this many records. */
  segmentMaxRecords: z
    .number()
    .int()
    .min(1)
    .max(1 << 30)
    .default(10_000),
  /** Uncompressed size of one block inside a sealed segment. */
  blockBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 << 20)
    .default(64 << 10),
  /**
   * Uncompressed size of one block in an archived segment (`compact` to `archiveCompressor`). Larger
   * blocks compress better and cheaper (brotli: ~71 % at quality 6 on 1 MiB vs ~69 % on 64 KiB);
   * archived data is old, so decoding a bigger block per read is the right trade.
   */
  archiveBlockBytes: z
    .number()
    .int()
    .min(1024)
    .max(16 << 20)
    .default(1 << 20),
  /** The WAL is checkpointed into segments when it holds this many bytes. */
  walCheckpointBytes: z
    .number()
    .int()
    .min(64 << 10)
    .max(1 << 30)
    .default(32 << 20),
  /** Checkpoint after this long without appends (0 disables the idle checkpoint). */
  checkpointIdleMs: z.number().int().min(0).max(3_600_000).default(5_000),
  /** Open file descriptors kept for reading segments. */
  maxOpenFiles: z.number().int().min(4).max(100_000).default(128),
  /** Decoded sealed blocks kept in memory (bytes of raw JSON, approximate). */
  cacheMaxBytes: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31) // 2 GiB (not `1 << 31`: that is -2^31 in 32-bit integer arithmetic)
    .default(32 << 20),
  /** Sealed segments older than this are re-compressed with `archiveCompressor` by `compact()`. */
  archiveAfterDays: z.number().min(0).max(36_500).optional(),
  /** Polling interval of `watchLog` for appends by other processes. */
  watchPollMs: z.number().int().min(5).max(60_000).default(200),
  compressor: portSchema<Compressor>('compressor', ['compress', 'decompress']).optional(),
  archiveCompressor: portSchema<Compressor>('archiveCompressor', ['compress', 'decompress']).optional(),
  /** Extra decompressors for segments written with another algorithm earlier. */
  decompressors: z.array(portSchema<Compressor>('decompressor', ['compress', 'decompress'])).optional(),
  codec: portSchema<Codec>('codec', ['encode', 'decode']).optional(),
  /** Extra codecs for segments written with another codec earlier. */
  codecs: z.array(portSchema<Codec>('codec', ['encode', 'decode'])).optional(),
  logger: portSchema<Logger>('logger', ['info', 'warn', 'error', 'debug']).optional(),
  clock: portSchema<Clock>('clock', ['now']).optional(),
});

export type FsStorageOptionsInput = z.input<typeof FsStorageOptionsSchema>;
export type FsStorageOptions = z.output<typeof FsStorageOptionsSchema>;

/** Parses options into one FFValidationError naming each bad field. */
export function parseFsStorageOptions(input: unknown): FsStorageOptions {
  const result = FsStorageOptionsSchema.safeParse(input);
  if (!result.success) {
    throw new FFValidationError(
      result.error.issues.map((i) => ({ path: i.path.join('.') || 'options', message: i.message })),
    );
  }
  return result.data;
}

/**
 * Maps an FFConfig-like object (camelCased reference sections) onto explicit options, so the
 * manager can write `createFsStorage(fsStorageOptionsFromConfig(config))`.
 */
export function fsStorageOptionsFromConfig(
  config: Record<string, any>,
  extra: Partial<FsStorageOptionsInput> = {},
): FsStorageOptionsInput {
  const storage = config.storage ?? {};
  const locking = config.locking ?? {};
  const compression = config.compression ?? {};
  const out: Record<string, unknown> = { basePath: storage.basePath ?? './data' };
  if (storage.durability !== undefined) out.durability = storage.durability;
  if (typeof storage.batchDelayMs === 'number') out.batchDelayMs = storage.batchDelayMs;
  if (typeof storage.maxOpenFiles === 'number') out.maxOpenFiles = storage.maxOpenFiles;
  if (typeof storage.walMaxBytes === 'number') out.walCheckpointBytes = storage.walMaxBytes;
  if (typeof storage.segmentMaxRecords === 'number') out.segmentMaxRecords = storage.segmentMaxRecords;
  if (typeof locking.timeoutSeconds === 'number')
    out.lockTimeoutMs = Math.max(1, Math.round(locking.timeoutSeconds * 1000));
  if (typeof compression.archiveAfterDays === 'number') out.archiveAfterDays = compression.archiveAfterDays;
  return { ...(out as FsStorageOptionsInput), ...extra };
}
