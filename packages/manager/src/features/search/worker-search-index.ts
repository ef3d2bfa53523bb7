/**
 * A SearchIndex whose index lives in the process's search worker (search-worker-host.ts), so tokenising
 * and stemming a 1 MiB document, building and compressing segments never run on the request thread.
 *
 * - `add` posts the items and resolves at once: the hook of a write costs a structured clone, not the
 *   indexing. The port is FIFO and the worker starts calls in arrival order, so a `search` (or
 *   `positions`) posted after an `add` sees it — the port's read-your-writes holds.
 * - What was acknowledged but not yet persisted by the index is caught up after a crash from the log
 *   positions the items carry (messages, and the documents' event log), as for an in-thread index.
 * - Storage runs here, on the manager thread's StorageBackend (the worker asks; remote-storage.ts).
 * - `open()` waits until the worker is up (the first manager of a process pays its start, ~0.1-0.5 s,
 *   in initialize() rather than on its first requests). Calls made while it (re)starts are queued in order
 *   and sent (or, if it cannot start, run in-thread by `createLocal`) in that order. If the worker dies
 *   later, the index continues in-thread and `onRestart` lets the feature catch up from the logs again.
 */
import {
  type DocumentRecord,
  FFError,
  type IndexDocument,
  type IndexHit,
  type IndexQuery,
  type Logger,
  type SearchIndex,
  type SearchIndexStats,
  type StorageBackend,
} from '@ffdb/core-types';
import type { ForegroundActivity } from '../../activity.js';
import { documentItem } from './items.js';
import { SearchWorkerHost, type WorkerClient } from './search-worker-host.js';
import {
  deserializeError,
  type FromWorker,
  type IndexInit,
  serializeError,
  type WorkerMethod,
} from './worker-protocol.js';

/**
 * The index's blob writes (segments, manifests) wait until no facade call has been in flight for this
 * long, so they do not share the disk with a request's fsync ...
 */
const WRITE_QUIET_MS = 2;
/** ... but never longer than this (persistence of derived data is delayed, never starved). */
const WRITE_MAX_DEFER_MS = 200;
/** Calls that wait for the index's writes: while one is pending, writes go at once. */
const URGENT: ReadonlySet<WorkerMethod> = new Set(['flush', 'close', 'clear', 'removeUser', 'idle']);

/** Items posted to the worker and not yet accepted by it, above which `add` waits (bounds memory). */
const MAX_IN_FLIGHT_ITEMS = 20_000;
/** Characters (or document bytes) posted and not yet accepted, above which `add` waits. */
const MAX_IN_FLIGHT_CHARS = 64 * 1024 * 1024;

export interface WorkerSearchIndexOptions {
  storage: StorageBackend;
  logger: Logger;
  /** LunrSearchIndex options without the ports (storage, compressor, logger, clock). */
  indexOptions: Record<string, unknown>;
  /** Compression algorithm of @ffdb/compression for segments; undefined = none. */
  compression?: string;
  /** The same index in this thread, used when the worker cannot run. */
  createLocal: () => SearchIndex;
  /** Called when the worker died and the local index took over (the feature catches up again). */
  onRestart?: () => void;
  /** Facade calls in flight: the index's blob writes wait for a quiet moment (bounded). */
  activity?: ForegroundActivity;
}

type Source = { log: string; seq: number };
type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Queued = Pending & { method: WorkerMethod; args: unknown[] };

export class WorkerSearchIndex implements SearchIndex, WorkerClient {
  readonly id = 'lunr';
  readonly capabilities = { persistent: true, incremental: true, fuzzy: true, prefix: true };
  private state: 'new' | 'starting' | 'worker' | 'local' | 'closed' = 'new';
  private host: SearchWorkerHost | null = null;
  private inst = 0;
  private local: SearchIndex | null = null;
  private next = 1;
  private readonly pending = new Map<number, Pending>();
  /** Calls made while the worker (or the in-thread fallback) starts, in call order. */
  private queue: Queued[] = [];
  private starting: Promise<void> = Promise.resolve();
  private inFlightItems = 0;
  private inFlightChars = 0;
  private lastAdd: Promise<void> = Promise.resolve();
  /** Pending calls that wait for the index's writes (URGENT), plus a backpressure wait in `room()`. */
  private urgent = 0;

  constructor(private readonly opts: WorkerSearchIndexOptions) {}

  /** True while the index runs (or starts) in the worker; false once it runs in this thread. */
  get inWorker(): boolean {
    return this.state === 'worker' || this.state === 'starting';
  }

  /** Resolves when the index runs (in the worker or, after a fallback, in this thread). */
  whenStarted(): Promise<void> {
    return this.starting;
  }

  async open(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    let host: SearchWorkerHost;
    try {
      host = SearchWorkerHost.shared();
    } catch (error) {
      this.starting = this.fallBack(error).catch((e) => this.logFailure(e));
      return;
    }
    this.host = host;
    this.inst = host.register(this);
    const init: IndexInit = { indexOptions: this.opts.indexOptions, compression: this.opts.compression };
    this.starting = host.ready
      .then(() => this.send<void>('create', [init]))
      .then(
        () => {
          if (this.state !== 'starting') return;
          this.state = 'worker';
          for (const q of this.queue.splice(0)) this.send(q.method, q.args).then(q.resolve, q.reject);
        },
        (error) => this.fallBack(error),
      )
      .catch((error) => this.logFailure(error));
    await this.starting;
  }

  private logFailure(error: unknown): void {
    this.opts.logger.error({ err: serializeError(error).message }, 'in-thread search index failed to open');
  }

  /** Runs in this thread from now on; queued calls are started in their order. */
  private async fallBack(error: unknown): Promise<void> {
    this.host?.unregister(this.inst);
    this.host = null;
    this.opts.logger.warn(
      { err: serializeError(error).message },
      'search worker unavailable; indexing on the request thread',
    );
    try {
      this.local = this.opts.createLocal();
      await this.local.open();
    } catch (e) {
      for (const q of this.queue.splice(0)) q.reject(e as Error);
      this.state = 'closed';
      throw e;
    }
    this.state = 'local';
    for (const q of this.queue.splice(0)) this.runLocal(q.method, q.args).then(q.resolve, q.reject);
  }

  // ------------------------------------------------------------------ WorkerClient

  onResult(m: Extract<FromWorker, { t: 'result' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    this.host?.waitingDelta(-1);
    if (m.ok) p.resolve(m.value);
    else p.reject(deserializeError(m.error));
  }

  /** Storage locks the worker holds (see RemoteStorage.withLock), by token: their release functions. */
  private readonly heldLocks = new Map<number, () => void>();
  private nextLockToken = 1;

  /** Take the storage lock on `key` for the worker; resolves with a token once held. */
  private holdLock(key: string): Promise<number> {
    return new Promise<number>((held, failed) => {
      const token = this.nextLockToken++;
      this.opts.storage
        .withLock(
          key,
          () =>
            new Promise<void>((release) => {
              this.heldLocks.set(token, release);
              held(token);
            }),
        )
        .catch(failed);
    });
  }

  private releaseLocks(): void {
    for (const release of this.heldLocks.values()) release();
    this.heldLocks.clear();
  }

  onStorage(m: Extract<FromWorker, { t: 'io' }>): void {
    const host = this.host;
    if (m.op === 'lock' || m.op === 'unlock') {
      const done =
        m.op === 'lock'
          ? this.holdLock(String(m.args[0]))
          : Promise.resolve().then(() => {
              const token = Number(m.args[0]);
              this.heldLocks.get(token)?.();
              return this.heldLocks.delete(token);
            });
      done.then(
        (value) => host?.post({ t: 'io', inst: m.inst, id: m.id, ok: true, value }),
        (error) => host?.post({ t: 'io', inst: m.inst, id: m.id, ok: false, error: serializeError(error) }),
      );
      return;
    }
    const s = this.opts.storage as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    const fn = s[m.op];
    const activity = this.opts.activity;
    // Segment and manifest writes are background persistence: they yield to requests in flight (reads,
    // lists and deletes, which queries and deletions wait for, go at once).
    const yieldFirst =
      m.op === 'write' &&
      activity &&
      this.heldLocks.size === 0 && // a manifest write under a lock: the lock is not held longer
      !activity.isQuiet(WRITE_QUIET_MS) &&
      this.urgent === 0
        ? activity.whenQuiet(WRITE_QUIET_MS, WRITE_MAX_DEFER_MS, () => this.urgent > 0)
        : null;
    const run = (): Promise<unknown> =>
      typeof fn === 'function'
        ? fn.apply(this.opts.storage, m.args)
        : Promise.reject(new Error(`storage has no ${m.op}`));
    (yieldFirst ? yieldFirst.then(run) : run()).then(
      (value) => host?.post({ t: 'io', inst: m.inst, id: m.id, ok: true, value }),
      (error) => host?.post({ t: 'io', inst: m.inst, id: m.id, ok: false, error: serializeError(error) }),
    );
  }

  onLog(m: Extract<FromWorker, { t: 'log' }>): void {
    this.opts.logger[m.level](m.obj, m.msg);
  }

  onDeath(error: Error): void {
    this.releaseLocks(); // a dead worker's locks would otherwise stay held until this process ends
    const lost = new Error('the search worker stopped');
    for (const p of this.pending.values()) p.reject(lost);
    this.pending.clear();
    // While starting, the start chain sees the failure itself (its `create` call was just rejected).
    if (this.state !== 'worker') return;
    this.opts.logger.error({ err: error.message }, 'search worker died; indexing on the request thread');
    this.state = 'starting';
    this.inFlightItems = 0;
    this.inFlightChars = 0;
    this.starting = this.fallBack(error)
      .then(() => this.opts.onRestart?.())
      .catch((e) => this.logFailure(e));
  }

  // ------------------------------------------------------------------ calls

  private send<T>(method: WorkerMethod, args: unknown[]): Promise<T> {
    const host = this.host;
    if (!host) return Promise.reject(new Error('the search worker is not running'));
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      host.waitingDelta(1);
      host.post({ t: 'call', inst: this.inst, id, method, args });
    });
  }

  private runLocal(method: WorkerMethod, args: unknown[]): Promise<unknown> {
    const local = this.local as SearchIndex & { idle?: () => Promise<void> };
    switch (method) {
      case 'addDocumentBytes': {
        const [u, s, record, bytes, source] = args as [string, string, DocumentRecord, Uint8Array, Source?];
        const item = documentItem(u, s, record, bytes);
        if (source) item.source = source;
        return local.add([item]);
      }
      case 'idle':
        return typeof local.idle === 'function' ? local.idle() : Promise.resolve();
      case 'create':
        return Promise.resolve();
      default:
        return (local[method] as (...a: unknown[]) => Promise<unknown>)(...args);
    }
  }

  private dispatch<T>(method: WorkerMethod, args: unknown[]): Promise<T> {
    if (URGENT.has(method)) {
      this.urgent++;
      return this.route<T>(method, args).finally(() => {
        this.urgent--;
      });
    }
    return this.route<T>(method, args);
  }

  private route<T>(method: WorkerMethod, args: unknown[]): Promise<T> {
    switch (this.state) {
      case 'worker':
        return this.send<T>(method, args);
      case 'local':
        return this.runLocal(method, args) as Promise<T>;
      case 'starting':
        return new Promise<T>((resolve, reject) =>
          this.queue.push({ method, args, resolve: resolve as (v: unknown) => void, reject }),
        );
      default:
        return Promise.reject(new FFError('FF_CLOSED', 'the search index was used after close()'));
    }
  }

  /** Hands items over without waiting for the indexing; a failure is logged (catch-up covers it). */
  private handOver(method: 'add' | 'addDocumentBytes', args: unknown[], items: number, chars: number): void {
    this.inFlightItems += items;
    this.inFlightChars += chars;
    this.lastAdd = this.dispatch<void>(method, args)
      .catch((error) => {
        const e = error as { code?: unknown; message?: unknown };
        this.opts.logger.warn({ code: e?.code, err: String(e?.message) }, 'search indexing failed');
      })
      .finally(() => {
        this.inFlightItems -= items;
        this.inFlightChars -= chars;
      });
  }

  /** Backpressure: only far behind does a write wait for the index to take what it was sent. */
  private async room(): Promise<void> {
    if (this.inFlightItems <= MAX_IN_FLIGHT_ITEMS && this.inFlightChars <= MAX_IN_FLIGHT_CHARS) return;
    // The worker may be waiting for its writes to make room: let them go at once meanwhile.
    this.urgent++;
    try {
      while (this.inFlightItems > MAX_IN_FLIGHT_ITEMS || this.inFlightChars > MAX_IN_FLIGHT_CHARS) {
        await this.lastAdd;
      }
    } finally {
      this.urgent--;
    }
  }

  async add(items: readonly IndexDocument[]): Promise<void> {
    if (this.state === 'local') return (this.local as SearchIndex).add(items);
    if (this.state === 'closed') throw new FFError('FF_CLOSED', 'the search index was used after close()');
    let chars = 0;
    for (const i of items) chars += i.content.length;
    this.handOver('add', [items], items.length, chars);
    await this.room();
  }

  /** Indexes a stored document; its text is decoded in the worker (a 1 MiB decode stays off this thread). */
  async addDocumentBytes(
    userId: string,
    sessionId: string,
    record: DocumentRecord,
    bytes: Uint8Array,
    source?: Source,
  ): Promise<void> {
    const args = [userId, sessionId, record, bytes, source];
    if (this.state === 'local') {
      await this.runLocal('addDocumentBytes', args);
      return;
    }
    if (this.state === 'closed') throw new FFError('FF_CLOSED', 'the search index was used after close()');
    this.handOver('addDocumentBytes', args, 1, bytes.byteLength);
    await this.room();
  }

  remove(userId: string, ids: readonly string[]): Promise<void> {
    return this.dispatch('remove', [userId, ids]);
  }

  removeSession(userId: string, sessionId: string): Promise<void> {
    return this.dispatch('removeSession', [userId, sessionId]);
  }

  removeUser(userId: string): Promise<void> {
    return this.dispatch('removeUser', [userId]);
  }

  search(query: IndexQuery): Promise<IndexHit[]> {
    return this.dispatch('search', [query]);
  }

  positions(userId: string): Promise<Record<string, number>> {
    return this.dispatch('positions', [userId]);
  }

  flush(): Promise<void> {
    return this.dispatch('flush', []);
  }

  clear(userId?: string): Promise<void> {
    return this.dispatch('clear', userId === undefined ? [] : [userId]);
  }

  stats(): Promise<SearchIndexStats> {
    return this.dispatch('stats', []);
  }

  /** Until everything sent is indexed and background segment work is done (tests and benchmarks). */
  idle(): Promise<void> {
    return this.dispatch('idle', []);
  }

  async close(): Promise<void> {
    if (this.state === 'closed' || this.state === 'new') {
      this.state = 'closed';
      return;
    }
    try {
      await this.dispatch('close', []);
    } finally {
      this.state = 'closed';
      this.host?.unregister(this.inst);
      this.host = null;
    }
  }
}
