import {
  type BlobStat,
  type CompactOptions,
  type CompactReport,
  FFStorageError,
  FFValidationError,
  type HealthReport,
  type JsonObject,
  type LockOptions,
  type LogAppendResult,
  type LogEntry,
  type LogReadOptions,
  type StorageBackend,
  type StorageCapabilities,
  type StorageUsage,
  type VerifyReport,
  type WatchOptions,
  validateKey,
  validatePrefix,
} from '@ffdb/core-types';
import { z } from 'zod';
import { KeyedMutex } from './async-mutex.js';

export const MemoryStorageBackendOptionsSchema = z
  .object({
    /** Default `withLock` timeout when the caller gives none (the role of `locking.timeoutSeconds`). */
    lockTimeoutMs: z.number().int().positive().default(10_000),
    /** Size of the chunks `readStream` yields. */
    readChunkBytes: z
      .number()
      .int()
      .positive()
      .default(64 * 1024),
  })
  .strict();

export type MemoryStorageBackendOptions = z.input<typeof MemoryStorageBackendOptionsSchema>;

interface StoredBlob {
  data: Uint8Array;
  createdAt: string;
  modifiedAt: string;
}

interface StoredLog {
  /** Records kept as JSON text: every read parses a fresh copy, so callers can never alias stored data. */
  records: string[];
  bytes: number;
  createdAt: string;
  modifiedAt: string;
}

const encoder = new TextEncoder();

function copy(data: Uint8Array): Uint8Array {
  return new Uint8Array(data);
}

function isUnder(key: string, prefix: string): boolean {
  return prefix === '' || key.startsWith(`${prefix}/`);
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkCount(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new FFValidationError([{ path: field, message: 'must be a non-negative integer' }]);
  }
  return value;
}

function isPlainObject(value: unknown): value is JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * The reference StorageBackend: everything in memory, behaviour exactly as the port describes.
 * Data survives `close()` + `open()` on the same instance (not a process exit: `persistent` is false).
 * A fresh instance is usable without `open()`; after `close()` every call throws FF_CLOSED until `open()`.
 */
export class MemoryStorageBackend implements StorageBackend {
  readonly id = 'memory';
  readonly capabilities: StorageCapabilities = {
    atomicBlobs: true,
    durableAppends: false,
    multiProcess: false,
    crossProcessWatch: false,
    maintenance: false,
    persistent: false,
  };

  private readonly options: z.output<typeof MemoryStorageBackendOptionsSchema>;
  private readonly blobs = new Map<string, StoredBlob>();
  private readonly logs = new Map<string, StoredLog>();
  private readonly watchers = new Map<string, Set<() => void>>();
  private readonly mutex = new KeyedMutex();
  private closed = false;
  /** Aborted on close so open watchers end quietly. */
  private lifetime = new AbortController();

  constructor(options: MemoryStorageBackendOptions = {}) {
    const parsed = MemoryStorageBackendOptionsSchema.safeParse(options);
    if (!parsed.success) {
      throw new FFValidationError(
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    }
    this.options = parsed.data;
  }

  async open(): Promise<void> {
    if (this.closed) {
      this.closed = false;
      this.lifetime = new AbortController();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.lifetime.abort();
  }

  private ensureOpen(operation: string, key?: string): void {
    if (this.closed) throw new FFStorageError(operation, key, 'the store is closed', { code: 'FF_CLOSED' });
  }

  private now(): string {
    return new Date().toISOString();
  }

  // ---- blobs ----

  async read(key: string): Promise<Uint8Array | null> {
    validateKey(key);
    this.ensureOpen('read', key);
    const blob = this.blobs.get(key);
    return blob ? copy(blob.data) : null;
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    validateKey(key);
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'must be a Uint8Array' }]);
    this.ensureOpen('write', key);
    this.putBlob(key, copy(data));
  }

  private putBlob(key: string, data: Uint8Array): void {
    const now = this.now();
    const existing = this.blobs.get(key);
    this.blobs.set(key, { data, createdAt: existing?.createdAt ?? now, modifiedAt: now });
  }

  async writeStream(key: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
    validateKey(key);
    this.ensureOpen('writeStream', key);
    const parts: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of chunks) {
      if (!(chunk instanceof Uint8Array))
        throw new FFValidationError([{ path: 'chunks', message: 'every chunk must be a Uint8Array' }]);
      parts.push(copy(chunk));
      size += chunk.byteLength;
    }
    this.ensureOpen('writeStream', key);
    const data = new Uint8Array(size);
    let offset = 0;
    for (const part of parts) {
      data.set(part, offset);
      offset += part.byteLength;
    }
    // Stored only once the whole stream arrived: readers see the old blob until then.
    this.putBlob(key, data);
    return size;
  }

  async readStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    validateKey(key);
    this.ensureOpen('readStream', key);
    const blob = this.blobs.get(key);
    if (!blob) return null;
    const snapshot = blob.data; // stored arrays are never mutated in place, so this is a stable snapshot
    const chunkSize = this.options.readChunkBytes;
    return (async function* () {
      if (snapshot.byteLength === 0) return;
      for (let offset = 0; offset < snapshot.byteLength; offset += chunkSize) {
        yield snapshot.slice(offset, offset + chunkSize);
      }
    })();
  }

  async delete(key: string): Promise<boolean> {
    validateKey(key);
    this.ensureOpen('delete', key);
    let removed = false;
    for (const map of [this.blobs, this.logs] as Map<string, unknown>[]) {
      for (const k of [...map.keys()]) {
        if (k === key || isUnder(k, key)) {
          map.delete(k);
          removed = true;
        }
      }
    }
    return removed;
  }

  async exists(key: string): Promise<boolean> {
    validateKey(key);
    this.ensureOpen('exists', key);
    if (this.blobs.has(key) || this.logs.has(key)) return true;
    for (const k of this.blobs.keys()) if (isUnder(k, key)) return true;
    for (const k of this.logs.keys()) if (isUnder(k, key)) return true;
    return false;
  }

  async list(prefix: string, options: { recursive?: boolean } = {}): Promise<string[]> {
    const base = validatePrefix(prefix);
    this.ensureOpen('list', base);
    const start = base === '' ? 0 : base.length + 1;
    const out = new Set<string>();
    for (const k of this.blobs.keys()) {
      if (!isUnder(k, base)) continue;
      if (options.recursive) {
        out.add(k);
        continue;
      }
      const slash = k.indexOf('/', start);
      out.add(slash === -1 ? k : k.slice(0, slash));
    }
    if (!options.recursive) {
      // A directory that holds only logs is still a directory of the store.
      for (const k of this.logs.keys()) {
        if (!isUnder(k, base)) continue;
        const slash = k.indexOf('/', start);
        if (slash !== -1) out.add(k.slice(0, slash));
      }
    }
    return [...out].sort(byCodeUnit);
  }

  async stat(key: string): Promise<BlobStat | null> {
    validateKey(key);
    this.ensureOpen('stat', key);
    const blob = this.blobs.get(key);
    if (blob) {
      return {
        key,
        size: blob.data.byteLength,
        isDirectory: false,
        createdAt: blob.createdAt,
        modifiedAt: blob.modifiedAt,
      };
    }
    const log = this.logs.get(key);
    if (log)
      return {
        key,
        size: log.bytes,
        isDirectory: false,
        createdAt: log.createdAt,
        modifiedAt: log.modifiedAt,
      };
    let oldest: string | undefined;
    let newest: string | undefined;
    for (const [k, v] of [...this.blobs, ...this.logs] as [
      string,
      { createdAt: string; modifiedAt: string },
    ][]) {
      if (!isUnder(k, key)) continue;
      if (oldest === undefined || v.createdAt < oldest) oldest = v.createdAt;
      if (newest === undefined || v.modifiedAt > newest) newest = v.modifiedAt;
    }
    if (oldest === undefined || newest === undefined) return null;
    return { key, size: 0, isDirectory: true, createdAt: oldest, modifiedAt: newest };
  }

  // ---- append-only logs ----

  async append(log: string, records: readonly JsonObject[]): Promise<LogAppendResult> {
    validateKey(log, 'log');
    if (!Array.isArray(records))
      throw new FFValidationError([{ path: 'records', message: 'must be an array of objects' }]);
    // Serialise everything first: a bad record rejects the whole batch and nothing is written.
    const lines = records.map((record, i) => {
      if (!isPlainObject(record))
        throw new FFValidationError([{ path: `records.${i}`, message: 'must be a plain JSON object' }]);
      try {
        return JSON.stringify(record);
      } catch (cause) {
        throw new FFValidationError([{ path: `records.${i}`, message: 'is not JSON-serialisable' }], {
          cause,
        });
      }
    });
    this.ensureOpen('append', log);
    const now = this.now();
    let stored = this.logs.get(log);
    if (!stored) {
      stored = { records: [], bytes: 0, createdAt: now, modifiedAt: now };
      if (lines.length > 0) this.logs.set(log, stored);
    }
    const firstSeq = stored.records.length;
    // One synchronous step: no other append can run in between, so a batch is always contiguous.
    for (const line of lines) {
      stored.records.push(line);
      stored.bytes += encoder.encode(line).byteLength;
    }
    if (lines.length > 0) {
      stored.modifiedAt = now;
      this.notify(log);
    }
    return { firstSeq, count: lines.length };
  }

  private notify(log: string): void {
    const set = this.watchers.get(log);
    if (!set) return;
    for (const wake of [...set]) wake();
  }

  async readLog<T extends JsonObject = JsonObject>(
    log: string,
    options: LogReadOptions = {},
  ): Promise<LogEntry<T>[]> {
    validateKey(log, 'log');
    const fromSeq = checkCount(options.fromSeq, 'fromSeq');
    const limit = checkCount(options.limit, 'limit');
    this.ensureOpen('readLog', log);
    const records = this.logs.get(log)?.records ?? [];
    const out: LogEntry<T>[] = [];
    const max = limit ?? Number.POSITIVE_INFINITY;
    if (options.reverse) {
      const hi = Math.min(fromSeq ?? records.length - 1, records.length - 1);
      for (let seq = hi; seq >= 0 && out.length < max; seq--) {
        out.push({ seq, data: JSON.parse(records[seq] as string) as T });
      }
    } else {
      for (let seq = fromSeq ?? 0; seq < records.length && out.length < max; seq++) {
        out.push({ seq, data: JSON.parse(records[seq] as string) as T });
      }
    }
    return out;
  }

  /** API.md's name for countLog. */
  count(log: string): Promise<number> {
    return this.countLog(log);
  }

  /** API.md's name for watchLog. */
  watch<T extends JsonObject = JsonObject>(
    log: string,
    options?: WatchOptions,
  ): AsyncIterable<LogEntry<T>[]> {
    return this.watchLog<T>(log, options);
  }

  async countLog(log: string): Promise<number> {
    validateKey(log, 'log');
    this.ensureOpen('countLog', log);
    return this.logs.get(log)?.records.length ?? 0;
  }

  watchLog<T extends JsonObject = JsonObject>(
    log: string,
    options: WatchOptions = {},
  ): AsyncIterable<LogEntry<T>[]> {
    // Validated eagerly, so a hostile key fails at the call and again at the first `next()`.
    validateKey(log, 'log');
    const fromSeq = checkCount(options.fromSeq, 'fromSeq') ?? 0;
    const { signal } = options;
    const lifetime = this.lifetime.signal;
    return {
      [Symbol.asyncIterator]: () => this.watchIterator<T>(log, fromSeq, signal, lifetime),
    };
  }

  private async *watchIterator<T extends JsonObject>(
    log: string,
    fromSeq: number,
    signal: AbortSignal | undefined,
    lifetime: AbortSignal,
  ): AsyncGenerator<LogEntry<T>[]> {
    validateKey(log, 'log');
    this.ensureOpen('watchLog', log);
    let next = fromSeq;
    const stopped = () => signal?.aborted === true || lifetime.aborted;
    while (!stopped()) {
      const records = this.logs.get(log)?.records ?? [];
      // A log deleted and re-created restarts at seq 0; follow it from there.
      if (records.length < next && fromSeq <= records.length) next = Math.min(next, records.length);
      if (records.length > next) {
        const batch: LogEntry<T>[] = [];
        for (let seq = next; seq < records.length; seq++)
          batch.push({ seq, data: JSON.parse(records[seq] as string) as T });
        next = records.length;
        yield batch;
        continue;
      }
      await this.waitForChange(log, signal, lifetime);
    }
  }

  private waitForChange(log: string, signal: AbortSignal | undefined, lifetime: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      let set = this.watchers.get(log);
      if (!set) {
        set = new Set();
        this.watchers.set(log, set);
      }
      const wake = () => {
        set.delete(wake);
        if (set.size === 0 && this.watchers.get(log) === set) this.watchers.delete(log);
        signal?.removeEventListener('abort', wake);
        lifetime.removeEventListener('abort', wake);
        resolve();
      };
      set.add(wake);
      signal?.addEventListener('abort', wake, { once: true });
      lifetime.addEventListener('abort', wake, { once: true });
      if (signal?.aborted || lifetime.aborted) wake();
    });
  }

  async listLogs(prefix: string): Promise<string[]> {
    const base = validatePrefix(prefix);
    this.ensureOpen('listLogs', base);
    return [...this.logs.keys()].filter((k) => k === base || isUnder(k, base)).sort(byCodeUnit);
  }

  // ---- coordination and maintenance ----

  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    validateKey(key);
    const timeoutMs = checkCount(options.timeoutMs, 'timeoutMs') ?? this.options.lockTimeoutMs;
    this.ensureOpen('withLock', key);
    return this.mutex.run(key, timeoutMs, fn);
  }

  async healthCheck(): Promise<HealthReport> {
    return {
      healthy: !this.closed,
      backendType: this.id,
      ...(this.closed ? { errors: ['the store is closed'] } : {}),
      blobs: this.blobs.size,
      logs: this.logs.size,
    };
  }

  async verify(_options: { repair?: boolean } = {}): Promise<VerifyReport> {
    this.ensureOpen('verify');
    let records = 0;
    for (const log of this.logs.values()) records += log.records.length;
    return { ok: true, issues: [], checked: { logs: this.logs.size, records, blobs: this.blobs.size } };
  }

  async compact(options: CompactOptions = {}): Promise<CompactReport> {
    this.ensureOpen('compact');
    const { bytes } = await this.usage();
    options.onProgress?.(0, 0);
    return { logsCompacted: 0, segmentsRewritten: 0, bytesBefore: bytes, bytesAfter: bytes };
  }

  async usage(prefix = ''): Promise<StorageUsage> {
    const base = validatePrefix(prefix);
    this.ensureOpen('usage', base);
    let bytes = 0;
    let files = 0;
    for (const [k, blob] of this.blobs) {
      if (k !== base && !isUnder(k, base)) continue;
      bytes += blob.data.byteLength;
      files++;
    }
    for (const [k, log] of this.logs) {
      if (k !== base && !isUnder(k, base)) continue;
      bytes += log.bytes;
      files++;
    }
    return { bytes, logicalBytes: bytes, files };
  }
}

export function createMemoryStorageBackend(options: MemoryStorageBackendOptions = {}): MemoryStorageBackend {
  return new MemoryStorageBackend(options);
}
