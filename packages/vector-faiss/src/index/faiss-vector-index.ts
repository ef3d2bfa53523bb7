/**
 * VectorIndex on faiss: one index per user (its embedding space recorded; a different space throws),
 * exact inner product on unit vectors by default, IVF/HNSW by config or automatically above a size
 * threshold, persisted through the StorageBackend port and loaded lazily into an LRU of bounded size.
 */
import {
  assertUserId,
  type EmbeddingSpace,
  FFConflictError,
  FFValidationError,
  type Logger,
  type VectorHit,
  type VectorIndex,
  type VectorIndexStats,
  type VectorItem,
  type VectorSearchOptions,
} from '@ffdb/core-types';
import { IndexPersistence, toUnitMatrix } from './index-persistence.js';
import {
  FaissVectorIndexOptionsSchema,
  type FaissVectorIndexOptions,
  type ResolvedFaissVectorIndexOptions,
} from './options.js';
import { zodToValidationError } from './zod-error.js';
import type { UserVectorIndex } from './user-index.js';

const MAX_K = 10_000;
/** Appends of one change before giving up when other writers keep checkpointing the same index. */
const MAX_JOURNAL_ATTEMPTS = 8;

function validateSpace(space: EmbeddingSpace): EmbeddingSpace {
  const issues = [];
  if (!space || typeof space !== 'object')
    throw new FFValidationError([{ path: 'space', message: 'must be an object' }]);
  if (typeof space.provider !== 'string' || !space.provider)
    issues.push({ path: 'space.provider', message: 'must be a non-empty string' });
  if (typeof space.model !== 'string' || !space.model)
    issues.push({ path: 'space.model', message: 'must be a non-empty string' });
  if (!Number.isInteger(space.dimension) || space.dimension < 1 || space.dimension > 65_536) {
    issues.push({ path: 'space.dimension', message: 'must be an integer in [1, 65536]', limit: 65_536 });
  }
  if (issues.length) throw new FFValidationError(issues);
  return space;
}

function validateVector(v: unknown, dimension: number, field: string): Float32Array {
  if (!(v instanceof Float32Array))
    throw new FFValidationError([{ path: field, message: 'must be a Float32Array' }]);
  if (v.length !== dimension) {
    throw new FFValidationError([
      { path: field, message: `has ${v.length} dimensions, the space has ${dimension}`, limit: dimension },
    ]);
  }
  return v;
}

export class FaissVectorIndex implements VectorIndex {
  readonly id = 'faiss';
  readonly capabilities: { persistent: boolean; exact: boolean; ann: boolean };
  readonly options: ResolvedFaissVectorIndexOptions;
  private readonly persistence: IndexPersistence;
  private readonly cache = new Map<string, UserVectorIndex>();
  /** When each cached index was last brought up to date with other processes' changes (see load). */
  private readonly refreshedAt = new Map<string, number>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private readonly logger: Logger | undefined;
  private closed = false;

  constructor(options: FaissVectorIndexOptions) {
    const parsed = FaissVectorIndexOptionsSchema.safeParse(options);
    if (!parsed.success) throw zodToValidationError(parsed.error, 'options');
    this.options = parsed.data;
    this.logger = parsed.data.logger;
    this.persistence = new IndexPersistence(this.options.storage, this.options);
    this.capabilities = {
      persistent: this.options.storage.capabilities.persistent,
      exact: this.options.indexType === 'flat',
      ann: this.options.indexType !== 'flat',
    };
  }

  async open(): Promise<void> {
    this.closed = false;
  }

  async close(): Promise<void> {
    await this.flush();
    this.cache.clear();
    this.refreshedAt.clear();
    this.closed = true;
  }

  /** Checkpoints every loaded index that has journalled changes, and sweeps files a crash left behind. */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.cache.keys()].map((userId) =>
        this.serial(userId, async () => {
          const idx = this.cache.get(userId);
          if (!idx) return;
          if ((idx.journalled > 0 || idx.carryLost) && !(await this.checkpoint(idx))) return;
          await this.sweep(idx);
        }),
      ),
    );
  }

  /** Deletes stale snapshot/journal files of the user's index (see IndexPersistence.sweepOrphans). */
  private async sweep(idx: UserVectorIndex): Promise<void> {
    try {
      const deleted = await this.persistence.sweepOrphans(idx, this.options.orphanGraceMs);
      if (deleted.length)
        this.logger?.info({ userId: idx.userId, files: deleted.length }, 'stale vector index files removed');
    } catch (err) {
      // Cleaning is an optimisation: never fail a load or flush over it.
      this.logger?.warn({ userId: idx.userId, err: (err as Error).message }, 'vector index sweep failed');
    }
  }

  /**
   * The user's position markers: caller-defined keys (the manager uses message log keys) mapped to the
   * next position not yet considered. Persisted with the index (journal, then manifest).
   */
  async positions(userId: string): Promise<Record<string, number>> {
    assertUserId(userId);
    return this.serial(userId, async () => ({ ...(await this.load(userId, 'read')).positions }));
  }

  /**
   * Durably advances position markers: a value lower than the stored one is ignored, `null` forgets the key.
   * Record them after the upsert they cover, so a crash in between re-does work instead of losing it.
   */
  async setPositions(userId: string, positions: Record<string, number | null>): Promise<void> {
    assertUserId(userId);
    if (typeof positions !== 'object' || positions === null || Array.isArray(positions))
      throw new FFValidationError([{ path: 'positions', message: 'must be an object' }]);
    for (const [key, v] of Object.entries(positions)) {
      if (v !== null && (!Number.isSafeInteger(v) || v < 0)) {
        throw new FFValidationError([
          { path: `positions.${key}`, message: 'must be a non-negative integer or null' },
        ]);
      }
    }
    await this.serial(userId, async () => {
      const idx = await this.load(userId);
      const changed = Object.fromEntries(
        Object.entries(positions).filter(([k, v]) =>
          v === null ? k in idx.positions : v > (idx.positions[k] ?? -1),
        ),
      );
      if (!Object.keys(changed).length) return;
      const current = await this.journalled(userId, idx, (i) =>
        this.persistence.journalPositions(i, changed),
      );
      current.applyPositions(changed);
      await this.maintain(current);
    });
  }

  async upsert(userId: string, space: EmbeddingSpace, items: readonly VectorItem[]): Promise<void> {
    assertUserId(userId);
    validateSpace(space);
    if (!Array.isArray(items)) throw new FFValidationError([{ path: 'items', message: 'must be an array' }]);
    const ids: string[] = [];
    const metas: Record<string, unknown>[] = [];
    items.forEach((it, i) => {
      if (typeof it?.id !== 'string' || !it.id || it.id.length > 1024) {
        throw new FFValidationError([
          {
            path: `items[${i}].id`,
            message: 'must be a non-empty string of at most 1024 characters',
            limit: 1024,
          },
        ]);
      }
      validateVector(it.vector, space.dimension, `items[${i}].vector`);
      const meta = it.metadata ?? {};
      if (typeof meta !== 'object' || Array.isArray(meta))
        throw new FFValidationError([{ path: `items[${i}].metadata`, message: 'must be an object' }]);
      ids.push(it.id);
      metas.push(meta);
    });
    const matrix = toUnitMatrix(
      items.map((it) => it.vector),
      space.dimension,
      'items.vector',
    );
    if (!items.length) return;
    await this.serial(userId, async () => {
      const loaded = await this.load(userId);
      loaded.assertSpace(space);
      if (ids.length < this.options.checkpointEvery) {
        const idx = await this.journalled(userId, loaded, (i) => {
          // A reloaded index may have taken another writer's space meanwhile.
          i.assertSpace(space);
          return this.persistence.journalUpsert(i, space, ids, matrix, metas);
        });
        idx.applyUpsert(space, ids, matrix, metas);
        await this.maintain(idx);
        return;
      }
      // A bulk load is journalled as one raw float32 file (much cheaper than base64 JSON per vector, and
      // than serialising the whole index into a snapshot before resolving); the next checkpoint folds it in.
      const idx = await this.journalled(userId, loaded, (i) => {
        i.assertSpace(space);
        return this.persistence.journalBulk(i, space, ids, matrix, metas);
      });
      try {
        idx.applyUpsert(space, ids, matrix, metas);
        await this.maintain(idx);
      } catch (error) {
        // Memory may now be ahead of (or behind) disk: drop it so the next call reloads what is durable.
        this.cache.delete(userId);
        throw error;
      }
    });
  }

  async search(
    userId: string,
    space: EmbeddingSpace,
    query: Float32Array,
    options: VectorSearchOptions,
  ): Promise<VectorHit[]> {
    const [hits] = await this.searchBatch(userId, space, [query], options);
    return hits ?? [];
  }

  /** Several queries in one faiss call (exact search runs them through BLAS, much faster than one by one). */
  async searchBatch(
    userId: string,
    space: EmbeddingSpace,
    queries: readonly Float32Array[],
    options: VectorSearchOptions,
  ): Promise<VectorHit[][]> {
    assertUserId(userId);
    validateSpace(space);
    const k = options?.k;
    if (!Number.isInteger(k) || k < 0 || k > MAX_K) {
      throw new FFValidationError([
        { path: 'k', message: `must be an integer in [0, ${MAX_K}]`, limit: MAX_K },
      ]);
    }
    const threshold = options.threshold;
    if (threshold !== undefined && (typeof threshold !== 'number' || Number.isNaN(threshold))) {
      throw new FFValidationError([{ path: 'threshold', message: 'must be a number' }]);
    }
    queries.forEach((q, i) => {
      validateVector(q, space.dimension, `queries[${i}]`);
    });
    const matrix = toUnitMatrix(queries, space.dimension, 'query');
    return this.serial(userId, async () => {
      const idx = await this.load(userId, 'read');
      if (!idx.space) return queries.map(() => []);
      idx.assertSpace(space);
      return idx.search(matrix, queries.length, k, threshold, options.filter);
    });
  }

  async remove(userId: string, ids: readonly string[]): Promise<number> {
    assertUserId(userId);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new FFValidationError([{ path: 'ids', message: 'must be an array of strings' }]);
    }
    return this.serial(userId, async () => {
      const idx = await this.load(userId);
      const present = [...new Set(ids)].filter((id) => idx.byId.has(id));
      if (!present.length) return 0;
      const current = await this.journalled(userId, idx, (i) => this.persistence.journalRemove(i, present));
      const n = current.applyRemove(present);
      await this.maintain(current);
      // A reload may have applied the remove already (another writer's snapshot or the carried journal).
      return current === idx ? n : present.length;
    });
  }

  async removeWhere(
    userId: string,
    predicate: (metadata: Record<string, unknown>) => boolean,
  ): Promise<number> {
    assertUserId(userId);
    if (typeof predicate !== 'function')
      throw new FFValidationError([{ path: 'predicate', message: 'must be a function' }]);
    return this.serial(userId, async () => {
      const idx = await this.load(userId);
      const ids = idx.slots.filter((s) => s && predicate(s.metadata)).map((s) => s?.id as string);
      if (!ids.length) return 0;
      const current = await this.journalled(userId, idx, (i) => this.persistence.journalRemove(i, ids));
      const n = current.applyRemove(ids);
      await this.maintain(current);
      return current === idx ? n : ids.length;
    });
  }

  async removeUser(userId: string): Promise<void> {
    assertUserId(userId);
    await this.serial(userId, async () => {
      this.cache.delete(userId);
      this.refreshedAt.delete(userId);
      // Other instances drop their copy at their next refresh (the directory's incarnation is gone).
      await this.persistence.removeUser(userId);
    });
  }

  async stats(userId: string): Promise<VectorIndexStats> {
    assertUserId(userId);
    return this.serial(userId, async () => {
      const idx = await this.load(userId, 'read');
      return {
        userId,
        space: idx.space,
        count: idx.live,
        indexType: idx.kind,
        bytesOnDisk: await this.persistence.bytesOnDisk(userId),
      };
    });
  }

  /** Every live item's id and metadata (for statistics and maintenance; vectors stay in faiss). */
  async entries(userId: string): Promise<{ id: string; metadata: Record<string, unknown> }[]> {
    assertUserId(userId);
    return this.serial(userId, async () => {
      const idx = await this.load(userId, 'read');
      return idx.slots.filter((s) => s !== null).map((s) => ({ id: s.id, metadata: s.metadata }));
    });
  }

  /**
   * Changes the query-time parameters (IVF `nprobe`, HNSW `efSearch`) of this instance, including the
   * indexes already loaded: trade recall for latency without rebuilding anything.
   */
  setSearchParams(params: { nprobe?: number; efSearch?: number }): void {
    const issues = [];
    for (const key of ['nprobe', 'efSearch'] as const) {
      const v = params?.[key];
      if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 65_536)) {
        issues.push({ path: key, message: 'must be an integer in [1, 65536]', limit: 65_536 });
      }
    }
    if (issues.length) throw new FFValidationError(issues);
    if (params.nprobe !== undefined) this.options.nprobe = params.nprobe;
    if (params.efSearch !== undefined) this.options.efSearch = params.efSearch;
    for (const idx of this.cache.values()) idx.applyParams();
  }

  /** Forces a rebuild to the configured kind (e.g. after changing indexType) and checkpoints it. */
  async rebuild(userId: string): Promise<void> {
    assertUserId(userId);
    await this.serial(userId, async () => {
      for (let attempt = 1; ; attempt++) {
        const idx = await this.load(userId);
        idx.rebuild();
        if (await this.checkpoint(idx)) return;
        if (attempt >= MAX_JOURNAL_ATTEMPTS)
          throw new FFConflictError(`the vector index of user ${userId} kept moving on during its rebuild`);
      }
    });
  }

  /**
   * Checkpoints `idx`. An index another writer has moved past is not written but dropped from the cache
   * (the next use loads the newer generation; every change of `idx` is journalled where that one
   * replays it), and so is one whose user was removed since (by any process): never written back.
   * Resolves whether it was written.
   */
  private async checkpoint(idx: UserVectorIndex): Promise<boolean> {
    if (await this.persistence.checkpoint(idx)) return true;
    if (this.cache.get(idx.userId) === idx) this.cache.delete(idx.userId);
    this.logger?.info(
      { userId: idx.userId, generation: idx.generation },
      'vector index moved on by another writer; reloading instead of checkpointing',
    );
    return false;
  }

  /**
   * Runs a journal append (`write` resolves false when another writer moved the user's index to a newer
   * generation meanwhile: the record may be in a journal nobody replays). Then the index is loaded again
   * from what is durable and the record appended again, into the current journal: upserts, removes and
   * positions by id are idempotent. Resolves to the index the change must be applied to.
   */
  private async journalled(
    userId: string,
    idx: UserVectorIndex,
    write: (idx: UserVectorIndex) => Promise<boolean>,
  ): Promise<UserVectorIndex> {
    let current = idx;
    for (let attempt = 1; ; attempt++) {
      if (await write(current)) return current;
      if (attempt >= MAX_JOURNAL_ATTEMPTS) {
        throw new FFConflictError(
          `the vector index of user ${userId} was checkpointed by other writers during each of ` +
            `${attempt} appends of one change`,
        );
      }
      this.logger?.info(
        { userId, generation: current.generation },
        'vector index moved on by another writer; reloading',
      );
      this.cache.delete(userId);
      current = await this.load(userId);
    }
  }

  /** Rebuilds after deletes or growth, and checkpoints when the journal has grown long. */
  private async maintain(idx: UserVectorIndex): Promise<void> {
    if (idx.needsRebuild()) {
      const started = Date.now();
      idx.rebuild();
      this.logger?.info(
        { userId: idx.userId, kind: idx.kind, vectors: idx.live, ms: Date.now() - started },
        'vector index rebuilt',
      );
      await this.checkpoint(idx);
    } else if (idx.journalled >= this.options.checkpointEvery) {
      await this.checkpoint(idx);
    }
  }

  /**
   * The user's index, loaded on first use and brought up to date on every later one: what other
   * processes journalled since is applied, and an index another process has checkpointed to a newer
   * generation is loaded again. (Before, a cached index showed another process's vectors only after a
   * restart: searches missed them and removeWhere left them in place.) So is an index whose user another
   * process removed (and maybe created again): what it held is dropped, the current files are loaded.
   * Evicts least recently used indexes beyond cacheMaxIndexes.
   */
  private async load(userId: string, use: 'write' | 'read' = 'write'): Promise<UserVectorIndex> {
    if (this.closed) this.closed = false; // lazily reopen: close() only flushes and drops the cache
    let idx = this.cache.get(userId);
    const now = performance.now();
    if (idx) {
      this.cache.delete(userId);
      const fresh =
        use === 'read' && now - (this.refreshedAt.get(userId) ?? -Infinity) < this.options.readRefreshMs;
      if (fresh || (await this.persistence.refresh(idx))) {
        if (!fresh) this.refreshedAt.set(userId, now);
        this.cache.set(userId, idx);
        return idx;
      }
    }
    this.refreshedAt.set(userId, now);
    idx = await this.persistence.load(userId);
    if (idx.needsRebuild()) {
      // e.g. indexType changed since the index was written: convert once and persist the result.
      idx.rebuild();
      // Moved on by another writer meanwhile: take its generation (converted at a later checkpoint).
      if (!(await this.persistence.checkpoint(idx))) idx = await this.persistence.load(userId);
    }
    await this.sweep(idx);
    this.cache.set(userId, idx);
    this.evict(userId);
    return idx;
  }

  private evict(keep: string): void {
    while (this.cache.size > this.options.cacheMaxIndexes) {
      const oldest = [...this.cache.keys()].find((u) => u !== keep);
      if (oldest === undefined) return;
      const victim = this.cache.get(oldest);
      this.cache.delete(oldest);
      this.refreshedAt.delete(oldest);
      // Its journal is durable; checkpoint in the background so the next load replays little.
      if (victim && victim.journalled > 0) {
        void this.serial(oldest, () => this.checkpoint(victim)).catch((err) =>
          this.logger?.warn(
            { userId: oldest, err: (err as Error).message },
            'checkpoint of an evicted vector index failed',
          ),
        );
      }
    }
  }

  /** Number of indexes currently loaded (for tests and stats). */
  get loadedIndexes(): number {
    return this.cache.size;
  }

  /** Runs `fn` after every earlier operation on the same user (one writer per user index). */
  private serial<T>(userId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(userId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(userId, tail);
    void tail.then(() => {
      if (this.chains.get(userId) === tail) this.chains.delete(userId);
    });
    return next;
  }
}

export function createFaissVectorIndex(options: FaissVectorIndexOptions): FaissVectorIndex {
  return new FaissVectorIndex(options);
}
