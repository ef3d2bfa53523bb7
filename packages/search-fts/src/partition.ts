/**
 * One user's index: persisted segments, frozen tails being turned into segments, and the live tail.
 *
 * - Writes (`enqueue`) only queue work; it is applied by `drain()`, which a query of the same user
 *   awaits first (read-your-writes) and which otherwise runs in the background.
 * - Segment building, persisting, merging and manifest writes run one at a time on `chain`, off the
 *   request path. A tail is frozen synchronously (still searchable) and replaced by its segment once
 *   built; deletions that land while a segment is being built are carried over (`reconcile`).
 * - Nothing is lost by a crash that the manager cannot replay: the manifest records the log positions
 *   its segments cover, and `positions()` tells the manager where to resume.
 */
import type { Compressor, Logger, StorageBackend } from '@ffdb/core-types';
import type { BufferPool } from './buffer-pool.js';
import { FFCorruptionError } from '@ffdb/core-types';
import { decodeManifest, encodeManifest, MANIFEST_FORMAT, MAX_RETIRED, type Manifest } from './manifest.js';
import type { DocRecord, Searchable } from './searchable.js';
import { Segment } from './segment.js';
import { buildSegment, type DocMaps, type SegmentSource } from './segment-builder.js';
import { decodeSegment, encodeSegment, packSegment, unpackSegment } from './segment-codec.js';
import { Tail } from './tail.js';

export type PendingOp =
  | { kind: 'add'; doc: DocRecord; source?: { log: string; seq: number } | undefined }
  | { kind: 'remove'; ids: readonly string[] }
  | { kind: 'removeSession'; sessionId: string };

/** A segment blob's key; its name is `seg-<n>` (before writer tags) or `seg-<n>-<writer>`. */
const SEGMENT_BLOB = /\/(seg-\d+(?:-[0-9a-f]{8})?)\.ffseg$/;

export interface PartitionEnv {
  storage: StorageBackend;
  /** Load buffers shared by all partitions (see buffer-pool.ts). */
  pool?: BufferPool;
  compressor: Compressor | undefined;
  /** Compress the index part of segments too (see segment-codec.ts); contents always are. */
  compressIndex: boolean;
  prefix: string;
  /** Random per index instance: part of the names of the segments it writes (see newSegmentName). */
  writerTag: string;
  flushThreshold: number;
  mergeFactor: number;
  /** See LunrSearchOptions.orphanGraceMs. */
  orphanGraceMs: number;
  logger: Logger | undefined;
  now(): Date;
  /** Called after segments were loaded or unloaded (cache accounting). */
  onLoaded(p: Partition): void;
}

interface FrozenTail {
  tail: Tail;
  positions: Record<string, number>;
}

export class Partition {
  readonly userId: string;
  private readonly env: PartitionEnv;
  /** null until loaded (or after eviction). */
  segments: Segment[] | null = null;
  private persistedNames = new Set<string>();
  private segmentBytes = new Map<string, number>();
  private frozen: FrozenTail[] = [];
  tail = new Tail();
  private pending: PendingOp[] = [];
  private draining: Promise<void> | null = null;
  private loading: Promise<void> | null = null;
  private manifestLoaded = false;
  private manifestLoading: Promise<void> | null = null;
  private nextSegment = 0;
  /** Positions covered by what is in memory (tail included). */
  livePositions: Record<string, number> = {};
  /** Positions covered by the persisted segments. */
  private durablePositions: Record<string, number> = {};
  /** Tombstones or positions changed since the manifest was written. */
  dirty = false;
  private chain: Promise<void> = Promise.resolve();
  private busy = 0;
  dropped = false;
  lastUsed = 0;
  /** Queries in progress: a pinned partition is never unloaded under them. */
  pins = 0;
  /** Orphaned segment blobs are looked for once per process, on the first load. */
  private orphansChecked = false;
  /** Live documents according to the manifest (when segments are not loaded). */
  private manifestLive = 0;
  /** Segments merged away, by this or another writer (see Manifest.retired); oldest first. */
  private retired = new Set<string>();
  /**
   * Tombstones an add set on the older copy of an item whose new copy is in a tail not yet persisted,
   * by source and doc, with that tail. They hold in memory but are not committed, and their segments
   * are not merged, until that tail's segment is written: a process killed in between must leave the
   * older copy on disk, as the positions there already cover the item (see committedDeletions).
   */
  private provisional = new Map<Searchable, Map<number, Tail>>();

  constructor(userId: string, env: PartitionEnv) {
    this.userId = userId;
    this.env = env;
  }

  private get root(): string {
    return `${this.env.prefix}/${this.userId}`;
  }
  private segmentKey(name: string): string {
    return `${this.root}/${name}.ffseg`;
  }
  private get manifestKey(): string {
    return `${this.root}/manifest.json`;
  }

  get loaded(): boolean {
    return this.segments !== null;
  }
  get loadedSegmentCount(): number {
    return (this.segments?.length ?? 0) + this.frozen.length;
  }
  /** Safe to unload: nothing in memory that is not on disk, and nothing running. */
  get evictable(): boolean {
    return (
      this.segments !== null &&
      this.pins === 0 &&
      this.pending.length === 0 &&
      this.tail.size === 0 &&
      this.frozen.length === 0 &&
      this.busy === 0 &&
      !this.dirty &&
      this.draining === null &&
      this.segments.every((s) => this.persistedNames.has(s.name))
    );
  }
  get hasUnflushed(): boolean {
    return this.tail.size > 0 || this.frozen.length > 0 || this.dirty || this.pending.length > 0;
  }

  evict(): void {
    if (!this.evictable) return;
    const unloaded = this.segments ?? [];
    this.segments = null;
    this.provisional.clear(); // none can be left: no tail holds anything
    // Nothing can still read these segments (evictable: no query pinned, no maintenance running, and
    // queries evaluate synchronously), so their buffers go back to the pool for the next load.
    const pool = this.env.pool;
    if (pool) for (const s of unloaded) s.release(pool);
    this.env.onLoaded(this);
  }

  /** Memory of the loaded segments (see Segment.memoryBytes); 0 when unloaded. */
  memoryBytes(): number {
    let b = 0;
    for (const s of this.segments ?? []) b += s.memoryBytes;
    return b;
  }

  liveDocuments(): number {
    if (this.segments === null) return this.manifestLive + this.tail.liveCount;
    let n = this.tail.liveCount;
    for (const s of this.segments) n += s.liveCount;
    for (const f of this.frozen) n += f.tail.liveCount;
    return n;
  }
  segmentNames(): string[] {
    return [...this.segmentBytes.keys()];
  }
  bytesOnDisk(): number {
    let b = 0;
    for (const v of this.segmentBytes.values()) b += v;
    return b;
  }

  /** Every searchable unit, oldest first. */
  sources(): Searchable[] {
    return [...(this.segments ?? []), ...this.frozen.map((f) => f.tail), this.tail];
  }

  // ------------------------------------------------------------------ loading

  async ensureManifest(): Promise<void> {
    if (this.manifestLoaded) return;
    this.manifestLoading ??= (async () => {
      const bytes = await this.env.storage.read(this.manifestKey);
      const m = bytes ? decodeManifest(bytes) : null;
      if (bytes && !m) {
        this.env.logger?.warn(
          { userId: this.userId },
          'search index manifest unreadable; the user will be re-indexed',
        );
      }
      if (m) {
        this.nextSegment = m.nextSegment;
        this.durablePositions = { ...m.positions };
        this.livePositions = { ...m.positions };
        this.manifestLive = m.segments.reduce((a, s) => a + s.live, 0);
        for (const s of m.segments) this.segmentBytes.set(s.name, s.bytes);
        this.noteRetired(m.retired);
      }
      this.manifestLoaded = true;
    })();
    await this.manifestLoading;
  }

  async ensureLoaded(): Promise<void> {
    if (this.segments !== null) return;
    this.loading ??= this.load().finally(() => {
      this.loading = null;
    });
    await this.loading;
  }

  private async load(): Promise<void> {
    const bytes = await this.env.storage.read(this.manifestKey);
    const m = bytes ? decodeManifest(bytes) : null;
    const segments: Segment[] = [];
    const names = new Set<string>();
    let lost = false;
    if (m) {
      this.nextSegment = Math.max(this.nextSegment, m.nextSegment);
      this.noteRetired(m.retired);
      for (const entry of m.segments) {
        try {
          const seg = await this.readSegment(entry.name);
          for (const d of entry.deleted) seg.markDeleted(d);
          segments.push(seg);
          names.add(entry.name);
        } catch (error) {
          lost = true;
          this.env.logger?.warn(
            { userId: this.userId, segment: entry.name, code: (error as { code?: unknown }).code },
            'search index segment unreadable; dropped, the user will be re-indexed from the logs',
          );
        }
      }
    } else if (bytes) {
      lost = true;
    }
    if (m) {
      // The positions go with the segments of the manifest just read. Manifests only grow (every write
      // merges into the one on disk), so a maximum with what this instance covered before is covered
      // by these segments plus its own. Taking the positions of an earlier read alone (ensureManifest)
      // paired another writer's coverage with segments that did not hold it.
      this.durablePositions = mergePositions(this.durablePositions, m.positions);
      this.livePositions = mergePositions(this.livePositions, m.positions);
    }
    this.manifestLoaded = true;
    if (segments.length > 1) Partition.dropDuplicates(segments);
    if (lost) {
      // Unknown coverage: ask the manager to replay everything (re-adding an id replaces it).
      this.durablePositions = {};
      this.livePositions = {};
      this.dirty = true;
    }
    this.segments = segments;
    this.persistedNames = names;
    for (const s of [...this.segmentBytes.keys()]) if (!names.has(s)) this.segmentBytes.delete(s);
    this.lastUsed = Date.now();
    this.env.onLoaded(this);
    if (!this.orphansChecked) {
      this.orphansChecked = true;
      void this.removeOrphans(names);
    }
  }

  private async readSegment(name: string): Promise<Segment> {
    const key = this.segmentKey(name);
    const blob = await this.env.storage.read(key);
    if (!blob) throw new FFCorruptionError('index segment is missing', { key });
    this.segmentBytes.set(name, blob.byteLength);
    const pool = this.env.pool;
    const raw = unpackSegment(blob, this.env.compressor, key, pool);
    const data = decodeSegment(raw, key, pool);
    return new Segment(data, undefined, raw.owned, raw.deleted);
  }

  private noteRetired(names: readonly string[] | undefined): void {
    for (const n of names ?? []) this.retired.add(n);
    // Bounded: the oldest names go first (a writer holding one that old reloads long before).
    for (const n of this.retired) {
      if (this.retired.size <= MAX_RETIRED) break;
      this.retired.delete(n);
    }
  }

  /**
   * Two writers may both have indexed an item (each catches up on the other's appends) and both of
   * their segments are listed: the copy in the later segment wins, earlier ones get tombstones, so a
   * query never returns an item twice. Segments are listed in the order of their numbers.
   */
  private static dropDuplicates(segments: Segment[]): void {
    const tags = new Set(segments.map((s) => s.name.slice(s.name.lastIndexOf('-'))));
    if (tags.size < 2) return; // one writer's segments never hold an id twice (adds replace)
    segments.sort((a, b) => compareSegmentNames(a.name, b.name));
    const seen = new Set<string>();
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i] as Segment;
      for (let d = 0; d < seg.size; d++) {
        if (seg.isDeleted(d)) continue;
        const id = seg.idOf(d);
        if (seen.has(id)) seg.markDeleted(d);
        else seen.add(id);
      }
    }
  }

  /**
   * Segment blobs a crash left behind (written, never committed to the manifest), once older than
   * orphanGraceMs: a younger one may be another process's segment, written just before its manifest.
   * File times are wall-clock times, so the age is taken against the wall clock, not the Clock.
   */
  private async removeOrphans(keep: Set<string>): Promise<void> {
    await this.run(async () => {
      try {
        const keys = await this.env.storage.list(this.root);
        for (const key of keys) {
          const m = SEGMENT_BLOB.exec(key);
          if (!m || keep.has(m[1] as string) || this.persistedNames.has(m[1] as string)) continue;
          if (this.env.orphanGraceMs > 0) {
            const st = await this.env.storage.stat(key);
            const modified = st ? Date.parse(st.modifiedAt) : Number.NaN;
            if (!Number.isFinite(modified) || Date.now() - modified < this.env.orphanGraceMs) continue;
          }
          await this.env.storage.delete(key);
        }
      } catch {
        // Best effort: an orphan only costs disk space.
      }
    });
  }

  // ------------------------------------------------------------------ writes

  enqueue(op: PendingOp): void {
    this.pending.push(op);
  }
  get pendingCount(): number {
    return this.pending.length;
  }
  /** Items queued or frozen but not yet in a persisted segment (backpressure accounting). */
  get queuedItems(): number {
    let n = this.pending.length;
    for (const f of this.frozen) n += f.tail.size;
    return n;
  }

  /** Apply queued writes (loads the segments first: an add may replace an indexed item). */
  drain(): Promise<void> {
    if (this.pending.length === 0 && this.draining === null) return Promise.resolve();
    this.draining ??= (async () => {
      try {
        while (this.pending.length > 0) {
          await this.ensureLoaded();
          if (this.dropped) {
            this.pending.length = 0;
            return;
          }
          const ops = this.pending.splice(0);
          for (const op of ops) this.apply(op);
          if (this.tail.size >= this.env.flushThreshold) this.freeze();
        }
      } finally {
        this.draining = null;
      }
    })();
    return this.draining;
  }

  private apply(op: PendingOp): void {
    const sources = this.sources();
    if (op.kind === 'add') {
      for (const src of sources) {
        if (src === this.tail) continue; // the tail replaces its own copies
        const d = src.find(op.doc.id);
        if (d >= 0 && src.markDeleted(d)) this.markProvisional(src, d, this.tail);
      }
      this.tail.add(op.doc);
      if (op.source) {
        const { log, seq } = op.source;
        if ((this.livePositions[log] ?? 0) < seq + 1) this.livePositions[log] = seq + 1;
      }
    } else if (op.kind === 'remove') {
      for (const id of op.ids) {
        for (const src of sources) {
          const d = src.find(id);
          if (d >= 0 && src.markDeleted(d)) this.dirty ||= src instanceof Segment;
        }
      }
      // Removed for good: tombstones earlier re-adds set on older copies are committed now.
      const removed = new Set(op.ids);
      this.commitProvisional((src, d) => removed.has(src.idOf(d)));
    } else {
      // The ids whose live copy the session held: removed for good, so their earlier copies' provisional
      // tombstones are committed (an older copy in this session replaced by one in another is not).
      const removed = new Set<string>();
      for (const src of sources) {
        if (src instanceof Segment) {
          const code = src.sessionCode(op.sessionId);
          if (code < 0) continue;
          const idx = src.data.sessionIdx;
          for (let d = 0; d < src.size; d++) {
            if (idx[d] !== code || !src.markDeleted(d)) continue;
            this.dirty = true;
            removed.add(src.idOf(d));
          }
        } else {
          for (let d = 0; d < src.size; d++) {
            if (src.sessionOf(d) === op.sessionId && src.markDeleted(d)) removed.add(src.idOf(d));
          }
        }
      }
      this.commitProvisional((src, d) => removed.has(src.idOf(d)));
    }
  }

  private commitProvisional(which: (src: Searchable, doc: number) => boolean): void {
    for (const [src, held] of this.provisional) {
      for (const d of held.keys()) {
        if (!which(src, d)) continue;
        held.delete(d);
        this.dirty ||= src instanceof Segment;
      }
      if (held.size === 0) this.provisional.delete(src);
    }
  }

  /** A copy whose tombstone waits for its tail is written into the segment built from its source. */
  private readonly keepProvisional = (src: Searchable, doc: number): boolean =>
    this.provisional.get(src)?.has(doc) === true;

  private markProvisional(src: Searchable, doc: number, owner: Tail): void {
    let held = this.provisional.get(src);
    if (!held) {
      held = new Map();
      this.provisional.set(src, held);
    }
    held.set(doc, owner);
  }

  /** The tombstones of `seg` a manifest may commit: all but those still waiting for their tail. */
  private committedDeletions(seg: Segment): number[] {
    const held = this.provisional.get(seg);
    const all = seg.deletedList();
    return held?.size ? all.filter((d) => !held.has(d)) : all;
  }

  /** `tail`'s segment is written: the tombstones its adds set may be committed. */
  private releaseProvisional(tail: Tail): void {
    this.provisional.delete(tail);
    for (const [src, held] of this.provisional) {
      for (const [d, owner] of held) if (owner === tail) held.delete(d);
      if (held.size === 0) this.provisional.delete(src);
    }
  }

  /** Freeze the tail (it stays searchable) and schedule building and persisting its segment. */
  freeze(): void {
    if (this.freezeTail()) void this.persistFrozenTailsLogged();
  }

  /** Move the tail, if it holds anything, to the frozen tails (still searchable); true if it did. */
  private freezeTail(): boolean {
    if (this.tail.size === 0) return false;
    this.frozen.push({ tail: this.tail, positions: { ...this.livePositions } });
    this.tail = new Tail();
    return true;
  }

  /** Queue persisting the frozen tails; a failure is logged (the tails stay frozen, see below). */
  private persistFrozenTailsLogged(): Promise<void> {
    return this.run(() => this.persistFrozenTails()).catch((error) => this.logFailure('flush', error));
  }

  /**
   * Persist the frozen tails, oldest first. A tail whose segment could not be written stays frozen
   * (still searchable) and is tried again before any later one: a later tail's positions cover the
   * earlier tails' items too, so committing them first would claim items no segment holds.
   */
  private async persistFrozenTails(): Promise<void> {
    for (let next = this.frozen[0]; next && !this.dropped; next = this.frozen[0]) {
      await this.persistFrozen(next);
    }
  }

  /** Run `task` after every earlier maintenance task of this user. */
  run<T>(task: () => Promise<T>): Promise<T> {
    this.busy++;
    const result = this.chain.then(async () => {
      if (this.dropped) return undefined as T;
      return task();
    });
    this.chain = result.then(
      () => undefined,
      () => undefined,
    );
    return result.finally(() => {
      this.busy--;
    });
  }

  private logFailure(what: string, error: unknown): void {
    const e = error as { code?: unknown; message?: unknown };
    this.env.logger?.error(
      { userId: this.userId, code: e?.code, err: String(e?.message ?? error) },
      `search index ${what} failed`,
    );
  }

  /**
   * `seg-<n>-<writer>`: the number orders segments, the writer tag (random, one per index instance)
   * keeps two processes that loaded the same manifest from writing the same blob name.
   */
  private newSegmentName(): string {
    return `seg-${String(this.nextSegment++).padStart(6, '0')}-${this.env.writerTag}`;
  }

  /**
   * Carry deletions made while a segment was being built over to the new segment, provisional ones
   * (see `provisional`) staying provisional.
   */
  private reconcile(sources: readonly SegmentSource[], maps: DocMaps, target: Segment): void {
    for (let s = 0; s < sources.length; s++) {
      const src = sources[s] as SegmentSource;
      const map = maps[s] as Int32Array;
      const held = this.provisional.get(src);
      for (let d = 0; d < src.size; d++) {
        const nd = map[d] as number;
        if (nd < 0 || !src.isDeleted(d)) continue;
        target.markDeleted(nd);
        const owner = held?.get(d);
        if (owner) this.markProvisional(target, nd, owner);
      }
      this.provisional.delete(src);
    }
  }

  private async persistFrozen(frozen: FrozenTail): Promise<void> {
    await this.ensureLoaded();
    const name = this.newSegmentName();
    const { segment, maps } = await buildSegment(name, [frozen.tail], {
      yieldToLoop: true,
      keepDeleted: this.keepProvisional,
    });
    if (this.dropped) return;
    // Written before anything changes in memory: a failed write leaves the frozen tail as it was.
    if (segment.size > 0) await this.writeSegment(segment);
    if (this.dropped) return;
    // Swap in memory in one synchronous step: the frozen tail is replaced by its segment, with the
    // deletions made while it was built and written.
    this.reconcile([frozen.tail], maps, segment);
    this.frozen = this.frozen.filter((f) => f !== frozen);
    if (segment.size > 0) (this.segments as Segment[]).push(segment);
    this.releaseProvisional(frozen.tail);
    this.env.onLoaded(this);
    this.durablePositions = mergePositions(this.durablePositions, frozen.positions);
    await this.writeManifest();
    await this.mergeIfNeeded();
  }

  private async writeSegment(segment: Segment): Promise<void> {
    const bytes = await packSegment(encodeSegment(segment.data), this.env.compressor, {
      compressIndex: this.env.compressIndex,
    });
    await this.env.storage.write(this.segmentKey(segment.name), bytes);
    this.segmentBytes.set(segment.name, bytes.byteLength);
    this.persistedNames.add(segment.name);
  }

  /**
   * Commit this writer's view: merged into the manifest on disk, under the storage lock of its key
   * (cross-process with storage-fs), never overwriting it. Another process's segments stay named
   * (with the union of both tombstone lists), segments merged away by anyone stay out, and the
   * positions are the per-log maximum: each writer's positions are covered by its segments, so the
   * maximum is covered by their union. Without this, the last writer's manifest won, dropping the
   * segments of others whose coverage its positions (read from their manifest) still claimed.
   * Segment blobs are written (durably, by the storage) before the manifest that names them.
   */
  private async writeManifest(): Promise<void> {
    if (this.dropped || this.segments === null) return;
    this.dirty = false;
    try {
      await this.commitManifest();
    } catch (error) {
      this.dirty = true; // tried again by the next write, and the partition is not evicted meanwhile
      throw error;
    }
  }

  private async commitManifest(): Promise<void> {
    const storage = this.env.storage as StorageBackend & { withLock?: StorageBackend['withLock'] };
    const commit = async (): Promise<void> => {
      const onDisk = await this.env.storage.read(this.manifestKey);
      const disk = onDisk ? decodeManifest(onDisk) : null;
      if (disk) this.noteRetired(disk.retired);
      if (this.dropped || this.segments === null) return;
      const entries: Manifest['segments'] = this.segments
        .filter((s) => this.persistedNames.has(s.name) && !this.retired.has(s.name))
        .map((s) => {
          const deleted = this.committedDeletions(s);
          return {
            name: s.name,
            docs: s.size,
            live: Math.max(0, s.size - deleted.length),
            bytes: this.segmentBytes.get(s.name) ?? 0,
            deleted,
          };
        });
      let positions = this.durablePositions;
      let nextSegment = this.nextSegment;
      if (disk) {
        const mine = new Map(entries.map((e) => [e.name, e]));
        for (const e of disk.segments) {
          if (this.retired.has(e.name)) continue;
          const own = mine.get(e.name);
          if (!own) {
            entries.push(e);
            continue;
          }
          // Another writer's tombstones on a segment this one holds too: kept, and applied here.
          const seg = this.segments.find((s) => s.name === e.name);
          const held = seg && this.provisional.get(seg);
          for (const d of e.deleted) {
            seg?.markDeleted(d);
            held?.delete(d); // committed by the other writer
          }
          const deleted = [...new Set([...own.deleted, ...e.deleted])].sort((a, b) => a - b);
          own.deleted = deleted;
          own.live = Math.max(0, own.docs - deleted.length);
        }
        entries.sort((a, b) => compareSegmentNames(a.name, b.name));
        positions = mergePositions(disk.positions, positions);
        nextSegment = Math.max(nextSegment, disk.nextSegment);
        this.nextSegment = nextSegment;
      }
      const m: Manifest = {
        format: MANIFEST_FORMAT,
        userId: this.userId,
        updatedAt: this.env.now().toISOString(),
        compressor: this.env.compressor?.id ?? 'none',
        nextSegment,
        segments: entries,
        positions,
        retired: [...this.retired],
      };
      this.manifestLive = m.segments.reduce((a, s) => a + s.live, 0);
      for (const e of entries) if (!this.segmentBytes.has(e.name)) this.segmentBytes.set(e.name, e.bytes);
      await this.env.storage.write(this.manifestKey, encodeManifest(m));
    };
    if (typeof storage.withLock === 'function') await storage.withLock(this.manifestKey, commit);
    else await commit();
  }

  /** Persist tombstones (queued behind running maintenance). */
  persistTombstones(): Promise<void> {
    return this.run(async () => {
      if (this.dirty) await this.writeManifest();
    }).catch((error) => this.logFailure('manifest write', error));
  }

  /** Freeze the tail and wait for everything queued so far (flush, merges, manifest). */
  async flush(): Promise<void> {
    await this.drain();
    this.freezeTail();
    // Also the frozen tails a failed write left, tried again here.
    if (this.frozen.length > 0) await this.persistFrozenTailsLogged();
    await this.run(async () => {
      if (this.dirty) await this.writeManifest();
    });
  }

  /** Wait for queued maintenance without starting any. */
  async idle(): Promise<void> {
    await this.chain;
  }

  private level(s: Segment): number {
    const live = Math.max(1, s.liveCount);
    return Math.max(
      0,
      Math.floor(Math.log(live / this.env.flushThreshold) / Math.log(this.env.mergeFactor) + 1e-9),
    );
  }

  /** Tiered merging (Lucene's policy, simplified): merge `mergeFactor` segments of one size tier. */
  private async mergeIfNeeded(): Promise<void> {
    for (;;) {
      if (this.dropped || this.segments === null) return;
      // A segment another writer merged away is not merged again (its items are in that merge).
      // Nor one holding an older copy whose tombstone waits for its tail: a merge would drop the copy.
      const persisted = this.segments.filter(
        (s) => this.persistedNames.has(s.name) && !this.retired.has(s.name) && !this.provisional.get(s)?.size,
      );
      // Segments that are mostly tombstones are rewritten on their own.
      const sparse = persisted.find((s) => s.size > 0 && s.deletedCount > s.size / 2);
      let group: Segment[] | undefined;
      if (sparse) group = [sparse];
      else {
        const byLevel = new Map<number, Segment[]>();
        for (const s of persisted) {
          const l = this.level(s);
          const list = byLevel.get(l) ?? [];
          list.push(s);
          byLevel.set(l, list);
        }
        for (const l of [...byLevel.keys()].sort((a, b) => a - b)) {
          const list = byLevel.get(l) as Segment[];
          if (list.length >= this.env.mergeFactor) {
            group = list.sort((a, b) => a.liveCount - b.liveCount).slice(0, this.env.mergeFactor);
            break;
          }
        }
      }
      if (!group) return;
      await this.merge(group);
    }
  }

  private async merge(group: Segment[]): Promise<void> {
    const name = this.newSegmentName();
    // No document of the group has a provisional tombstone (see mergeIfNeeded), and one set while the
    // segment is built or written falls on a document the build kept: reconcile carries it over.
    const { segment, maps } = await buildSegment(name, group, { yieldToLoop: true });
    if (this.dropped || this.segments === null) return;
    // Written before anything changes in memory: a failed write leaves the group listed as it was.
    if (segment.size > 0) await this.writeSegment(segment);
    if (this.dropped || this.segments === null) return;
    // Reconcile and swap in one synchronous step, so no deletion can fall between them.
    this.reconcile(group, maps, segment);
    const keep = this.segments.filter((s) => !group.includes(s));
    this.segments = segment.size > 0 ? [segment, ...keep] : keep;
    for (const old of group) {
      this.persistedNames.delete(old.name);
      this.retired.add(old.name);
    }
    this.noteRetired([]);
    this.env.onLoaded(this);
    await this.writeManifest();
    for (const old of group) {
      this.segmentBytes.delete(old.name);
      await this.env.storage.delete(this.segmentKey(old.name));
    }
  }

  /** Drop everything of this user, in memory and on disk. */
  async destroy(): Promise<void> {
    this.dropped = true;
    this.pending.length = 0;
    await this.chain;
    this.segments = [];
    this.frozen = [];
    this.tail = new Tail();
    this.provisional.clear();
    this.env.onLoaded(this);
    await this.env.storage.delete(this.root);
  }
}

/** The number of `seg-<n>[-<writer>]`. */
function segmentNumber(name: string): number {
  return Number(/^seg-(\d+)/.exec(name)?.[1] ?? 0);
}

/**
 * Segment order: by number, then by name. Two writers can write segments of one number; every reader
 * must order them alike, or two readers keep different copies of an item both wrote and tombstone the
 * other (the union of their tombstones then removes the item).
 */
function compareSegmentNames(a: string, b: string): number {
  return segmentNumber(a) - segmentNumber(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function mergePositions(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if ((out[k] ?? 0) < v) out[k] = v;
  return out;
}
