/**
 * LunrSearchIndex: the SearchIndex port on lunr's text pipeline, organised like Lucene: per user, an
 * in-memory tail plus immutable, persisted, merged segments, with tombstones for deletions.
 */
import {
  FFError,
  FFValidationError,
  type IndexDocument,
  type IndexHit,
  type IndexQuery,
  type SearchIndex,
  type SearchIndexStats,
  isValidUserId,
} from '@ffdb/core-types';
import { z } from 'zod';
import { BufferPool } from './buffer-pool.js';
import { highlightsFor, snippetFor } from './highlight.js';
import {
  LunrSearchOptionsSchema,
  type LunrSearchOptions,
  type ResolvedLunrSearchOptions,
} from './options.js';
import { Partition, type PendingOp } from './partition.js';
import { type Candidate, evaluate, type Filters, listFiltered, Scratch } from './query-eval.js';
import { parseQuery } from './query-parser.js';
import { ITEM_TYPES, typeCode } from './searchable.js';
import { words } from './text-pipeline.js';

const LINE_SAFE = /^[^\n\r]+$/;
/**
 * Fuzzy words a query may hold: each one scans the whole term dictionary of every segment. Exact and
 * prefix words are index lookups and have no limit beyond the query's length.
 */
const MAX_FUZZY_CLAUSES = 32;

const IsoDate = z
  .string()
  .refine((s) => !Number.isNaN(Date.parse(s)), { message: 'must be an ISO-8601 date' });

const userIdSchema = z
  .string()
  .refine(isValidUserId, { message: 'must match ^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$' });

function documentSchema(maxContentChars: number) {
  return z.object({
    id: z.string().min(1).max(512).regex(LINE_SAFE, { message: 'must not contain line breaks' }),
    userId: userIdSchema,
    sessionId: z.string().min(1).max(512).regex(LINE_SAFE, { message: 'must not contain line breaks' }),
    type: z.enum(ITEM_TYPES as [string, ...string[]]),
    content: z.string().max(maxContentChars, { message: `must be at most ${maxContentChars} characters` }),
    timestamp: z
      .string()
      .max(64)
      .regex(LINE_SAFE, { message: 'must not contain line breaks' })
      // An unparsable time would pass every date filter (its tsMs is NaN): refused, as the README says.
      .refine((t) => !Number.isNaN(Date.parse(t)), { message: 'must be an ISO-8601 date' }),
    role: z.string().max(200).optional(),
    title: z.string().max(10_000).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    source: z.object({ log: z.string().min(1).max(1024), seq: z.number().int().nonnegative() }).optional(),
  });
}

function querySchema(maxLimit: number) {
  return z.object({
    userId: userIdSchema,
    text: z.string().max(10_000, { message: 'must be at most 10000 characters' }),
    types: z.array(z.enum(ITEM_TYPES as [string, ...string[]])).optional(),
    sessionIds: z.array(z.string()).optional(),
    roles: z.array(z.string()).optional(),
    startDate: IsoDate.optional(),
    endDate: IsoDate.optional(),
    mode: z.enum(['and', 'or']).optional(),
    prefix: z.boolean().optional(),
    fuzzy: z.union([z.boolean(), z.number().int().min(0).max(3)]).optional(),
    limit: z
      .number()
      .int()
      .min(1)
      .max(maxLimit, { message: `must be at most ${maxLimit}` })
      .optional(),
    minScore: z.number().min(0).optional(),
  });
}

function toValidationError(error: z.ZodError, root: string): FFValidationError {
  return new FFValidationError(
    error.issues.map((i) => ({
      path: [root, ...i.path.map(String)].filter(Boolean).join('.'),
      message: i.message,
      ...('maximum' in i && typeof i.maximum === 'number' ? { limit: i.maximum } : {}),
    })),
  );
}

export class LunrSearchIndex implements SearchIndex {
  readonly id = 'lunr';
  readonly capabilities = { persistent: true, incremental: true, fuzzy: true, prefix: true };
  private readonly opts: ResolvedLunrSearchOptions;
  private readonly partitions = new Map<string, Partition>();
  /** Users whose segments are in memory (the LRU's population). */
  private readonly loadedUsers = new Set<Partition>();
  private enforcing = false;
  private readonly scratch = new Scratch();
  /** Buffers of unloaded users, reused by the next segment load (fewer large allocations, less GC). */
  private readonly pool = new BufferPool();
  private readonly docSchema;
  private readonly qSchema;
  private timer: ReturnType<typeof setInterval> | null = null;
  private drainScheduled = false;
  private closed = false;

  constructor(options: LunrSearchOptions) {
    const parsed = LunrSearchOptionsSchema.safeParse(options);
    if (!parsed.success) throw toValidationError(parsed.error, 'options');
    this.opts = parsed.data;
    this.docSchema = documentSchema(this.opts.maxContentChars);
    this.qSchema = querySchema(this.opts.maxLimit);
  }

  get options(): Readonly<ResolvedLunrSearchOptions> {
    return this.opts;
  }

  async open(): Promise<void> {
    this.closed = false;
    if (this.opts.flushIntervalMs > 0 && !this.timer) {
      this.timer = setInterval(() => this.flushIdle(), this.opts.flushIntervalMs);
      this.timer.unref?.();
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flushPartitions();
    this.closed = true;
    this.partitions.clear();
    this.loadedUsers.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new FFError('FF_CLOSED', 'the search index was used after close()');
  }

  /** Tags the segment names this instance writes (see Partition.newSegmentName). */

  private partition(userId: string): Partition {
    let p = this.partitions.get(userId);
    if (!p) {
      p = new Partition(userId, {
        storage: this.opts.storage,
        pool: this.pool,
        compressor: this.opts.compressor,
        compressIndex: this.opts.compressIndex,
        prefix: this.opts.prefix,
        flushThreshold: this.opts.flushThreshold,
        mergeFactor: this.opts.mergeFactor,
        orphanGraceMs: this.opts.orphanGraceMs,
        logger: this.opts.logger,
        now: () => this.opts.clock?.now() ?? new Date(),
        onLoaded: (changed) => {
          if (changed.loaded && this.partitions.get(changed.userId) === changed)
            this.loadedUsers.add(changed);
          else this.loadedUsers.delete(changed);
          if (!this.enforcing) this.enforceCache(changed);
        },
      });
      this.partitions.set(userId, p);
    }
    p.lastUsed = performance.now();
    return p;
  }

  // ------------------------------------------------------------------ cache

  /**
   * Unload least-recently-used users until the loaded segments fit the configured cache (counts and
   * bytes). `current` (a user being loaded), or else the most recently used user, is kept.
   */
  private enforceCache(current: Partition | undefined): void {
    // Only loaded users are looked at (a store may have thousands of unloaded ones).
    const o = this.opts;
    const load = { segments: 0, users: this.loadedUsers.size, bytes: 0 };
    for (const p of this.loadedUsers) {
      load.segments += p.loadedSegmentCount;
      load.bytes += p.memoryBytes();
    }
    const fits = () =>
      load.segments <= o.segmentCacheSize && load.users <= o.cacheMaxUsers && load.bytes <= o.cacheMaxBytes;
    if (fits()) return;
    const candidates = [...this.loadedUsers]
      .filter((p) => p !== current)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    // The most recently used user stays loaded even over budget (else a user larger than the byte
    // bound would be reloaded on every query).
    if (current === undefined) candidates.pop();
    this.enforcing = true;
    try {
      for (const p of candidates) {
        if (fits()) break;
        if (p.evictable) {
          load.segments -= p.loadedSegmentCount;
          load.users--;
          load.bytes -= p.memoryBytes();
          p.evict();
        } else if (p.hasUnflushed && p.pendingCount === 0) {
          // Make it evictable later: persist its tail in the background.
          p.freeze();
          void p.persistTombstones();
        }
      }
    } finally {
      this.enforcing = false;
    }
  }

  // ------------------------------------------------------------------ writes

  async add(items: readonly IndexDocument[]): Promise<void> {
    this.assertOpen();
    if (!Array.isArray(items)) throw new FFValidationError([{ path: 'items', message: 'must be an array' }]);
    const ops: [Partition, PendingOp][] = [];
    for (let i = 0; i < items.length; i++) {
      const parsed = this.docSchema.safeParse(items[i]);
      if (!parsed.success) throw toValidationError(parsed.error, `items.${i}`);
    }
    for (const item of items) {
      const tsMs = Date.parse(item.timestamp);
      ops.push([
        this.partition(item.userId),
        {
          kind: 'add',
          doc: {
            id: item.id,
            sessionId: item.sessionId,
            type: item.type,
            role: item.role,
            timestamp: item.timestamp,
            tsMs,
            content: item.content,
            title: item.title,
            metadata: item.metadata,
          },
          source: item.source,
        },
      ]);
    }
    for (const [p, op] of ops) p.enqueue(op);
    this.scheduleDrain();
    await this.waitForRoom();
  }

  /** Backpressure: only when more than `maxQueuedItems` wait for indexing does `add()` wait. */
  private async waitForRoom(): Promise<void> {
    for (;;) {
      let queued = 0;
      let busiest: Partition | undefined;
      for (const p of this.partitions.values()) {
        const q = p.queuedItems;
        queued += q;
        if (q > 0 && (!busiest || q > busiest.queuedItems)) busiest = p;
      }
      if (queued <= this.opts.maxQueuedItems || !busiest) return;
      const before = busiest.queuedItems;
      await busiest.drain();
      await busiest.idle();
      // Nothing could be persisted (its segment writes fail, logged): waiting longer would never end.
      if (busiest.queuedItems >= before) return;
    }
  }

  async remove(userId: string, ids: readonly string[]): Promise<void> {
    this.assertOpen();
    this.checkUser(userId);
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) {
      throw new FFValidationError('must be an array of strings', { path: 'ids' });
    }
    const p = this.partition(userId);
    p.enqueue({ kind: 'remove', ids: [...ids] });
    await p.drain();
    void p.persistTombstones();
  }

  async removeSession(userId: string, sessionId: string): Promise<void> {
    this.assertOpen();
    this.checkUser(userId);
    if (typeof sessionId !== 'string' || sessionId === '') {
      throw new FFValidationError('must be a non-empty string', { path: 'sessionId' });
    }
    const p = this.partition(userId);
    p.enqueue({ kind: 'removeSession', sessionId });
    await p.drain();
    void p.persistTombstones();
  }

  async removeUser(userId: string): Promise<void> {
    this.assertOpen();
    this.checkUser(userId);
    const p = this.partition(userId);
    this.partitions.delete(userId);
    this.loadedUsers.delete(p);
    await p.destroy();
    this.loadedUsers.delete(p);
  }

  async clear(userId?: string): Promise<void> {
    this.assertOpen();
    if (userId !== undefined) return this.removeUser(userId);
    const all = [...this.partitions.values()];
    this.partitions.clear();
    this.loadedUsers.clear();
    for (const p of all) await p.destroy();
    await this.opts.storage.delete(this.opts.prefix);
  }

  private checkUser(userId: unknown): void {
    if (!isValidUserId(userId)) {
      throw new FFValidationError('must match ^[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}$', { path: 'userId' });
    }
  }

  private scheduleDrain(): void {
    if (this.drainScheduled) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      for (const p of this.partitions.values()) {
        if (p.pendingCount > 0) void p.drain().catch((error) => this.logError('drain', error));
      }
    });
  }

  private flushIdle(): void {
    for (const p of this.partitions.values()) {
      if (p.tail.size > 0 && p.pendingCount === 0) p.freeze();
      if (p.dirty) void p.persistTombstones();
    }
  }

  private logError(what: string, error: unknown): void {
    const e = error as { code?: unknown; message?: unknown };
    this.opts.logger?.error(
      { code: e?.code, err: String(e?.message ?? error) },
      `search index ${what} failed`,
    );
  }

  async flush(): Promise<void> {
    this.assertOpen();
    await this.flushPartitions();
  }

  private async flushPartitions(): Promise<void> {
    for (const p of [...this.partitions.values()]) await p.flush();
  }

  /** Wait until background maintenance (segment building, merges) is done. For tests and benchmarks. */
  async idle(): Promise<void> {
    for (const p of [...this.partitions.values()]) {
      await p.drain();
      await p.idle();
    }
  }

  async positions(userId: string): Promise<Record<string, number>> {
    this.assertOpen();
    this.checkUser(userId);
    const p = this.partition(userId);
    if (p.pendingCount > 0) await p.drain();
    await p.ensureManifest();
    return { ...p.livePositions };
  }

  // ------------------------------------------------------------------ queries

  async search(query: IndexQuery): Promise<IndexHit[]> {
    this.assertOpen();
    const parsed = this.qSchema.safeParse(query);
    if (!parsed.success) throw toValidationError(parsed.error, 'query');
    const q = parsed.data;
    const p = this.partition(q.userId);
    p.pins++;
    try {
      await p.drain();
      await p.ensureLoaded();
      return this.evaluateLoaded(p, q);
    } finally {
      p.pins--;
      // Loads that happened while other queries were pinned may have left the cache over budget.
      if (p.pins === 0) this.enforceCache(undefined);
    }
  }

  private evaluateLoaded(p: Partition, q: z.output<ReturnType<typeof querySchema>>): IndexHit[] {
    // Everything below is synchronous: the user's segments cannot change under the evaluator.
    const filters: Filters = {
      types: q.types ? new Set(q.types.map((t) => typeCode(t as IndexDocument['type']))) : undefined,
      sessions: q.sessionIds ? new Set(q.sessionIds) : undefined,
      roles: q.roles ? new Set(q.roles) : undefined,
      startMs: q.startDate !== undefined ? Date.parse(q.startDate) : undefined,
      endMs: q.endDate !== undefined ? Date.parse(q.endDate) : undefined,
    };
    const limit = q.limit ?? this.opts.defaultLimit;
    const sources = p.sources();
    let hits: Candidate[];
    let matched = new Set<string>();
    if (q.text.trim() === '') {
      hits = listFiltered(sources, limit, filters).filter((h) => h.score >= (q.minScore ?? 0));
    } else {
      const clauses = parseQuery(q.text, { prefix: q.prefix, fuzzy: q.fuzzy });
      const fuzzyWords = clauses.filter((c) => c.fuzzy > 0).length;
      if (fuzzyWords > MAX_FUZZY_CLAUSES) {
        throw new FFValidationError([
          {
            path: 'query.text',
            message: `has ${fuzzyWords} fuzzy words; at most ${MAX_FUZZY_CLAUSES} (every word counts when fuzzy is on)`,
          },
        ]);
      }
      const r = evaluate(
        sources,
        {
          clauses,
          mode: q.mode ?? 'and',
          limit,
          minScore: q.minScore ?? 0,
          exactBoost: this.opts.exactMatchBoost,
          phraseWords: words(q.text),
          maxExpansions: this.opts.maxExpansions,
        },
        filters,
        this.scratch,
      );
      hits = r.hits;
      matched = r.matchedTerms;
    }
    return hits.map((h) => {
      const rec = h.src.record(h.doc);
      const highlights = highlightsFor(rec.content, matched);
      const hit: IndexHit = {
        id: rec.id,
        userId: q.userId,
        sessionId: rec.sessionId,
        type: rec.type,
        content: rec.content,
        timestamp: rec.timestamp,
        score: Math.round(h.score * 1e6) / 1e6,
        highlights,
        snippet: snippetFor(rec.content, highlights, this.opts.snippetLength),
      };
      if (rec.role !== undefined) hit.role = rec.role;
      if (rec.metadata !== undefined) hit.metadata = rec.metadata;
      if (rec.title !== undefined) hit.metadata = { ...hit.metadata, title: rec.title };
      return hit;
    });
  }

  // ------------------------------------------------------------------ stats

  async stats(): Promise<SearchIndexStats> {
    const users = new Set<string>(this.partitions.keys());
    try {
      for (const key of await this.opts.storage.list(this.opts.prefix)) {
        const name = key.split('/').pop();
        if (name && isValidUserId(name)) users.add(name);
      }
    } catch {
      // An empty store has no prefix yet.
    }
    let documents = 0;
    let segments = 0;
    let loadedSegments = 0;
    let loadedUsers = 0;
    let bytesOnDisk = 0;
    for (const userId of users) {
      const p = this.partition(userId);
      if (p.pendingCount > 0) await p.drain();
      await p.ensureManifest();
      documents += p.liveDocuments();
      segments += p.segmentNames().length;
      bytesOnDisk += p.bytesOnDisk();
      if (p.loaded) {
        loadedUsers++;
        loadedSegments += p.loadedSegmentCount;
      }
    }
    return { users: users.size, documents, segments, bytesOnDisk, loadedUsers, loadedSegments };
  }
}

export function createLunrSearchIndex(options: LunrSearchOptions): LunrSearchIndex {
  return new LunrSearchIndex(options);
}
