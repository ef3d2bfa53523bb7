import type { Adapter, HealthReport, JsonObject, Lifecycle } from './common.js';

/**
 * The storage port: blobs (small or large files written atomically) and append-only logs
 * (messages, panel messages, stream deltas). Keys are relative `/`-separated paths validated with
 * `validateKey`; an adapter must reject any key that could resolve outside its store.
 *
 * Blobs and logs share one namespace of prefixes: `delete('users/u1')` removes every blob *and*
 * every log under `users/u1/`.
 */
export interface StorageCapabilities {
  /** Blob writes are all-or-nothing: a reader sees the old or the new bytes, never a mix. */
  atomicBlobs: boolean;
  /** Appends are durable (fsync or equivalent) when their promise resolves, per `durability`. */
  durableAppends: boolean;
  /** Several processes may open the same store safely. */
  multiProcess: boolean;
  /** `watchLog` sees appends made by other processes. */
  crossProcessWatch: boolean;
  /** `verify` and `compact` do real work. */
  maintenance: boolean;
  /** Data survives `close()` + reopen. */
  persistent: boolean;
}

export interface BlobStat {
  key: string;
  size: number;
  isDirectory: boolean;
  createdAt: string;
  modifiedAt: string;
}

/** One record of a log with its 0-based sequence number (position in the log). */
export interface LogEntry<T extends JsonObject = JsonObject> {
  seq: number;
  data: T;
}

export interface LogReadOptions {
  /**
   * Forward: the first seq to return (default 0).
   * Reverse: the highest seq to return (default the last record).
   */
  fromSeq?: number;
  /** Maximum records to return (default: all). */
  limit?: number;
  /** Newest first. */
  reverse?: boolean;
}

export interface LogAppendResult {
  /** seq of the first appended record. */
  firstSeq: number;
  /** Number of records appended. */
  count: number;
}

export interface WatchOptions {
  /** First seq to deliver; records already present from this seq on are delivered first. */
  fromSeq?: number;
  signal?: AbortSignal;
  /** Polling interval for changes made by other processes (ms). */
  pollIntervalMs?: number;
}

export interface LockOptions {
  /** Overrides `locking.timeoutSeconds`. */
  timeoutMs?: number;
}

export interface StorageUsage {
  /** Bytes of data on disk (after compression; space a backend reserves ahead of writing is not counted). */
  bytes: number;
  /** Bytes before compression (JSON size of records + blob sizes). */
  logicalBytes: number;
  files: number;
}

export interface VerifyIssue {
  code: string;
  /**
   * The adapter's own finer code when `code` is a catalogued error code: the manager reports damaged
   * data as `FF_CORRUPTION` (API.md), with `kind` `corrupt_record`, `corrupt_block`, `corrupt_segment`.
   */
  kind?: string;
  key?: string;
  message: string;
  repaired?: boolean;
}

export interface VerifyReport {
  ok: boolean;
  issues: VerifyIssue[];
  checked?: { logs: number; records: number; blobs: number };
}

export interface CompactOptions {
  /** Re-compress sealed segments with the archival compressor (brotli). */
  archive?: boolean;
  /** Only archive segments older than this many days (default `compression.archiveAfterDays`). */
  olderThanDays?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface CompactReport {
  logsCompacted: number;
  segmentsRewritten: number;
  bytesBefore: number;
  bytesAfter: number;
}

export interface StorageBackend extends Adapter<StorageCapabilities>, Lifecycle {
  // ---- blobs ----
  /** Bytes of a blob, or null when it does not exist. */
  read(key: string): Promise<Uint8Array | null>;
  /** Atomically create or replace a blob (parents are created). */
  write(key: string, data: Uint8Array): Promise<void>;
  /** Atomically write a blob from a stream without holding it twice in memory; resolves to its size. */
  writeStream(key: string, chunks: AsyncIterable<Uint8Array>): Promise<number>;
  /** Stream a blob's bytes; null when it does not exist. */
  readStream(key: string): Promise<AsyncIterable<Uint8Array> | null>;
  /** Delete a blob, a log, or a whole tree of both. False when nothing existed. */
  delete(key: string): Promise<boolean>;
  /** True for an existing blob, log or non-empty prefix. */
  exists(key: string): Promise<boolean>;
  /**
   * Keys of blobs under `prefix` (direct children only unless `recursive`), sorted.
   * With `recursive: false`, sub-"directories" are returned as their key (no trailing slash).
   */
  list(prefix: string, options?: { recursive?: boolean }): Promise<string[]>;
  stat(key: string): Promise<BlobStat | null>;

  // ---- append-only logs ----
  /** Append records as one durable batch; concurrent appends never interleave within a batch. */
  append(log: string, records: readonly JsonObject[]): Promise<LogAppendResult>;
  readLog<T extends JsonObject = JsonObject>(log: string, options?: LogReadOptions): Promise<LogEntry<T>[]>;
  /** Exact number of records (0 for a missing log). */
  countLog(log: string): Promise<number>;
  /** Yields batches of new records in order until the signal aborts (then ends quietly). */
  watchLog<T extends JsonObject = JsonObject>(
    log: string,
    options?: WatchOptions,
  ): AsyncIterable<LogEntry<T>[]>;
  /** Names of logs under a prefix, sorted. */
  listLogs(prefix: string): Promise<string[]>;
  /** API.md's short names of countLog and watchLog (the manager calls those; adapters may offer these). */
  count?(log: string): Promise<number>;
  watch?<T extends JsonObject = JsonObject>(
    log: string,
    options?: WatchOptions,
  ): AsyncIterable<LogEntry<T>[]>;

  // ---- coordination and maintenance ----
  /** Run `fn` holding an exclusive lock on `key` (in-process mutex; cross-process where supported). */
  withLock<T>(key: string, fn: () => Promise<T>, options?: LockOptions): Promise<T>;
  healthCheck(): Promise<HealthReport>;
  verify(options?: { repair?: boolean }): Promise<VerifyReport>;
  compact(options?: CompactOptions): Promise<CompactReport>;
  usage(prefix?: string): Promise<StorageUsage>;
}
