import { createHash } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import {
  type BlobStat,
  type Clock,
  type Codec,
  type CompactOptions,
  type CompactReport,
  type Compressor,
  FFLockTimeoutError,
  FFStorageError,
  FFValidationError,
  type HealthReport,
  type JsonObject,
  type LockOptions,
  type LogAppendResult,
  type LogEntry,
  type LogReadOptions,
  type Logger,
  type StorageBackend,
  type StorageCapabilities,
  type StorageUsage,
  type VerifyReport,
  type WatchOptions,
} from '@ffdb/core-types';
import { DIR_MODE, fdatasyncAsync, writeAllSync, writeFileAtomic } from './atomic-file.js';
import { BlobFiles, dirEntries } from './blob-files.js';
import { BuiltinJsonCodec, IdentityCompressor } from './builtin-codecs.js';
import { CheckpointWrites, makeNewLogDirs } from './checkpoint-writes.js';
import { faultPoint } from './fault-seam.js';
import { FdCache } from './fd-cache.js';
import { FileLock } from './file-lock.js';
import { guard, guardSync, osCode, toStorageError } from './io-errors.js';
import { KeyedMutex } from './keyed-mutex.js';
import {
  FORMAT_FILE,
  FORMAT_VERSION,
  INTERNAL_DIR,
  LOG_SUFFIX,
  Layout,
  checkKey,
  checkLogKey,
  checkPrefix,
} from './layout.js';
import { type Tail, LogTails } from './log-tails.js';
import { monotonicMs, nextTurn, realClearTimeout, realSetTimeout } from './real-time.js';
import { Lru } from './lru.js';
import { type FsStorageOptions, type FsStorageOptionsInput, parseFsStorageOptions } from './options.js';
import type { SealedFooter } from './sealed-segment.js';
import { type CorruptRange, type LogView, SegmentStore } from './segments.js';
import {
  FRAME_HEADER,
  type WalFrame,
  appendFrameSize,
  encodeAppend,
  encodeAppendInto,
  utf8MaxBytes,
  encodeDelete,
  encodeDeleteDone,
  encodeEnd,
  encodeRotate,
} from './wal-frame.js';
import { WalFile, listWalGens } from './wal-file.js';
import { compactStore } from './compact.js';
import { verifyStore } from './verify.js';
import { WriterLockKeeper } from './writer-lock-keeper.js';

const WRITER = '\u0000writer';
const CHECKPOINTER = '\u0000checkpoint';
const WAL_EXTENT = 256 << 10;
const WAL_EXTENT_MAX = 16 << 20;
const MAX_COMMIT_BYTES = 64 << 20;
/** The largest commit buffer kept for the next commits (see commitBuffer). */
const COMMIT_BUFFER_KEPT = 1 << 20;
/**
 * A queue of at least this many requests starts a commit pipeline (split in two groups). Below it a
 * group's CPU (~10 µs per append) is small beside an fdatasync, so one group per fdatasync is better.
 */
const PIPELINE_SPLIT_MIN = 32;
/** Groups one pipeline commits before the writer loop gives the event loop a turn. */
const PIPELINE_MAX_GROUPS = 32;
/** Group commits whose fdatasync may be in flight at once (one WAL descriptor each). */
const PIPELINE_DEPTH = 2;
/** Logs a background checkpoint writes between two turns of the event loop. */
const CHECKPOINT_CHUNK = 32;

/** Generation switches one catch-up may take before the chain is declared broken. */
const MAX_GEN_HOPS = 10_000;
/** An END frame: header + the next generation (a double). */
const END_FRAME_BYTES = FRAME_HEADER + 8;

/**
 * A WAL generation closed by a ROTATE frame whose records are being (or still have to be) written
 * to segments. Its file stays open until END appears after the ROTATE (`endAt`).
 */
interface RotatedGen {
  wal: WalFile;
  endAt: number;
  /** Per log: the seq after the last record this generation holds (tails are trimmed to it). */
  boundary: Map<string, number>;
  /**
   * Set while this process's background checkpoint writes, syncs and removes the END of this
   * generation: whoever notices the END meanwhile must not close the file under it.
   */
  finishing?: boolean;
}

/** A group commit written (and its fdatasync started) but not applied yet. */
interface PendingCommit {
  batch: AppendRequest[];
  firstSeqs: number[];
  at: number;
  total: number;
  /** The commit's fdatasync in flight (undefined: durable already, or no sync for this durability). */
  sync: Promise<void> | undefined;
}

/** An append's records, validated and serialised. */
interface AppendRequestParts {
  key: string;
  /** JSON texts of the records. */
  recs: string[];
  /**
   * Their UTF-8 bytes: an upper bound (utf8MaxBytes) while queued, the exact count once the commit
   * has encoded them (what the WAL and the tails account).
   */
  bytes: number;
}

interface AppendRequest extends AppendRequestParts {
  resolve: (r: LogAppendResult) => void;
  reject: (e: unknown) => void;
}

/** Validates and serialises an append's records (throws FFValidationError before anything is queued). */
function encodeAppendRecords(key: string, records: readonly JsonObject[]): AppendRequestParts {
  if (!Array.isArray(records))
    throw new FFValidationError([{ path: 'records', message: 'records must be an array' }]);
  const recs: string[] = new Array(records.length);
  let bytes = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i];
    if (typeof r !== 'object' || r === null || Array.isArray(r)) {
      throw new FFValidationError([{ path: `records.${i}`, message: 'a record must be a JSON object' }]);
    }
    let json: string;
    try {
      json = JSON.stringify(r);
    } catch {
      throw new FFValidationError([{ path: `records.${i}`, message: 'a record must be JSON-serialisable' }]);
    }
    recs[i] = json;
    bytes += utf8MaxBytes(json.length);
  }
  // Measured exactly only when the bound says it might be too large.
  if (bytes > MAX_COMMIT_BYTES) {
    bytes = 0;
    for (const json of recs) bytes += Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_COMMIT_BYTES)
      throw new FFValidationError([{ path: 'records', message: 'batch too large', limit: MAX_COMMIT_BYTES }]);
  }
  return { key, recs, bytes };
}

/** The exact bytes of the APPEND frames of `batch` (each text measured). */
function exactFrameBytes(batch: readonly AppendRequestParts[], keyLens: readonly number[]): number {
  let total = 0;
  for (let i = 0; i < batch.length; i++) {
    const req = batch[i] as AppendRequestParts;
    let bytes = 0;
    for (const json of req.recs) bytes += Buffer.byteLength(json, 'utf8');
    total += appendFrameSize(keyLens[i] as number, req.recs.length, bytes);
  }
  return total;
}

const silentLogger: Logger = {
  trace() {},
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};

const systemClock: Clock = { now: () => new Date() };

/** An options argument is absent or a plain object (`readLog(log, 'x')` read everything before). */
function checkOptionsObject(options: unknown, field: string): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object' || Array.isArray(options))
    throw new FFValidationError([{ path: field, message: 'must be an object' }]);
}

/**
 * The local-filesystem StorageBackend.
 *
 * Blobs are files written atomically. Logs are appended to one store-wide write-ahead log
 * (`.ffdb/wal/`) with group commit: a single writer loop turns every pending append of this
 * process into one write + one fdatasync, under a cross-process writer lock so several processes
 * can share a store. Records are checkpointed in the background into per-log segment files
 * (`<key>.fflog/`), which roll and get sealed (compressed blocks + sparse index). Reads merge the
 * segments with the records still only in the WAL. See docs/format.md.
 */

export class FsStorageBackend implements StorageBackend {
  readonly id = 'storage-fs';
  readonly capabilities: StorageCapabilities = {
    atomicBlobs: true,
    durableAppends: true,
    multiProcess: true,
    crossProcessWatch: true,
    maintenance: true,
    persistent: true,
  };

  readonly options: FsStorageOptions;
  readonly layout: Layout;
  /** @internal */ readonly logger: Logger;
  /** @internal */ readonly clock: Clock;
  /** @internal */ readonly codec: Codec;
  /** @internal */ readonly compressor: Compressor;
  /** @internal */ readonly archiveCompressor: Compressor | undefined;
  /** @internal */ readonly segments: SegmentStore;
  /** @internal */ readonly fds: FdCache;
  private readonly blobFiles: BlobFiles;

  private status: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private openPromise: Promise<void> | undefined;
  private wal: WalFile | undefined;
  private walExtent = WAL_EXTENT;
  private commitBuf = Buffer.allocUnsafeSlow(64 << 10);
  private walBytes = 0;
  private readonly tails: LogTails;
  private readonly views: Lru<string, LogView>;
  /** Views whose sealed segments a read has opened already (see readView). */
  private readonly pinnedViews = new WeakSet<LogView>();
  private pendingDeletes: string[] = [];
  /** Generations closed by ROTATE and not yet ended (normally none, at most one). */
  private rotated: RotatedGen[] = [];
  /** The background checkpoint of a rotated generation run by this process (never rejects). */
  private bgCheckpoint: Promise<void> | undefined;
  private committing = false;
  /**
   * An inline checkpoint has written (or is about to write) END into the current generation and
   * awaits its sync: a lock-free refresh must not follow that END (it would close the generation
   * under the checkpoint). Nothing is missed: the writer lock is held, so no other process writes.
   */
  private switchingGen = false;
  /** close() has begun: new calls are refused, and close waits for `inFlight` before closing the WAL. */
  private closing = false;
  /**
   * Calls in progress that use the WAL or cached descriptors across awaits (delete, checkpoint,
   * verify, compact). close() used to close the WAL under them: a checkpoint's fdatasync failed with
   * EBADF after writing END, and the store could not be opened again.
   */
  private readonly inFlight = new Set<Promise<unknown>>();
  private queue: AppendRequest[] = [];
  /** JSON bytes of the queued requests (a commit takes the whole queue when it fits MAX_COMMIT_BYTES). */
  private queueBytes = 0;
  private loopRunning = false;
  private loopDone: Promise<void> = Promise.resolve();
  private readonly mutex = new KeyedMutex();
  /** Next seq per log after the commits written but not applied yet (see commitLocked). */
  private readonly pendingSeq = new Map<string, number>();
  private writerLock: WriterLockKeeper | undefined;
  private readonly waiters = new Set<() => void>();
  private idleTimer: NodeJS.Timeout | undefined;
  /** Timers are re-armed lazily from these (a setTimeout/clearTimeout pair per commit costs µs). */
  private lastAppendAt = 0;
  /** Requests in the last commit: a lone writer's next commit starts without an event-loop turn. */
  private lastBatchSize = 0;
  /** When the writer loop last started on a new event-loop turn (see kick). */
  private lastTurnAt = 0;
  private batchSyncTimer: NodeJS.Timeout | undefined;
  private batchSyncPromise: Promise<void> | undefined;
  private readonly footers: Lru<string, SealedFooter>;
  private readonly blocks: Lru<string, unknown[]>;
  private readonly durable: boolean;

  constructor(options: FsStorageOptionsInput) {
    this.options = parseFsStorageOptions(options);
    const o = this.options;
    this.layout = new Layout(o.basePath);
    this.logger = (o.logger ?? silentLogger).child?.({ component: 'storage-fs' }) ?? o.logger ?? silentLogger;
    this.clock = o.clock ?? systemClock;
    this.codec = o.codec ?? new BuiltinJsonCodec();
    this.compressor = o.compressor ?? new IdentityCompressor();
    this.archiveCompressor = o.archiveCompressor;
    this.durable = o.durability !== 'none';
    const compressors = new Map<string, Compressor>();
    for (const c of [
      new IdentityCompressor(),
      ...(o.decompressors ?? []),
      this.compressor,
      ...(o.archiveCompressor ? [o.archiveCompressor] : []),
    ]) {
      compressors.set(c.id, c);
    }
    const codecs = new Map<string, Codec>();
    for (const c of [new BuiltinJsonCodec(), ...(o.codecs ?? []), this.codec]) codecs.set(c.id, c);
    this.fds = new FdCache(o.maxOpenFiles);
    this.footers = new Lru<string, SealedFooter>(4096);
    this.blocks = new Lru<string, unknown[]>(100_000, o.cacheMaxBytes);
    this.views = new Lru<string, LogView>(8192);
    this.segments = new SegmentStore({
      fds: this.fds,
      footers: this.footers,
      blocks: this.blocks,
      codec: this.codec,
      compressor: this.compressor,
      compressors,
      codecs,
      logger: this.logger,
      clock: this.clock,
      segmentMaxBytes: o.segmentMaxBytes,
      segmentMaxRecords: o.segmentMaxRecords,
      blockBytes: o.blockBytes,
      durable: this.durable,
    });
    this.blobFiles = new BlobFiles(this.layout, this.fds, this.durable);
    this.tails = new LogTails(this.logger);
  }

  // ------------------------------------------------------------------ lifecycle

  open(): Promise<void> {
    if (this.status === 'closed') return Promise.reject(this.closedError('open'));
    this.openPromise ??= this.doOpen().catch((err) => {
      this.openPromise = undefined;
      this.status = 'new';
      throw err;
    });
    return this.openPromise;
  }

  private async doOpen(): Promise<void> {
    this.status = 'opening';
    const { root } = this.layout;
    let st: fs.Stats | undefined;
    try {
      st = await fsp.stat(root);
    } catch (err) {
      if (osCode(err) !== 'ENOENT') throw toStorageError('open', undefined, err);
    }
    if (st && !st.isDirectory()) {
      throw new FFStorageError('open', undefined, `base path ${root} is not a directory`, {
        code: 'FF_STORAGE_MISSING_BASE',
      });
    }
    if (!st) {
      if (!this.options.createIfMissing) {
        throw new FFStorageError('open', undefined, `base path ${root} does not exist`, {
          code: 'FF_STORAGE_MISSING_BASE',
        });
      }
      await guard('open', undefined, () => fsp.mkdir(root, { recursive: true, mode: DIR_MODE }));
    }
    await guard('open', undefined, async () => {
      for (const d of [this.layout.internal, this.layout.walDir, this.layout.lockDir, this.layout.trashDir]) {
        await fsp.mkdir(d, { recursive: true, mode: DIR_MODE });
      }
    });
    await this.checkFormatFile();
    this.writerLock = new WriterLockKeeper(
      new FileLock(path.join(this.layout.lockDir, 'writer.lock'), this.options.lockStaleMs, 'store writer'),
    );
    // The writer lock (a symlink + unlink: directory writes) is only needed when there is something
    // to recover. A store closed cleanly has one empty WAL generation: a reader opens it lock-free
    // and the lock is taken on the first write.
    if (!this.openWithoutRecovery()) {
      await this.exclusive('open', async () => {
        await this.recover();
      });
    }
    this.status = 'open';
    void this.blobFiles.emptyTrash();
  }

  private async checkFormatFile(): Promise<void> {
    const file = this.layout.formatFile;
    let text: string | undefined;
    try {
      text = await fsp.readFile(file, 'utf8');
    } catch (err) {
      if (osCode(err) !== 'ENOENT') throw toStorageError('open', FORMAT_FILE, err);
    }
    if (text === undefined) {
      const doc = {
        formatVersion: FORMAT_VERSION,
        createdAt: this.clock.now().toISOString(),
        engine: 'storage-fs',
      };
      await guard('open', FORMAT_FILE, () =>
        writeFileAtomic(file, Buffer.from(`${JSON.stringify(doc, null, 2)}\n`), true),
      );
      return;
    }
    let version: unknown;
    try {
      version = (JSON.parse(text) as { formatVersion?: unknown }).formatVersion;
    } catch {
      version = undefined;
    }
    if (typeof version !== 'number') {
      throw new FFStorageError('open', FORMAT_FILE, 'ffdb.json is unreadable or has no formatVersion', {
        code: 'FF_STORAGE',
      });
    }
    if (version > FORMAT_VERSION) {
      throw new FFStorageError(
        'open',
        FORMAT_FILE,
        `store format version ${version} is newer than this ffdb (supports up to ${FORMAT_VERSION}); upgrade @ffdb/storage-fs`,
        { code: 'FF_FORMAT_TOO_NEW' },
      );
    }
  }

  /** True (and the WAL opened) when the only WAL generation holds no frames: nothing to recover. */
  private openWithoutRecovery(): boolean {
    let wal: WalFile | undefined;
    try {
      const gens = listWalGens(this.layout.walDir);
      if (gens.length !== 1) return false;
      wal = WalFile.open(this.layout.walDir, gens[0] as number);
      const res = wal.scan(() => {
        throw new Error('frames present');
      });
      if (wal.offset === 0 && (res.stop === 'zero' || res.stop === 'eof')) {
        this.wal = wal;
        return true;
      }
    } catch {
      // frames, a vanished file, …: the locked recovery path decides
    }
    wal?.close();
    return false;
  }

  /**
   * Crash recovery (under the writer lock): follow the WAL generations from the oldest file,
   * cutting a torn tail, drop generations already checkpointed, then checkpoint what is left.
   */
  private async recover(): Promise<void> {
    const dir = this.layout.walDir;
    const gens = listWalGens(dir);
    if (gens.length === 0) {
      this.wal = WalFile.create(dir, 1, WAL_EXTENT);
      return;
    }
    this.wal = this.openOldestWal((listed) => listed[0]);
    this.catchUpLocked();
    const current = this.wal.gen;
    const rotated = new Set(this.rotated.map((r) => r.wal.gen));
    for (const g of gens) {
      // A rotated generation (ROTATE without END) still holds the only copy of its records on disk
      // until the checkpoint below writes them to segments (that checkpoint then deletes it).
      if (g < current && !rotated.has(g))
        fs.rmSync(path.join(dir, `${String(g).padStart(16, '0')}.wal`), { force: true });
      if (g > current) {
        // Created by a checkpoint that crashed before ending the current generation: it holds at most
        // copies of records the current generation still has (carried-over logs).
        fs.rmSync(path.join(dir, `${String(g).padStart(16, '0')}.wal`), { force: true });
      }
    }
    if (this.tails.size > 0 || this.pendingDeletes.length > 0 || this.rotated.length > 0) {
      try {
        await this.checkpointLocked();
      } catch (err) {
        // E.g. a full disk: the store still opens; the records are served from the WAL and the
        // checkpoint is retried later.
        this.logger.warn(
          { code: (err as { code?: string }).code },
          'checkpoint on open failed; records stay in the WAL',
        );
      }
    }
  }

  async close(): Promise<void> {
    if (this.status === 'closed') return;
    if (this.status === 'new') {
      this.status = 'closed';
      return;
    }
    if (this.closing) return this.closeDone;
    this.closing = true;
    this.closeDone = this.closeOnce();
    return this.closeDone;
  }

  /** The one close in progress (a second close() waits for it). */
  private closeDone: Promise<void> | undefined;

  private async closeOnce(): Promise<void> {
    await this.openPromise?.catch(() => undefined);
    await this.drain();
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
    await this.bgCheckpoint;
    if (this.idleTimer) realClearTimeout(this.idleTimer);
    if (this.batchSyncTimer) realClearTimeout(this.batchSyncTimer);
    await this.batchSyncPromise;
    try {
      if (this.wal && (this.tails.size > 0 || this.walBytes > 0 || this.rotated.length > 0)) {
        await this.exclusive('close', () => this.checkpointLocked());
      } else if (this.wal && this.options.durability === 'batch') {
        await fdatasyncAsync(this.wal.fd).catch(() => undefined);
      }
      if (
        this.wal &&
        this.tails.size === 0 &&
        this.pendingDeletes.length === 0 &&
        this.wal.offset === 0 &&
        fs.fstatSync(this.wal.fd).size > 0
      ) {
        await this.exclusive('close', async () => this.truncateEmptyWal());
      }
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'checkpoint on close failed; the WAL keeps the records',
      );
    } finally {
      this.status = 'closed';
      this.writerLock?.release();
      for (const w of this.waiters) w();
      this.wal?.close();
      this.wal = undefined;
      this.dropRotated();
      this.fds.clear();
      this.segments.forget(''); // every segment cache, and no cache fill still pending lands
      this.blocks.clear();
      this.views.clear();
      this.tails.clear();
    }
  }

  /**
   * A clean close leaves an empty WAL generation: its pre-allocated zeros are given back (they would
   * count against the store's size on disk); the first commit after the next open pre-allocates
   * again. Under the writer lock, and only when no process has written into it.
   */
  private truncateEmptyWal(): void {
    const wal = this.wal;
    if (wal?.offset !== 0 || this.tails.size > 0 || this.pendingDeletes.length > 0) return;
    if (this.rotated.length > 0) return;
    if (wal.allocated === 0 && fs.fstatSync(wal.fd).size === 0) return;
    fs.ftruncateSync(wal.fd, 0);
    if (this.durable) fs.fsyncSync(wal.fd);
    wal.allocated = 0;
  }

  private async drain(): Promise<void> {
    while (this.loopRunning || this.queue.length > 0) await this.loopDone;
  }

  private closedError(operation: string, key?: string): FFStorageError {
    return new FFStorageError(operation, key, 'the store is closed', { code: 'FF_CLOSED' });
  }

  private async ready(operation: string, key?: string): Promise<void> {
    if (this.isOpen) return;
    if (this.status === 'closed' || this.closing) throw this.closedError(operation, key);
    await this.open();
  }

  /** Runs a call that close() must wait for (see `inFlight`). */
  private track<T>(run: () => Promise<T>): Promise<T> {
    const p = run();
    this.inFlight.add(p);
    const done = () => this.inFlight.delete(p);
    p.then(done, done);
    return p;
  }

  // ------------------------------------------------------------------ blobs

  async read(key: string): Promise<Uint8Array | null> {
    const k = checkKey(key);
    await this.ready('read', k);
    return this.blobFiles.read(k);
  }

  async write(key: string, data: Uint8Array): Promise<void> {
    const k = checkKey(key);
    if (!(data instanceof Uint8Array))
      throw new FFValidationError([{ path: 'data', message: 'data must be a Uint8Array' }]);
    await this.ready('write', k);
    const release = await this.mutex.acquire(k, this.options.lockTimeoutMs);
    try {
      await guard('write', k, () => writeFileAtomic(this.layout.blob(k), data, this.durable));
    } finally {
      release();
    }
  }

  async writeStream(key: string, chunks: AsyncIterable<Uint8Array>): Promise<number> {
    const k = checkKey(key);
    await this.ready('writeStream', k);
    const release = await this.mutex.acquire(k, this.options.lockTimeoutMs);
    try {
      return await guard('writeStream', k, () => writeFileAtomic(this.layout.blob(k), chunks, this.durable));
    } finally {
      release();
    }
  }

  async readStream(key: string): Promise<AsyncIterable<Uint8Array> | null> {
    const k = checkKey(key);
    await this.ready('readStream', k);
    return this.blobFiles.readStream(k);
  }

  async exists(key: string): Promise<boolean> {
    const k = checkKey(key);
    await this.ready('exists', k);
    this.refresh();
    if (this.tails.hasUnder(k)) return true;
    return this.blobFiles.exists(k);
  }

  async stat(key: string): Promise<BlobStat | null> {
    const k = checkKey(key);
    await this.ready('stat', k);
    return this.blobFiles.stat(k);
  }

  async list(prefix: string, options: { recursive?: boolean } = {}): Promise<string[]> {
    const p = checkPrefix(prefix);
    checkOptionsObject(options, 'options');
    if (options?.recursive !== undefined && typeof options.recursive !== 'boolean')
      throw new FFValidationError([{ path: 'options.recursive', message: 'must be a boolean' }]);
    await this.ready('list', p);
    return this.blobFiles.list(p, options.recursive === true);
  }

  async delete(key: string): Promise<boolean> {
    const k = checkKey(key);
    await this.ready('delete', k);
    return this.track(() => this.deleteReady(k));
  }

  private async deleteReady(k: string): Promise<boolean> {
    const release = await this.mutex.acquire(k, this.options.lockTimeoutMs);
    try {
      this.refresh();
      const blob = this.layout.blob(k);
      const logDir = this.layout.logDir(k);
      const files = this.blobFiles;
      const st = await files.lstat(blob);
      const logSt = await files.lstat(logDir);
      if (st?.isFile() && !logSt && !this.tails.hasUnder(k)) {
        // A plain blob: unlink is atomic and no log can live under a file. Another process may have
        // removed it since the lstat: then this delete found nothing.
        return await guard('delete', k, () => files.unlink(k));
      }
      // Under the checkpoint lock too: a checkpoint running in the background must not write a
      // log's records back after its directory went to the trash.
      return await this.exclusive('delete', () =>
        this.withCheckpointLock(async () => {
          const present =
            (await files.lstat(blob)) !== undefined || (await files.lstat(logDir)) !== undefined;
          if (!present && !this.tails.hasUnder(k)) return false;
          // 1. DELETE frame: from here on, replay drops this prefix's WAL records.
          await this.writeControlFrame((gen) => encodeDelete(gen, k), 'delete', k);
          // 2. One rename per path makes the whole tree (blobs, logs) disappear at once.
          await guard('delete', k, () => files.moveToTrash(k));
          // 3. DELETE-DONE: recovery re-runs a DELETE only when this frame is missing.
          await this.writeControlFrame((gen) => encodeDeleteDone(gen, k), 'delete', k);
          void files.emptyTrash();
          return true;
        }),
      );
    } finally {
      release();
    }
  }

  // ------------------------------------------------------------------ logs: append path

  // Not an async function: the hot path of every append (B2 writes ~100k a second). An async
  // function adds a promise and microtask hops per call; without them, four A/Bs over 64 writers
  // measured 3-15 % more appends a second (0.2-1.6 µs less main-thread time per append). Every
  // failure is still a rejected promise, never a synchronous throw.
  append(log: string, records: readonly JsonObject[]): Promise<LogAppendResult> {
    let req: AppendRequestParts;
    try {
      req = encodeAppendRecords(checkLogKey(log, 'log'), records);
      if (!this.isOpen) return this.appendWhenReady(req);
      return this.enqueueAppend(req);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** An append that arrived while the store was still opening (or after it closed). */
  private async appendWhenReady(req: AppendRequestParts): Promise<LogAppendResult> {
    await this.ready('append', req.key);
    return this.enqueueAppend(req);
  }

  private enqueueAppend(req: AppendRequestParts): Promise<LogAppendResult> {
    const k = req.key;
    if (!this.tails.has(k)) this.checkLogParent(k);
    if (req.recs.length === 0) {
      this.refresh();
      return Promise.resolve({ firstSeq: this.countOf(k), count: 0 });
    }
    return new Promise<LogAppendResult>((resolve, reject) => {
      this.queue.push({ key: k, recs: req.recs, bytes: req.bytes, resolve, reject });
      this.queueBytes += req.bytes;
      this.kick();
    });
  }

  /** Refuses (before anything is written) a log whose directory could never be created. */
  private checkLogParent(key: string): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(path.dirname(this.layout.logDir(key)), { throwIfNoEntry: false });
    } catch (err) {
      throw toStorageError('append', key, err);
    }
    if (st && !st.isDirectory()) {
      throw new FFStorageError('append', key, 'a parent of the log is a file, not a directory (ENOTDIR)');
    }
  }

  private kick(): void {
    if (this.loopRunning) return;
    this.loopRunning = true;
    // After a group commit, start the next one on the next turn of the event loop, not in this
    // microtask: writers resumed by the previous commit are still on their way (a few microtasks
    // each) to their next append. Starting at once committed the first of them alone and the rest
    // one fsync later (B2 probe, 64 writers: 1,576 commits for 50,000 appends instead of 782).
    // After a lone commit (one writer awaiting each append) nobody is on the way: start at once —
    // but still give the event loop a turn at least once per millisecond, or a writer appending in
    // a loop would hold off timers and I/O (a lone 'always' commit is one synchronous O_DSYNC write).
    const start = this.dueForTurn() ? nextTurn() : Promise.resolve();
    this.loopDone = start
      .then(() => this.writerLoop())
      .finally(() => {
        this.loopRunning = false;
        if (this.queue.length > 0) this.kick();
      });
  }

  /** Whether the next commit should wait for a turn of the event loop first (see kick); notes the turn. */
  private dueForTurn(): boolean {
    const now = monotonicMs();
    const turn = this.lastBatchSize > 1 || now - this.lastTurnAt >= 1;
    if (turn) this.lastTurnAt = now;
    return turn;
  }

  /** The group-commit loop: everything queued while one commit was in flight goes into the next one. */
  private async writerLoop(): Promise<void> {
    while (this.queue.length > 0) {
      // Starting a pipeline (see commitLocked): write half of a large queue now, the other half
      // as soon as the first half's fdatasync has returned, while the first half's writers run.
      const batch = this.takeBatch(
        this.options.durability === 'always' && this.queue.length >= PIPELINE_SPLIT_MIN,
      );
      let groups = 1;
      try {
        groups = await this.exclusive('append', () => this.commitLocked(batch));
      } catch (err) {
        this.rejectBatch(batch, err);
      }
      if (this.walBytes >= this.options.walCheckpointBytes && !this.bgCheckpoint) {
        if (this.rotated.length === 0 && this.pendingDeletes.length === 0) {
          // Off the append path: close this generation (ROTATE), go on appending to the next one,
          // and write the closed one's records to segments in the background.
          await this.exclusive('checkpoint', async () => this.rotateLocked()).catch((err) =>
            this.logger.warn({ err: (err as Error).message }, 'WAL rotation failed; will retry'),
          );
        } else {
          // A rotated generation whose background checkpoint failed (or a process that died while
          // running it), or a delete to finish: checkpoint everything inline.
          await this.exclusive('checkpoint', () => this.checkpointLocked()).catch((err) =>
            this.logger.warn({ err: (err as Error).message }, 'checkpoint failed; will retry'),
          );
        }
      }
      // A pipeline kept `committing` set for several commits in a row: give the event loop a turn
      // (a background checkpoint waits for a moment without a commit in flight). Writers resumed by
      // this commit can queue their next appends before this loop looks at the queue again: give
      // the event loop a turn under the same rule as kick() (after a group, so that the rest of
      // its writers join the next one; and once per millisecond for a lone writer, so that timers,
      // I/O and a background checkpoint still run while it appends in a loop).
      if (groups > 1 || (this.queue.length > 0 && this.dueForTurn())) {
        await nextTurn();
      }
    }
    this.armIdleCheckpoint();
  }

  /** The next commit's requests: the whole queue when it fits MAX_COMMIT_BYTES (or its first half). */
  private takeBatch(half: boolean): AppendRequest[] {
    const queued = this.queue;
    if (!half && (queued.length === 1 || this.queueBytes <= MAX_COMMIT_BYTES)) {
      this.queue = [];
      this.queueBytes = 0;
      return queued;
    }
    const most = half ? Math.ceil(queued.length / 2) : queued.length;
    let bytes = 0;
    let n = 0;
    while (n < most && (n === 0 || bytes + (queued[n] as AppendRequest).bytes <= MAX_COMMIT_BYTES)) {
      bytes += (queued[n] as AppendRequest).bytes;
      n++;
    }
    const batch = queued.splice(0, n);
    this.queueBytes -= bytes;
    return batch;
  }

  private rejectBatch(batch: AppendRequest[], err: unknown): void {
    const e = toStorageError('append', batch.length === 1 ? batch[0]?.key : undefined, err);
    for (let i = 0; i < batch.length; i++) (batch[i] as AppendRequest).reject(e);
  }

  /**
   * Group commits under the writer lock, pipelined: while a group's fdatasync is in flight, the
   * next group (queued meanwhile) is encoded, written and its own fdatasync started, up to
   * PIPELINE_DEPTH in flight, each on its own descriptor of the WAL file (the kernel reports a
   * writeback error once per open file description: with one sync in flight per descriptor, a sync
   * that returns success saw every error of the pages it covers). Groups are resolved strictly in
   * order, each only after its own fdatasync AND every earlier group's returned; a failure fails
   * that group and every later one in flight (their seqs follow its seqs), zeroes their bytes and
   * rewinds the write offset. Seqs of a group are assigned after the earlier in-flight groups'
   * (`pendingSeq`). Returns how many groups it committed. Errors of a first group that is alone
   * are thrown (the caller rejects it); every other failure is rejected here.
   */
  private async commitLocked(first: AppendRequest[]): Promise<number> {
    const inflight: PendingCommit[] = [];
    let groups = 1;
    try {
      inflight.push(this.writeCommit(first, 0));
      for (;;) {
        while (
          inflight.length < PIPELINE_DEPTH &&
          groups < PIPELINE_MAX_GROUPS &&
          this.pipelineMayContinue()
        ) {
          const batch = this.takeBatch(false);
          try {
            inflight.push(this.writeCommit(batch, groups % PIPELINE_DEPTH));
            groups++;
          } catch (err) {
            this.rejectBatch(batch, err);
            break;
          }
        }
        const head = inflight[0];
        if (!head) return groups;
        try {
          if (head.sync) await head.sync;
        } catch (err) {
          // This group and every later one in flight are lost. Let their fdatasyncs return first
          // (no sync of a later commit may run beside one whose result nobody reads: it could take
          // that commit's error report), then zero their bytes and rewind.
          for (const c of inflight) if (c.sync) await c.sync.catch(() => undefined);
          this.failCommit(head.at, this.requireWal().offset);
          this.requireWal().offset = head.at;
          if (groups === 1) throw err;
          for (const c of inflight) this.rejectBatch(c.batch, err);
          return groups;
        }
        inflight.shift();
        const results = this.applyCommit(head);
        const done = head.batch;
        for (let i = 0; i < done.length; i++)
          (done[i] as AppendRequest).resolve(results[i] as LogAppendResult);
        if (inflight.length === 0) {
          if (groups >= PIPELINE_MAX_GROUPS || !this.pipelineMayContinue()) return groups;
        } else if (this.options.durability === 'always') {
          // Let the writers just resolved queue their next appends, to be written while the
          // groups in flight are synced.
          await nextTurn();
        }
      }
    } finally {
      this.committing = false;
      this.pendingSeq.clear();
    }
  }

  /** Whether the group queued during this commit may be written at once, still under the lock. */
  private pipelineMayContinue(): boolean {
    if (this.queue.length === 0 || this.options.durability !== 'always' || this.status !== 'open') {
      return false;
    }
    if (this.walBytes >= this.options.walCheckpointBytes) return false; // rotate first
    if (this.mutex.waiting(WRITER)) return false; // a delete or checkpoint of this process waits
    return this.writerLock?.holdsForNextCommit() ?? false;
  }

  /**
   * The synchronous half of a commit: seqs assigned from the tails (we hold the writer lock and
   * every earlier commit is applied, so they are current), every request's APPEND frame encoded
   * into one buffer, one write; the fdatasync is started, not awaited (settleCommit awaits it).
   */
  private writeCommit(batch: AppendRequest[], syncSlot: number): PendingCommit {
    const wal = this.requireWal();
    const n = batch.length;
    this.lastBatchSize = n;
    const firstSeqs: number[] = new Array(n);
    const keyLens: number[] = new Array(n);
    let total = 0;
    // Several requests for one log (in this commit or in earlier ones still in flight) get
    // consecutive seqs.
    // (pendingSeq learns this commit's seqs only once it is written.)
    const next = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const req = batch[i] as AppendRequest;
      const firstSeq = next.get(req.key) ?? this.pendingSeq.get(req.key) ?? this.countOf(req.key);
      next.set(req.key, firstSeq + req.recs.length);
      firstSeqs[i] = firstSeq;
      const keyLen = Buffer.byteLength(req.key, 'utf8');
      keyLens[i] = keyLen;
      total += appendFrameSize(keyLen, req.recs.length, req.bytes);
    }
    // A large commit is measured exactly rather than given a buffer three times its size.
    if (total > COMMIT_BUFFER_KEPT) total = exactFrameBytes(batch, keyLens);
    const buf = this.commitBuffer(total);
    let o = 0;
    for (let i = 0; i < n; i++) {
      const req = batch[i] as AppendRequest;
      const keyLen = keyLens[i] as number;
      const start = o;
      o = encodeAppendInto(buf, o, wal.gen, req.key, keyLen, firstSeqs[i] as number, req.recs);
      req.bytes = o - start - appendFrameSize(keyLen, req.recs.length, 0);
    }
    total = o;
    // Pre-allocate first: a full disk fails here, before a single byte of the batch is written.
    this.growWal(total);
    wal.checkBackgroundSync();
    const at = wal.offset;
    this.committing = true;
    let sync: Promise<void> | undefined;
    try {
      const lone = n === 1 && this.queue.length === 0;
      const dsyncFd = this.options.durability === 'always' && lone ? wal.dsyncFd() : undefined;
      if (dsyncFd !== undefined) {
        // A lone writer (nothing to group with): write through the O_DSYNC descriptor, durable when
        // the write returns, no thread-pool round trip (probe: O_DSYNC 551/s, write + fdatasyncSync
        // 521/s, awaited async fdatasync 436/s on the same disk).
        writeAllSync(dsyncFd, buf.subarray(0, total), at);
      } else {
        writeAllSync(wal.fd, buf.subarray(0, total), at);
        if (this.options.durability === 'always') {
          // With company, the async fdatasync lets the next group form while this one is synced.
          if (lone) fs.fdatasyncSync(wal.syncFd(syncSlot));
          else {
            sync = this.syncGroup(wal, syncSlot);
            sync.catch(() => undefined); // handled when it is the oldest in flight
          }
        }
      }
    } catch (err) {
      this.failCommit(at, at + total);
      throw err;
    }
    wal.offset = at + total;
    for (const [key, seq] of next) this.pendingSeq.set(key, seq);
    return { batch, firstSeqs, at, total, sync };
  }

  /**
   * A buffer of at least `bytes` for encoding a commit. Commits are written synchronously, so one
   * buffer serves them all (no allocation per commit); one for a commit larger than
   * COMMIT_BUFFER_KEPT is not kept.
   */
  private commitBuffer(bytes: number): Buffer {
    if (bytes <= this.commitBuf.length) return this.commitBuf;
    if (bytes > COMMIT_BUFFER_KEPT) return Buffer.allocUnsafeSlow(bytes);
    this.commitBuf = Buffer.allocUnsafeSlow(
      Math.min(COMMIT_BUFFER_KEPT, Math.max(bytes, 2 * this.commitBuf.length)),
    );
    return this.commitBuf;
  }

  /** A pipelined group's fdatasync (the fault seam stands in for a failing disk in tests). */
  private syncGroup(wal: WalFile, syncSlot: number): Promise<void> {
    try {
      faultPoint('wal-sync', wal.file);
    } catch (err) {
      return Promise.reject(err);
    }
    return fdatasyncAsync(wal.syncFd(syncSlot));
  }

  private failCommit(at: number, end: number): void {
    try {
      this.requireWal().zero(at, end);
    } catch {
      // the frames stay invalid only if the zeroing also failed; recovery then sees them as committed
    }
  }

  /** A durable commit joins the tails; returns its requests' results (not resolved yet). */
  private applyCommit(c: PendingCommit): LogAppendResult[] {
    const { batch, firstSeqs } = c;
    const n = batch.length;
    // We hold the writer lock, so nothing else was written: apply our own frames without re-reading
    // them (wal.offset is past them already, advanced when they were written).
    // Results first: a request's record array may become its log's tail and grow.
    const results: LogAppendResult[] = new Array(n);
    for (let i = 0; i < n; i++) {
      results[i] = { firstSeq: firstSeqs[i] as number, count: (batch[i] as AppendRequest).recs.length };
    }
    for (let i = 0; i < n; i++) {
      const req = batch[i] as AppendRequest;
      this.tails.add(req.key, firstSeqs[i] as number, req.recs);
      this.walBytes += req.bytes;
    }
    for (const w of this.waiters) w();
    if (this.options.durability === 'batch') this.scheduleBatchSync();
    return results;
  }

  private growWal(bytes: number): void {
    const wal = this.requireWal();
    const before = wal.allocated;
    // The fsync after pre-allocating only makes later fdatasyncs cheaper (each commit's fdatasync
    // makes its own bytes and the file size durable): run it off the event loop, not in the commit.
    wal.ensure(bytes, this.walExtent, this.durable ? 'background' : 'none');
    if (wal.allocated !== before) this.walExtent = Math.min(this.walExtent * 2, WAL_EXTENT_MAX);
  }

  private scheduleBatchSync(): void {
    if (this.batchSyncTimer) return;
    this.batchSyncTimer = realSetTimeout(() => {
      this.batchSyncTimer = undefined;
      const wal = this.wal;
      if (!wal) return;
      this.batchSyncPromise = fdatasyncAsync(wal.fd).catch((err) => {
        // The generation was closed meanwhile: only after its END, when its records are in synced
        // segments (our checkpoint, or another process's that we followed).
        if (osCode(err) === 'EBADF' && wal.isClosed) return;
        this.logger.error({ err: (err as Error).message }, 'batched fdatasync failed');
      });
    }, this.options.batchDelayMs);
    this.batchSyncTimer.unref?.();
  }

  private async writeControlFrame(
    make: (gen: number) => Buffer,
    operation: string,
    key: string,
  ): Promise<void> {
    const wal = this.requireWal();
    const f = make(wal.gen);
    await guard(operation, key, async () => {
      this.growWal(f.length);
      const at = wal.offset;
      this.committing = true;
      try {
        writeAllSync(wal.fd, f, at);
        if (this.durable) await fdatasyncAsync(wal.fd);
      } catch (err) {
        try {
          wal.zero(at, at + f.length);
        } catch {
          // see commitLocked
        }
        throw err;
      } finally {
        this.committing = false;
      }
    });
    this.catchUp();
  }

  private armIdleCheckpoint(): void {
    const ms = this.options.checkpointIdleMs;
    if (ms <= 0 || this.status !== 'open') return;
    this.lastAppendAt = monotonicMs();
    if (this.idleTimer) return; // it re-arms itself for the rest of the idle time
    const fire = () => {
      this.idleTimer = undefined;
      if (!this.isOpen) return;
      const left = this.lastAppendAt + ms - monotonicMs();
      if (left > 0) {
        this.idleTimer = realSetTimeout(fire, left);
        this.idleTimer.unref?.();
        return;
      }
      if (this.loopRunning || this.tails.size === 0) return;
      void this.track(() => this.exclusive('checkpoint', () => this.checkpointLocked())).catch((err) =>
        this.logger.warn({ err: (err as Error).message }, 'idle checkpoint failed; will retry'),
      );
    };
    this.idleTimer = realSetTimeout(fire, ms);
    this.idleTimer.unref?.();
  }

  /** In-process writer mutex + cross-process writer lock, then catch up with other processes' frames. */
  private async exclusive<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const timeout = this.options.lockTimeoutMs;
    const started = monotonicMs();
    // Uncontended (the writer loop between two commits): no promise hop for the mutex or the lock.
    const release = this.mutex.tryAcquire(WRITER) ?? (await this.mutex.acquire(WRITER, timeout));
    try {
      const lock = this.writerLock;
      if (!lock) throw this.closedError(operation);
      const taking = lock.take(Math.max(1, timeout - (monotonicMs() - started)), () =>
        this.afterWriterLockRetaken(),
      );
      if (taking) await taking;
      try {
        return await fn();
      } finally {
        lock.linger(this.status === 'open');
      }
    } finally {
      release();
    }
  }

  /**
   * The writer lock was taken again after another process may have held it: it may have given back
   * the pre-allocated zeros of an empty generation on close (the file shrank) or pre-allocated more
   * (the file grew, e.g. after we opened it at 0 bytes). Re-learn the exact size (believing the file
   * shorter than it is made the next pre-allocation write zeros over committed frames), then catch up.
   */
  private afterWriterLockRetaken(): void {
    if (!this.wal) return;
    this.wal.allocated = fs.fstatSync(this.wal.fd).size;
    this.catchUpLocked();
  }

  // ------------------------------------------------------------------ WAL state

  private requireWal(): WalFile {
    if (!this.wal) throw this.closedError('wal');
    return this.wal;
  }

  /** Lock-free refresh for readers: apply frames other processes appended since we last looked. */
  private refresh(): void {
    if (this.committing || this.switchingGen || !this.wal) return;
    try {
      this.catchUp();
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not read the WAL tail');
    }
  }

  /** Under the writer lock: catch up, and clear garbage a crashed writer left where we will write. */
  private catchUpLocked(): void {
    const stop = this.catchUp(true);
    const wal = this.requireWal();
    if (stop === 'bad' || (stop !== 'end' && wal.offset < wal.allocated && wal.dirtyAt(wal.offset))) {
      this.logger.warn({ gen: wal.gen, offset: wal.offset }, 'cut torn WAL tail');
      wal.zero(wal.offset, Math.max(wal.allocated, fs.fstatSync(wal.fd).size));
    }
  }

  private catchUp(locked = false): 'zero' | 'eof' | 'bad' | 'end' | 'rotate' {
    if (this.rotated.length > 0) this.pollRotated();
    for (let hops = 0; ; hops++) {
      if (hops > MAX_GEN_HOPS) {
        // Generations that do not chain (never written so by this engine): fail instead of spinning
        // with the writer lock held.
        throw new FFStorageError('wal', undefined, 'the write-ahead log generations do not chain', {
          code: 'FF_STORAGE',
        });
      }
      const wal = this.requireWal();
      let nextGen: number | undefined;
      const res = wal.scan((f) => {
        if (f.type === 'end' || f.type === 'rotate') nextGen = f.nextGen;
        else this.applyFrame(f);
      });
      if (res.stop === 'rotate' && nextGen !== undefined) {
        if (wal.frameAt(wal.offset)?.type !== 'end') {
          // Appends continue in nextGen; this generation's records stay in the tails until its END.
          this.followRotation(nextGen);
          continue;
        }
        // ROTATE and its END: the generation is checkpointed (a file left behind when removing it
        // failed) — the same as an END.
      } else if (res.stop !== 'end' || nextGen === undefined) {
        if ((res.stop === 'zero' || res.stop === 'eof') && !fs.existsSync(wal.file)) {
          this.restartFromOldestWal();
          continue;
        }
        return res.stop;
      }
      if (res.stop === 'end' && this.danglingEnd(wal, nextGen)) {
        // An END whose next generation is gone, with no later one: a checkpoint that failed after
        // writing it could not take it back (older releases then removed the new generation, and the
        // store could not be opened again). Every record is still in this generation's frames (and
        // perhaps in segments too: replay is idempotent): stay in it. Under the writer lock, cut
        // the END so that appends continue here; a reader looks again at its next refresh.
        wal.offset -= END_FRAME_BYTES;
        if (!locked) return 'end';
        this.logger.warn({ gen: wal.gen, nextGen }, 'cut an END whose next WAL generation is missing');
        wal.zero(wal.offset, wal.offset + END_FRAME_BYTES);
        return 'zero';
      }
      // Another process checkpointed: segments now hold everything the old generation had.
      this.switchGen(nextGen);
    }
  }

  private applyFrame(f: WalFrame): void {
    switch (f.type) {
      case 'append': {
        this.tails.add(f.key, f.firstSeq, f.recs);
        this.walBytes += f.bytes;
        for (const w of this.waiters) w();
        break;
      }
      case 'delete': {
        this.forgetUnder(f.prefix);
        this.pendingDeletes.push(f.prefix);
        for (const w of this.waiters) w();
        break;
      }
      case 'deleteDone': {
        const i = this.pendingDeletes.indexOf(f.prefix);
        if (i >= 0) this.pendingDeletes.splice(i, 1);
        this.forgetUnder(f.prefix);
        break;
      }
      case 'end':
        break;
    }
  }

  private forgetUnder(prefix: string): void {
    this.tails.deleteUnder(prefix);
    this.views.deleteWhere((k) => k === prefix || k.startsWith(`${prefix}/`));
    this.fds.dropUnder(this.layout.blob(prefix));
    this.segments.forget(this.layout.blob(prefix));
  }

  /** True when `nextGen` (named by an END just read in `wal`) and every later generation are missing. */
  private danglingEnd(wal: WalFile, nextGen: number): boolean {
    const gens = listWalGens(this.layout.walDir);
    return !gens.some((g) => g >= nextGen) && gens.includes(wal.gen);
  }

  private switchGen(nextGen: number): void {
    const old = this.requireWal();
    old.close();
    // END of a generation: every earlier one (rotated or not) is in segments too.
    this.resetFollowState();
    // When nextGen is gone it was checkpointed (END) and removed as well: continue after it, not
    // from the oldest file, which may be an ended generation left behind (it would lead here again).
    this.openGenOrRestart(nextGen, nextGen);
  }

  /**
   * Re-reads the WAL from its oldest file (following END frames). Used when the file we follow is
   * gone without an END (we fell behind by several generations, or followed a generation that an
   * aborted checkpoint removed).
   */
  private restartFromOldestWal(after?: number): void {
    this.wal?.close();
    this.resetFollowState();
    // Generations we never read may have deleted logs that were written again since, under the
    // same segment file names: nothing cached about any segment can be trusted.
    this.segments.forget('');
    // Prefer the oldest generation after `after` (one known to be ended); none left means the END we
    // read belonged to a checkpoint that failed and removed its new generation: re-read from the oldest.
    this.wal = this.openOldestWal(
      (gens) => (after === undefined ? undefined : gens.find((g) => g > after)) ?? gens[0],
    );
  }

  /**
   * Opens the generation `pick` chooses from the current listing. A background checkpoint (which does
   * not hold the writer lock) may remove a rotated generation between the listing and the open: then
   * list again.
   */
  private openOldestWal(pick: (gens: number[]) => number | undefined): WalFile {
    for (let attempt = 0; ; attempt++) {
      const gen = pick(listWalGens(this.layout.walDir));
      if (gen === undefined) throw new FFStorageError('wal', undefined, 'the write-ahead log is missing');
      try {
        return WalFile.open(this.layout.walDir, gen);
      } catch (err) {
        if (osCode(err) !== 'ENOENT' || attempt >= 100) throw err;
      }
    }
  }

  /** Forgets what was read from the WAL (tails, views, fds, pending deletes): it is re-read from segments and the WAL. */
  private resetFollowState(): void {
    this.dropRotated();
    this.tails.clear();
    this.views.clear();
    this.fds.clear();
    this.pendingDeletes = [];
    this.walBytes = 0;
  }

  /**
   * Continues in generation `gen`; when that file is already gone (checkpointed and removed while we
   * fell behind), re-reads from the oldest file instead.
   */
  private openGenOrRestart(gen: number, endedUpTo?: number): void {
    try {
      this.wal = WalFile.open(this.layout.walDir, gen);
    } catch (err) {
      if (osCode(err) !== 'ENOENT') throw err;
      this.restartFromOldestWal(endedUpTo);
    }
  }

  /** After reading ROTATE in the current generation: keep it (until END) and continue in nextGen. */
  private followRotation(nextGen: number): void {
    const old = this.requireWal();
    this.rotated.push({ wal: old, endAt: old.offset, boundary: this.tails.ends() });
    this.walBytes = 0;
    this.openGenOrRestart(nextGen);
  }

  /** Checks whether rotated generations got their END; their records then live in segments. */
  private pollRotated(): void {
    while (this.rotated.length > 0) {
      const r = this.rotated[0] as RotatedGen;
      let ended = false;
      try {
        ended = r.wal.frameAt(r.endAt)?.type === 'end';
      } catch {
        ended = false;
      }
      if (!ended) return;
      this.rotated.shift();
      // Our own background checkpoint may still be syncing this END: it closes the file itself.
      if (!r.finishing) r.wal.close();
      this.trimTails(r.boundary);
    }
  }

  /** Drops tail records below `boundary` (they are in segments now). */
  private trimTails(boundary: Map<string, number>): void {
    this.tails.trimTo(boundary);
    for (const key of boundary.keys()) this.views.delete(key);
    this.fds.clear();
  }

  private dropRotated(): void {
    for (const r of this.rotated) if (!r.finishing) r.wal.close();
    this.rotated = [];
  }

  /**
   * Under the writer lock: close the current generation with ROTATE(g+1), continue appends in g+1
   * at once, and start the background checkpoint of g (docs/format.md §4).
   */
  private rotateLocked(): void {
    const wal = this.requireWal();
    if (this.rotated.length > 0 || this.pendingDeletes.length > 0 || this.bgCheckpoint) return;
    const next = WalFile.create(this.layout.walDir, wal.gen + 1, WAL_EXTENT);
    const frame = encodeRotate(wal.gen, next.gen);
    try {
      this.growWal(frame.length);
      const at = wal.offset;
      try {
        writeAllSync(wal.fd, frame, at);
        if (this.durable) fs.fdatasyncSync(wal.fd);
      } catch (err) {
        try {
          wal.zero(at, at + frame.length);
        } catch {
          // see commitLocked
        }
        throw err;
      }
      wal.offset = at + frame.length;
    } catch (err) {
      next.close();
      fs.rmSync(next.file, { force: true });
      throw err;
    }
    const snapshot = new Map<string, { tail: Tail; base: number; recs: string[] }>();
    for (const [k, t] of this.tails) snapshot.set(k, { tail: t, base: t.base, recs: t.recs.slice() });
    const rotated: RotatedGen = { wal, endAt: wal.offset, boundary: this.tails.ends() };
    this.rotated.push(rotated);
    this.wal = next;
    this.walExtent = WAL_EXTENT;
    this.walBytes = 0;
    this.bgCheckpoint = this.checkpointRotated(rotated, snapshot)
      .catch((err) =>
        this.logger.warn(
          { err: (err as Error).message },
          'background checkpoint failed; the next checkpoint retries',
        ),
      )
      .finally(() => {
        this.bgCheckpoint = undefined;
      });
  }

  /**
   * The background half of a rotation (no writer lock: appends go on): write the rotated
   * generation's records to segments, sync them, write END after its ROTATE and delete it.
   */
  private async checkpointRotated(
    r: RotatedGen,
    snapshot: Map<string, { tail: Tail; base: number; recs: string[] }>,
  ): Promise<void> {
    await this.withCheckpointLock(async () => {
      // Learn about deletes (and checkpoints) other processes did while we waited for the lock
      // (not in the middle of one of our own commits, which applies its frames itself).
      while (this.committing) await nextTurn();
      this.refresh();
      if (!this.rotated.includes(r)) return; // another process already ended it
      const writes = new CheckpointWrites(this.segments);
      try {
        const entries = [...snapshot];
        for (let at = 0; at < entries.length; at += CHECKPOINT_CHUNK) {
          // Let commits run between chunks of logs (segment writes are synchronous).
          if (at > 0) await nextTurn();
          const chunk = entries.slice(at, at + CHECKPOINT_CHUNK);
          // Logs written for the first time (their tail starts at seq 0) get their directories on
          // the thread pool first.
          const made = await makeNewLogDirs(
            chunk
              .filter(([key, tail]) => tail.base === 0 && this.tails.get(key) === tail.tail)
              .map(([key]) => this.layout.logDir(key)),
          );
          for (const [key, tail] of chunk) {
            const dir = this.layout.logDir(key);
            // A log deleted since the rotation (its tail object is gone or replaced): skip it.
            // (Deletes wait for the checkpoint lock we hold, so this is a tail replaced by a WAL
            // restart; directories made above for it are synced like every new one.)
            if (this.tails.get(key) !== tail.tail) {
              writes.addMadeDirs(made.get(dir) ?? []);
              continue;
            }
            guardSync('checkpoint', key, () => writes.append(dir, tail.base, tail.recs, made.get(dir)));
            this.views.delete(key);
          }
        }
        if (this.durable) await guard('checkpoint', undefined, () => writes.sync());
      } finally {
        writes.close();
      }
      if (!this.rotated.includes(r)) return;
      // From the END write on, a refresh (a read, the writer loop) sees the END and drops `r` from
      // `rotated`. It must not close the file while we still sync and remove it: the fdatasync then
      // failed with EBADF (or synced whatever file reused the descriptor), the removal was skipped,
      // and the ended generation stayed behind for good.
      r.finishing = true;
      try {
        await guard('checkpoint', undefined, async () => {
          const end = encodeEnd(r.wal.gen, r.wal.gen + 1);
          r.wal.ensure(end.length, WAL_EXTENT);
          writeAllSync(r.wal.fd, end, r.endAt);
          if (this.durable) await fdatasyncAsync(r.wal.fd);
          fs.rmSync(r.wal.file, { force: true });
        });
      } finally {
        r.finishing = false;
        if (!this.rotated.includes(r)) r.wal.close();
      }
      this.pollRotated();
    });
  }

  /**
   * Segment writers (checkpoints, background checkpoints, compaction) exclude each other, in this
   * process and across processes (`.ffdb/locks/checkpoint.lock`). A holder never waits for the
   * writer lock, so taking this one while holding the writer lock cannot deadlock.
   */
  private async withCheckpointLock<T>(fn: () => Promise<T>): Promise<T> {
    const timeout = this.options.lockTimeoutMs;
    const started = monotonicMs();
    const release = await this.mutex.acquire(CHECKPOINTER, timeout);
    try {
      const lock = new FileLock(
        path.join(this.layout.lockDir, 'checkpoint.lock'),
        this.options.lockStaleMs,
        'store checkpoint',
      );
      await lock.acquire(Math.max(1, timeout - (monotonicMs() - started)));
      try {
        return await fn();
      } finally {
        lock.release();
      }
    } finally {
      release();
    }
  }

  /**
   * Moves every WAL record into its log's segments, syncs them, then starts a new WAL generation
   * and ends the old one with an END frame (readers in other processes follow it).
   */
  private async checkpointLocked(): Promise<void> {
    await this.bgCheckpoint;
    await this.withCheckpointLock(() => this.checkpointLockedInner());
  }

  private async checkpointLockedInner(): Promise<void> {
    // Rotated generations that another process ended meanwhile are in segments already.
    this.pollRotated();
    const wal = this.requireWal();
    for (const prefix of [...this.pendingDeletes]) {
      // A delete whose process died between its DELETE and DELETE-DONE frames.
      await this.blobFiles.moveToTrash(prefix);
    }
    const writes = new CheckpointWrites(this.segments);
    // A log that cannot be written (read-only subtree, a file where its directory should be, …)
    // must not hold every other log hostage: its records are carried over into the next WAL
    // generation and the checkpoint reports its error after the others made progress.
    const failed: { key: string; tail: Tail; error: unknown }[] = [];
    try {
      for (const [key, tail] of this.tails) {
        try {
          writes.append(this.layout.logDir(key), tail.base, tail.recs);
        } catch (err) {
          const error = toStorageError('checkpoint', key, err);
          this.logger.warn(
            { log: key, code: (error as { code?: string }).code },
            'log not checkpointed; kept in the WAL',
          );
          failed.push({ key, tail, error });
          continue;
        }
        this.views.delete(key);
      }
      if (failed.length > 0 && failed.length === this.tails.size)
        throw (failed[0] as { error: unknown }).error;
      if (this.durable) await guard('checkpoint', undefined, () => writes.sync());
    } finally {
      writes.close();
    }
    this.switchingGen = true;
    await guard('checkpoint', undefined, async () => {
      const next = WalFile.create(this.layout.walDir, wal.gen + 1, WAL_EXTENT);
      const carried: WalFrame[] = [];
      let endWritten = false;
      try {
        if (failed.length > 0) {
          const frames = failed.map(({ key, tail }) => {
            carried.push({ type: 'append', key, firstSeq: tail.base, recs: tail.recs, bytes: 0 });
            return encodeAppend(next.gen, key, tail.base, tail.recs);
          });
          const buf = Buffer.concat(frames);
          next.ensure(buf.length, WAL_EXTENT);
          writeAllSync(next.fd, buf, 0);
          next.offset = buf.length;
          await fdatasyncAsync(next.fd);
        }
        const end = encodeEnd(wal.gen, next.gen);
        wal.ensure(end.length, WAL_EXTENT);
        endWritten = true;
        writeAllSync(wal.fd, end, wal.offset);
        await fdatasyncAsync(wal.fd);
      } catch (err) {
        // An END whose sync failed must not stay readable: it would send readers to the generation
        // removed below.
        if (endWritten) {
          try {
            wal.zero(wal.offset, wal.offset + END_FRAME_BYTES);
          } catch {
            // see commitLocked
          }
        }
        next.close();
        fs.rmSync(next.file, { force: true });
        throw err;
      }
      // Generations rotated before `wal` (a failed or abandoned background checkpoint): the tails
      // written above included their records (tails are only trimmed at END), so they go too —
      // before `wal` itself: a crash between the two removals must not leave an older generation
      // whose ROTATE points to a file that is gone while its END is in `wal`.
      for (const r of this.rotated) fs.rmSync(r.wal.file, { force: true });
      wal.close();
      fs.rmSync(wal.file, { force: true });
      this.dropRotated();
      this.wal = next;
      this.walExtent = WAL_EXTENT;
      this.tails.clear();
      this.views.clear();
      this.pendingDeletes = [];
      this.walBytes = 0;
      for (const f of carried) this.applyFrame(f);
    }).finally(() => {
      this.switchingGen = false;
    });
    if (failed.length > 0) throw (failed[0] as { error: unknown }).error;
  }

  // ------------------------------------------------------------------ logs: read path

  private view(key: string): LogView {
    let v = this.views.get(key);
    if (!v) {
      v = this.segments.view(this.layout.logDir(key));
      this.views.set(key, v);
    }
    return v;
  }

  /**
   * The view a read of `key` uses. The first read through a view also opens the log's sealed
   * segments, newest first, into the descriptor budget's spare room. An open descriptor pins the
   * file's inode, so a later read of an old page, after the OS has dropped its dentries and inodes,
   * reads the data alone instead of a directory block and an inode first. B5 at `echo 3`: 1.16 →
   * 0.71 ms in a probe; the first read of a 57-segment log pays 0.18 ms warm, 0.41 ms cold, and pays
   * it again after each END it follows (resetFollowState drops every descriptor). It never evicts a
   * descriptor (`maxOpenFiles` stays the bound) and never runs for appends or counts.
   */
  private readView(key: string): LogView {
    const view = this.view(key);
    if (!this.pinnedViews.has(view)) {
      this.pinnedViews.add(view);
      const sealed: string[] = [];
      for (let i = view.segments.length - 1; i >= 0; i--) {
        const seg = view.segments[i] as LogView['segments'][number];
        if (seg.kind === 'sealed') sealed.push(path.join(view.dir, seg.name));
      }
      this.fds.openIntoSpareRoom(sealed);
    }
    return view;
  }

  private countOf(key: string): number {
    return this.tails.end(key) ?? this.view(key).count;
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
    const k = checkKey(log, 'log');
    await this.ready('countLog', k);
    this.refresh();
    return this.freshCount(k, 'countLog');
  }

  /**
   * countOf, looking again when the log was deleted (or a segment sealed) by another process under
   * this view, as readLog does; a log that is gone counts 0. Failures are FFStorageErrors.
   */
  private freshCount(k: string, operation: string): number {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.countOf(k);
      } catch (err) {
        if (osCode(err) === 'ENOENT' && attempt < 2) {
          this.views.delete(k);
          this.fds.dropUnder(this.layout.logDir(k));
          this.refresh();
          continue;
        }
        throw toStorageError(operation, k, err);
      }
    }
  }

  async readLog<T extends JsonObject = JsonObject>(
    log: string,
    options: LogReadOptions = {},
  ): Promise<LogEntry<T>[]> {
    const k = checkKey(log, 'log');
    checkOptionsObject(options, 'options');
    const { fromSeq, limit, reverse } = options ?? {};
    if (fromSeq !== undefined && (!Number.isInteger(fromSeq) || fromSeq < 0)) {
      throw new FFValidationError([{ path: 'fromSeq', message: 'fromSeq must be a non-negative integer' }]);
    }
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 0)) {
      throw new FFValidationError([{ path: 'limit', message: 'limit must be a non-negative integer' }]);
    }
    if (reverse !== undefined && typeof reverse !== 'boolean') {
      throw new FFValidationError([{ path: 'reverse', message: 'reverse must be a boolean' }]);
    }
    await this.ready('readLog', k);
    for (let attempt = 0; ; attempt++) {
      this.refresh();
      try {
        return this.readRange<T>(k, fromSeq, limit, reverse === true);
      } catch (err) {
        // A segment sealed or a generation switched under us: look again once.
        if (osCode(err) === 'ENOENT' && attempt < 2) {
          this.views.delete(k);
          this.fds.dropUnder(this.layout.logDir(k));
          continue;
        }
        throw toStorageError('readLog', k, err);
      }
    }
  }

  private readRange<T extends JsonObject>(
    key: string,
    fromSeq: number | undefined,
    limit: number | undefined,
    reverse: boolean,
  ): LogEntry<T>[] {
    if (!reverse && fromSeq !== undefined && limit !== undefined && limit > 0) {
      // A page inside sealed segments (the usual "page at offset N"): no count needed, so the
      // active segment is not read at all.
      const hi = fromSeq + limit - 1;
      const tail = this.tails.get(key);
      if (!tail || tail.recs.length === 0 || tail.base > hi) {
        const view = this.readView(key);
        if (this.segments.sealedCovers(view, hi)) {
          const entries = this.segments.read(view, fromSeq, hi, (c) => this.reportCorrupt(key, c));
          return entries.map((e) => ({ seq: e.seq, data: e.value as T }));
        }
      }
    }
    const count = this.countOf(key);
    if (count === 0 || limit === 0) return [];
    let lo: number;
    let hi: number;
    if (reverse) {
      hi = Math.min(fromSeq ?? count - 1, count - 1);
      lo = limit === undefined ? 0 : Math.max(0, hi - limit + 1);
    } else {
      lo = fromSeq ?? 0;
      hi = limit === undefined ? count - 1 : Math.min(count - 1, lo + limit - 1);
    }
    if (lo > hi) return [];
    const tail = this.tails.get(key);
    const tailBase = tail && tail.recs.length > 0 ? tail.base : count;
    const out: LogEntry<T>[] = [];
    if (lo < tailBase) {
      const view = this.readView(key);
      const entries = this.segments.read(view, lo, Math.min(hi, tailBase - 1), (c) =>
        this.reportCorrupt(key, c),
      );
      for (const e of entries) out.push({ seq: e.seq, data: e.value as T });
    }
    if (tail && hi >= tailBase) {
      for (let s = Math.max(lo, tailBase); s <= hi; s++) {
        out.push({ seq: s, data: JSON.parse(tail.recs[s - tail.base] as string) as T });
      }
    }
    if (reverse) out.reverse();
    return out;
  }

  private reportCorrupt(key: string, c: CorruptRange): void {
    this.logger.warn(
      { log: key, file: path.basename(c.file), seq: c.seq, detail: c.detail },
      'skipped a damaged record (run verify)',
    );
  }

  async *watchLog<T extends JsonObject = JsonObject>(
    log: string,
    options: WatchOptions = {},
  ): AsyncIterable<LogEntry<T>[]> {
    const k = checkKey(log, 'log');
    const { signal } = options;
    let next = options.fromSeq ?? 0;
    if (!Number.isInteger(next) || next < 0) {
      throw new FFValidationError([{ path: 'fromSeq', message: 'fromSeq must be a non-negative integer' }]);
    }
    const poll = options.pollIntervalMs ?? this.options.watchPollMs;
    await this.ready('watchLog', k);
    while (!signal?.aborted && this.isOpen) {
      const batch = await this.readLog<T>(k, { fromSeq: next, limit: 1000 });
      if (batch.length > 0) {
        next = (batch[batch.length - 1] as LogEntry<T>).seq + 1;
        yield batch;
        continue;
      }
      await new Promise<void>((resolve) => {
        const done = () => {
          realClearTimeout(timer);
          this.waiters.delete(done);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = realSetTimeout(done, poll);
        this.waiters.add(done);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async listLogs(prefix: string): Promise<string[]> {
    const p = checkPrefix(prefix);
    await this.ready('listLogs', p);
    this.refresh();
    const found = new Set<string>();
    for (const k of this.tails.logsUnder(p)) found.add(k);
    const walk = async (abs: string, rel: string): Promise<void> => {
      for (const e of await dirEntries(abs, 'listLogs', p)) {
        if (!e.isDirectory() || (rel === '' && e.name === INTERNAL_DIR)) continue;
        if (e.name.endsWith(LOG_SUFFIX)) {
          const key = (rel === '' ? '' : `${rel}/`) + e.name.slice(0, -LOG_SUFFIX.length);
          if (this.freshCount(key, 'listLogs') > 0) found.add(key);
        } else await walk(path.join(abs, e.name), rel === '' ? e.name : `${rel}/${e.name}`);
      }
    };
    if (p !== '') {
      // the prefix itself may be a log
      if (this.freshCount(p, 'listLogs') > 0) found.add(p);
    }
    await walk(this.layout.prefix(p), p);
    return [...found].sort();
  }

  // ------------------------------------------------------------------ coordination and maintenance

  async withLock<T>(key: string, fn: () => Promise<T>, options: LockOptions = {}): Promise<T> {
    const k = checkKey(key);
    await this.ready('withLock', k);
    checkOptionsObject(options, 'options');
    const given = options?.timeoutMs;
    if (given !== undefined && !(typeof given === 'number' && Number.isFinite(given) && given > 0))
      throw new FFValidationError([
        { path: 'options.timeoutMs', message: 'must be a number of milliseconds above 0', limit: 0 },
      ]);
    const timeout = given ?? this.options.lockTimeoutMs;
    const started = monotonicMs();
    const release = await this.mutex.acquire(`lock:${k}`, timeout);
    try {
      const name = createHashName(k);
      const lock = new FileLock(path.join(this.layout.lockDir, `${name}.lock`), this.options.lockStaleMs, k);
      try {
        await lock.acquire(Math.max(1, timeout - (monotonicMs() - started)));
      } catch (error) {
        // The file lock had what the in-process wait left of the budget: report the caller's timeout.
        if (FFLockTimeoutError.isInstance(error)) throw new FFLockTimeoutError(k, timeout);
        throw error;
      }
      try {
        return await fn();
      } finally {
        lock.release();
      }
    } finally {
      release();
    }
  }

  async healthCheck(): Promise<HealthReport> {
    const warnings: string[] = [];
    const errors: string[] = [];
    if (this.status !== 'open' || this.closing)
      errors.push(`store is ${this.closing && this.status === 'open' ? 'closing' : this.status}`);
    try {
      await fsp.access(this.layout.root, fs.constants.W_OK);
    } catch (err) {
      errors.push(`base path not writable (${osCode(err) ?? 'error'})`);
    }
    return {
      healthy: errors.length === 0,
      backendType: this.id,
      basePath: this.layout.root,
      formatVersion: FORMAT_VERSION,
      durability: this.options.durability,
      walGeneration: this.wal?.gen,
      walBytes: this.walBytes,
      pendingLogs: this.tails.size,
      openFiles: this.fds.size,
      warnings,
      errors,
    };
  }

  /** Checkpoints the WAL into segments now (normally done in the background). */
  async checkpoint(): Promise<void> {
    await this.ready('checkpoint');
    await this.track(() => this.checkpointNow());
  }

  private async checkpointNow(): Promise<void> {
    await this.drain();
    await this.exclusive('checkpoint', () => this.checkpointLocked());
  }

  async verify(options: { repair?: boolean } = {}): Promise<VerifyReport> {
    await this.ready('verify');
    return this.track(async () => {
      await this.checkpointNow();
      // Under the checkpoint lock: no checkpoint, compaction or delete (in any process) rewrites or
      // removes segments while they are checked, and a repair never cuts a segment another
      // process is appending to.
      return guard('verify', undefined, () =>
        this.withCheckpointLock(() => verifyStore(this, options.repair === true)),
      );
    });
  }

  async compact(options: CompactOptions = {}): Promise<CompactReport> {
    checkOptionsObject(options, 'options');
    const { olderThanDays, archive } = options ?? {};
    if (olderThanDays !== undefined && !(typeof olderThanDays === 'number' && olderThanDays >= 0))
      throw new FFValidationError([
        { path: 'options.olderThanDays', message: 'must be a number of days, 0 or more', limit: 0 },
      ]);
    if (archive !== undefined && typeof archive !== 'boolean')
      throw new FFValidationError([{ path: 'options.archive', message: 'must be a boolean' }]);
    await this.ready('compact');
    return this.track(async () => {
      await this.checkpointNow();
      return this.exclusive('compact', async () => {
        const report = await this.withCheckpointLock(() => compactStore(this, options));
        this.views.clear();
        // Other processes drop their segment listings and descriptors when they follow a
        // checkpoint's END. The one before the rewrite is not enough: a process that read a log
        // after it would read on from the replaced, unlinked files (the same records) and hold their
        // disk space until some later checkpoint. This END tells it the files changed.
        if (report.segmentsRewritten > 0) await this.checkpointLocked();
        return report;
      });
    });
  }

  async usage(prefix = ''): Promise<StorageUsage> {
    const p = checkPrefix(prefix);
    await this.ready('usage', p);
    this.refresh();
    let { bytes, logicalBytes, files } = await this.blobFiles.usage(
      p,
      (file) => this.segments.footer(file).rawBytes,
    );
    // Records still in the WAL count at their JSON size under their log; the WAL file itself once, by
    // the frames written to it: its pre-allocated, zero-filled space (256 KiB to 16 MiB) is not data,
    // and counting it made a small store's size (and compression ratio) jump after every reopen.
    logicalBytes += this.tails.bytesUnder(p);
    if (p === '') {
      const wal = this.wal;
      if (wal) {
        bytes += wal.offset;
        files++;
      }
    }
    return { bytes, logicalBytes, files };
  }

  /** @internal Views for maintenance code. */
  logView(key: string): LogView {
    return this.segments.view(this.layout.logDir(key));
  }

  /** Open and not closing: calls are accepted. @internal */
  get isOpen(): boolean {
    return this.status === 'open' && !this.closing;
  }
}

/** Lock files are named by a digest so any key maps to a flat, safe file name. */
function createHashName(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}

/** Factory: validates options and returns an unopened backend (call `open()`). */
export function createFsStorage(options: FsStorageOptionsInput): FsStorageBackend {
  return new FsStorageBackend(options);
}
