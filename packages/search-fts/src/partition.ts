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
import { randomBytes } from 'node:crypto';
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

/** Reads of a manifest and its segments before a segment missing from it counts as lost. */
const LOAD_ATTEMPTS = 5;

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

/** A segment merged away by this writer whose merge no manifest records yet. */
interface MergedAway {
  old: Segment;
  /** Its doc numbers in `into` (-1: left out, deleted before the merge). */
  map: Int32Array;
  into: Segment;
  writer: string | undefined;
  /** Its own tombstones when it was merged (see ownDeletions). */
  own: Map<number, Tail | null> | undefined;
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
  /** For retired segments: the segment they were merged into, '' when nothing was left (see Manifest). */
  private mergedInto = new Map<string, string>();
  /** Writer tag of each segment known (see Manifest segments[].writer). */
  private writers = new Map<string, string>();
  /**
   * Tombstones this writer set on segments (with the tail holding the new copy for a copy replaced by
   * a newer one; null for a removal), until a manifest write commits them while the segment is still
   * listed. If another writer merged the segment away first, its merge result holds the item without
   * them, so they are carried there (see carryDeletions): a removal by id (any copy of a removed id may
   * go), a replaced copy by id and text, and only when the merge result does not hold the new copy
   * (it holds one copy of the item: the new one, or the replaced one, or a newer one, which must stay).
   */
  private ownDeletions = new Map<Segment, Map<number, Tail | null>>();
  /** The segment each persisted tail became (see ownDeletions). */
  private segmentOfTail = new WeakMap<Tail, string>();
  /**
   * Segments this writer merged away, by name, until a manifest write records the merge: a tombstone
   * another writer committed on one of them meanwhile is carried into the merge result, and a merge
   * another writer made of one of them first undoes this one (see undoLostMerges).
   */
  private mergedAway = new Map<string, MergedAway>();
  /**
   * Ids removed (`remove`) since the last manifest write. Segments listed on disk that this writer
   * does not hold (written by others since it loaded) may hold copies of them; the next manifest write
   * marks them deleted there by id. Its positions may cover the deletion's event, so no catch-up
   * would remove those copies later (the deletion is applied in this writer's view only).
   */
  private removedIds = new Set<string>();
  /**
   * Tombstones dropDuplicates set at load (a copy another listed segment also holds, sorting later).
   * Never written to a manifest: every reader derives them from what is listed when it loads, and a
   * merge may since have moved a copy to a segment sorting elsewhere; committed (and carried along
   * with the segment), two readers' choices could together delete every copy. A removal or a new
   * copy of the item makes them this writer's own.
   */
  private derived = new Map<Segment, Set<number>>();
  /**
   * Names of the segments in this writer's view that a manifest it read or wrote listed. One of them
   * that a later manifest neither lists nor retires was merged away by another writer and its name
   * has since dropped off the bounded `retired` list (see forgottenRetirements): it must never be
   * listed again, as its blob is gone and its items live on elsewhere.
   */
  private listedSeen = new Set<string>();
  /**
   * Merge results undone before any manifest named them (see undoLostMerges): their merge stops there.
   * Weak: one undone by a later write, after its own failed, is never looked up (its blob is an orphan).
   */
  private undoneMerges = new WeakSet<Segment>();

  /**
   * Part of the names of the segments this partition writes (see newSegmentName). Random per
   * partition, not per index: a user deleted and indexed again starts numbering at 0, and with a
   * per-index tag wrote `seg-000000-<tag>` again, a name another writer still held as retired from
   * the deleted user; that writer dropped the new segment from the manifest while keeping the
   * positions it covered, and its messages were never found again.
   */
  private readonly writerTag = randomBytes(4).toString('hex');

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
    this.ownDeletions.clear(); // committed (not dirty), so nothing is left to carry
    this.mergedAway.clear();
    this.derived.clear();
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
        this.noteRetired(m.retired, m.mergedInto);
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
    let bytes: Uint8Array | null = null;
    let m: Manifest | null = null;
    let segments: Segment[] = [];
    let names = new Set<string>();
    let lost = false;
    for (let attempt = 1; ; attempt++) {
      bytes = await this.env.storage.read(this.manifestKey);
      m = bytes ? decodeManifest(bytes) : null;
      segments = [];
      names = new Set<string>();
      lost = false;
      let gone = false;
      for (const entry of m?.segments ?? []) {
        try {
          const seg = await this.readSegment(entry.name);
          if (!seg && attempt < LOAD_ATTEMPTS) {
            gone = true;
            break;
          }
          if (!seg) {
            throw new FFCorruptionError('index segment is missing', { key: this.segmentKey(entry.name) });
          }
          for (const d of entry.deleted) seg.markDeleted(d);
          for (const id of entry.deletedIds ?? []) seg.markDeleted(docToDelete(seg, id));
          this.writers.set(entry.name, entry.writer ?? tagOf(entry.name));
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
      if (!gone) break;
      // A segment the manifest named is gone: another writer merged it away, committed a manifest
      // naming the merge result instead and deleted it, after this read. The manifest is read again
      // (dropping the segment would leave its items out of this view: edits and deletions of them
      // would then miss the copies still listed on disk).
      const pool = this.env.pool;
      if (pool) for (const seg of segments) seg.release(pool);
    }
    if (m) {
      this.nextSegment = Math.max(this.nextSegment, m.nextSegment);
      this.noteRetired(m.retired, m.mergedInto);
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
    if (segments.length > 1) this.dropDuplicates(segments);
    if (lost) {
      // Unknown coverage: ask the manager to replay everything (re-adding an id replaces it).
      this.durablePositions = {};
      this.livePositions = {};
      this.dirty = true;
    }
    this.segments = segments;
    this.persistedNames = names;
    this.listedSeen = new Set(names);
    for (const s of [...this.segmentBytes.keys()]) if (!names.has(s)) this.segmentBytes.delete(s);
    this.lastUsed = Date.now();
    this.env.onLoaded(this);
    if (!this.orphansChecked) {
      this.orphansChecked = true;
      void this.removeOrphans(names);
    }
  }

  /** The segment `name`, or null when its blob does not exist. */
  private async readSegment(name: string): Promise<Segment | null> {
    const key = this.segmentKey(name);
    const blob = await this.env.storage.read(key);
    if (!blob) return null;
    this.segmentBytes.set(name, blob.byteLength);
    const pool = this.env.pool;
    const raw = unpackSegment(blob, this.env.compressor, key, pool);
    const data = decodeSegment(raw, key, pool);
    return new Segment(data, undefined, raw.owned, raw.deleted);
  }

  private noteRetired(names: readonly string[] | undefined, mergedInto?: Record<string, string>): void {
    for (const n of names ?? []) {
      this.retired.add(n);
      this.writers.delete(n);
    }
    for (const [from, to] of Object.entries(mergedInto ?? {})) this.mergedInto.set(from, to);
    if (this.retired.size <= MAX_RETIRED) return;
    // Bounded: the oldest names go first, but never one of a segment this writer still holds (or
    // merged away unrecorded): forgetting it would let the next manifest write list it again.
    const held = new Set(this.heldNames());
    for (const n of this.retired) {
      if (this.retired.size <= MAX_RETIRED) break;
      if (held.has(n)) continue;
      this.retired.delete(n);
      this.mergedInto.delete(n);
    }
  }

  /** Names of the segments in this writer's view, and of those it merged away unrecorded. */
  private heldNames(): string[] {
    return [...(this.segments ?? []).map((s) => s.name), ...this.mergedAway.keys()];
  }

  /**
   * Segments of this writer's view (held, or merged away by it unrecorded) that a manifest listed
   * before and `disk` neither lists nor retires: another writer merged them away, and so many merges
   * followed that their names dropped off the bounded retired list. They count as retired from now on.
   */
  private forgottenRetirements(disk: Manifest): string[] {
    const listed = new Set(disk.segments.map((e) => e.name));
    const retiredOnDisk = new Set(disk.retired ?? []);
    return this.heldNames().filter(
      (n) => this.listedSeen.has(n) && !listed.has(n) && !retiredOnDisk.has(n) && !this.retired.has(n),
    );
  }

  /**
   * The listed segment holding what `name` held after merges (followed through merges of merges):
   * `name` itself when not retired, '' when nothing of it was left, undefined when not known.
   */
  private mergeResultOf(name: string): string | undefined {
    let n = name;
    for (let hops = 0; hops <= MAX_RETIRED && this.retired.has(n); hops++) {
      const next = this.mergedInto.get(n);
      if (next === undefined || next === '') return next;
      n = next;
    }
    return this.retired.has(n) ? undefined : n;
  }

  /**
   * Two writers may both have indexed an item (each catches up on the other's appends) and both of
   * their segments are listed: the copy in the later segment wins, earlier ones get tombstones, so a
   * query never returns an item twice. Segments are listed in the order of their numbers. These
   * tombstones are not the writer's own (see ownDeletions): every reader derives them alike.
   */
  private dropDuplicates(segments: Segment[]): void {
    const tags = new Set(segments.map((s) => this.writers.get(s.name) ?? tagOf(s.name)));
    if (tags.size < 2) return; // one writer's segments never hold an id twice (adds replace)
    segments.sort((a, b) => compareSegmentNames(a.name, b.name));
    const seen = new Set<string>();
    for (let i = segments.length - 1; i >= 0; i--) {
      const seg = segments[i] as Segment;
      for (let d = 0; d < seg.size; d++) {
        if (seg.isDeleted(d)) continue;
        const id = seg.idOf(d);
        if (!seen.has(id)) seen.add(id);
        else if (seg.markDeleted(d)) {
          let marks = this.derived.get(seg);
          if (!marks) {
            marks = new Set();
            this.derived.set(seg, marks);
          }
          marks.add(d);
        }
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
        const d = src instanceof Segment ? this.claimDerived(src, op.doc.id) : src.find(op.doc.id);
        if (d < 0 || !src.markDeleted(d)) continue;
        this.markProvisional(src, d, this.tail);
        if (src instanceof Segment) this.markOwn(src, d, this.tail);
      }
      this.tail.add(op.doc);
      if (op.source) {
        const { log, seq } = op.source;
        if ((this.livePositions[log] ?? 0) < seq + 1) this.livePositions[log] = seq + 1;
      }
    } else if (op.kind === 'remove') {
      for (const id of op.ids) {
        for (const src of sources) {
          const d = src instanceof Segment ? this.claimDerived(src, id) : src.find(id);
          if (d >= 0 && src.markDeleted(d) && src instanceof Segment) this.markOwn(src, d);
        }
      }
      for (const id of op.ids) this.removedIds.add(id);
      this.dirty = true; // even with no copy here: segments of other writers may hold one
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
          const derived = this.derived.get(src);
          for (let d = 0; d < src.size; d++) {
            if (idx[d] !== code) continue;
            // A copy dropDuplicates hid becomes this writer's own tombstone; the live copy is elsewhere.
            const hidden = derived?.delete(d) === true;
            if (hidden) src.unmarkDeleted(d);
            if (!src.markDeleted(d)) continue;
            this.dirty = true;
            this.markOwn(src, d);
            if (!hidden) removed.add(src.idOf(d));
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

  /**
   * The live copy of `id` in `seg`, or its copy dropDuplicates marked (unmarked again here, for the
   * caller to mark as its own); -1 when neither.
   */
  private claimDerived(seg: Segment, id: string): number {
    const d = seg.find(id);
    if (d >= 0) return d;
    const marked = seg.docOf(id);
    if (marked < 0 || !this.derived.get(seg)?.delete(marked)) return -1;
    seg.unmarkDeleted(marked);
    return marked;
  }

  private markOwn(seg: Segment, doc: number, replacedBy: Tail | null = null): void {
    let own = this.ownDeletions.get(seg);
    if (!own) {
      own = new Map();
      this.ownDeletions.set(seg, own);
    }
    own.set(doc, replacedBy);
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

  /**
   * The tombstones of `seg` a manifest may commit: all but those still waiting for their tail, and
   * those dropDuplicates derived (see `derived`).
   */
  private committedDeletions(seg: Segment): number[] {
    const held = this.provisional.get(seg);
    const derived = this.derived.get(seg);
    const all = seg.deletedList();
    return held?.size || derived?.size ? all.filter((d) => !held?.has(d) && !derived?.has(d)) : all;
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
   * `seg-<n>-<writer>`: the number orders segments, the writer tag (random, one per partition
   * instance) keeps two processes that loaded the same manifest from writing the same blob name.
   */
  private newSegmentName(): string {
    return `seg-${String(this.nextSegment++).padStart(6, '0')}-${this.writerTag}`;
  }

  /**
   * A merge result keeps the highest number of its group, under a fresh tag: it holds nothing newer
   * than that segment, so a copy another writer indexed since (an edit) still sorts after it. A new
   * number would put the older copies last, and readers keep the copy of the last segment.
   */
  private mergedSegmentName(group: readonly Segment[]): string {
    const n = Math.max(...group.map((g) => segmentNumber(g.name)));
    for (;;) {
      const name = `seg-${String(n).padStart(6, '0')}-${randomBytes(4).toString('hex')}`;
      if (!this.segmentBytes.has(name) && !this.retired.has(name) && !this.writers.has(name)) return name;
    }
  }

  /**
   * A tail's segment takes a number past every segment listed on disk, so that copies it holds sort
   * after older copies other writers listed since this one loaded (this writer's count lags theirs).
   */
  private async catchUpSegmentNumber(): Promise<void> {
    const m = await this.readManifest();
    if (m) this.nextSegment = Math.max(this.nextSegment, m.nextSegment);
  }

  private async readManifest(): Promise<Manifest | null> {
    const bytes = await this.env.storage.read(this.manifestKey);
    return bytes ? decodeManifest(bytes) : null;
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
        this.markOwn(target, nd);
        const owner = held?.get(d);
        if (owner) this.markProvisional(target, nd, owner);
      }
      this.provisional.delete(src);
    }
  }

  private async persistFrozen(frozen: FrozenTail): Promise<void> {
    await this.ensureLoaded();
    await this.catchUpSegmentNumber();
    const name = this.newSegmentName();
    const { segment, maps } = await buildSegment(name, [frozen.tail], {
      yieldToLoop: true,
      keepDeleted: this.keepProvisional,
    });
    if (this.dropped) return;
    // Written before anything changes in memory: a failed write leaves the frozen tail as it was.
    if (segment.size > 0) await this.writeSegment(segment);
    if (this.dropped) return;
    this.segmentOfTail.set(frozen.tail, segment.name);
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
    this.writers.set(segment.name, this.writerTag);
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

  /** Whether a segment's blob exists (commitManifest, under the manifest's lock). */
  private async blobExists(name: string): Promise<boolean> {
    try {
      return (await this.env.storage.stat(this.segmentKey(name))) !== null;
    } catch {
      return true; // unknown: keep listing it
    }
  }

  private async commitManifest(): Promise<void> {
    const storage = this.env.storage as StorageBackend & { withLock?: StorageBackend['withLock'] };
    const commit = async (): Promise<void> => {
      const disk = await this.readManifest();
      let forgotten: string[] = [];
      if (disk) {
        this.noteRetired(disk.retired, disk.mergedInto);
        forgotten = this.forgottenRetirements(disk);
      }
      if (this.dropped || this.segments === null) return;
      if (forgotten.length > 0) {
        // Where their items went is no longer known: this writer's own tombstones on them not yet
        // committed are lost (removals since the last write still reach every segment by id).
        this.env.logger?.warn(
          { userId: this.userId, segments: forgotten.length },
          'search index: segments another process merged away long ago count as retired (never listed again)',
        );
      }
      // Before the entries are taken: these change which segments this writer lists, and tombstones.
      if (disk) this.undoLostMerges(disk, new Set(forgotten));
      for (const n of forgotten) this.retired.add(n);
      // This write commits (or carries) these; any set while it is written wait for the next one.
      const committing = this.committableOwnDeletions();
      const carried = disk ? this.carryDeletions(disk, committing) : new Map<string, Set<string>>();
      const removed = [...this.removedIds];
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
            writer: this.writers.get(s.name) ?? tagOf(s.name),
          };
        });
      let positions = this.durablePositions;
      let nextSegment = this.nextSegment;
      if (disk) {
        const mine = new Map(entries.map((e) => [e.name, e]));
        for (const e of disk.segments) {
          if (this.retired.has(e.name)) continue;
          const own = mine.get(e.name);
          if (!own && !(await this.blobExists(e.name))) {
            // Listed, not retired, and its blob is gone: removed with the user's directory by a
            // process that deleted the user (or dropped a stale view of it) while another writer
            // still listed it. Carrying the entry made every reader load the user as damaged and
            // replay it, at every start, for good. Readers replay what it held all the same.
            this.env.logger?.warn(
              { userId: this.userId, segment: e.name },
              'search index: a listed segment whose file is gone is no longer listed',
            );
            continue;
          }
          if (!own) {
            const ids = carried.get(e.name) ?? new Set<string>();
            for (const id of removed) ids.add(id);
            entries.push(withDeletedIds(e, ids));
            carried.delete(e.name);
            continue;
          }
          // Another writer's tombstones on a segment this one holds too: kept, and applied here.
          const seg = this.segments.find((s) => s.name === e.name);
          const held = seg && this.provisional.get(seg);
          const byId = (e.deletedIds ?? [])
            .map((id) => (seg ? docToDelete(seg, id) : -1))
            .filter((d) => d >= 0);
          const derived = seg && this.derived.get(seg);
          for (const d of [...e.deleted, ...byId]) {
            seg?.markDeleted(d);
            held?.delete(d); // committed by the other writer
            derived?.delete(d);
          }
          const deleted = [...new Set([...own.deleted, ...e.deleted, ...byId])].sort((a, b) => a - b);
          own.deleted = deleted;
          own.live = Math.max(0, own.docs - deleted.length);
        }
        entries.sort((a, b) => compareSegmentNames(a.name, b.name));
        positions = mergePositions(disk.positions, positions);
        nextSegment = Math.max(nextSegment, disk.nextSegment);
        this.nextSegment = nextSegment;
      }
      for (const [target, ids] of carried) {
        this.env.logger?.warn(
          { userId: this.userId, segment: target, items: ids.size },
          'search index: deletions for a merged segment not listed; they are lost until a reindex',
        );
      }
      const mergedInto: Record<string, string> = {};
      for (const [from, to] of this.mergedInto) if (this.retired.has(from)) mergedInto[from] = to;
      const m: Manifest = {
        format: MANIFEST_FORMAT,
        userId: this.userId,
        updatedAt: this.env.now().toISOString(),
        compressor: this.env.compressor?.id ?? 'none',
        nextSegment,
        segments: entries,
        positions,
        retired: [...this.retired],
        mergedInto,
      };
      this.manifestLive = m.segments.reduce((a, s) => a + s.live, 0);
      for (const e of entries) if (!this.segmentBytes.has(e.name)) this.segmentBytes.set(e.name, e.bytes);
      await this.env.storage.write(this.manifestKey, encodeManifest(m));
      // Only names still in the view matter (see listedSeen).
      const inView = new Set(this.heldNames());
      for (const n of this.listedSeen) if (!inView.has(n)) this.listedSeen.delete(n);
      for (const e of entries) if (inView.has(e.name)) this.listedSeen.add(e.name);
      this.committed(committing);
      for (const id of removed) this.removedIds.delete(id);
    };
    if (typeof storage.withLock === 'function') await storage.withLock(this.manifestKey, commit);
    else await commit();
  }

  /**
   * Tombstones a merge result lacks, carried to it by id; returns those for segments this writer does
   * not hold (they go into the manifest as `deletedIds`), by segment name. Two cases:
   * - a segment this writer merged away got tombstones on disk (another writer's) after the merge was
   *   built from this writer's view. Exact: the copy was live in that view, which holds one live copy
   *   per id, so it is the one the merge result holds;
   * - a segment another writer merged away holds tombstones of this writer's removals not committed
   *   before. The merge result may hold another copy of the id (the other writer's view); a removed id
   *   goes whichever copy it is.
   */
  private carryDeletions(disk: Manifest, own: ReadonlyMap<Segment, number[]>): Map<string, Set<string>> {
    const forOthers = new Map<string, Set<string>>();
    const carry = (from: string, ids: readonly string[]): void => {
      if (ids.length === 0) return;
      const target = this.mergeResultOf(from);
      if (target === '') return; // nothing of it was left
      if (target === undefined) {
        this.env.logger?.warn(
          { userId: this.userId, segment: from, items: ids.length },
          'search index: deletions for a segment merged into an unknown one; they are lost until a reindex',
        );
        return;
      }
      const seg = this.segments?.find((s) => s.name === target && this.persistedNames.has(s.name));
      if (seg) {
        // Committed by this very write (its entries are taken after): not kept as this writer's own.
        for (const id of ids) seg.markDeleted(docToDelete(seg, id));
        return;
      }
      let set = forOthers.get(target);
      if (!set) {
        set = new Set();
        forOthers.set(target, set);
      }
      for (const id of ids) set.add(id);
    };
    const listed = new Map(disk.segments.map((e) => [e.name, e]));
    for (const [name, { old }] of this.mergedAway) {
      const e = listed.get(name);
      if (!e) continue;
      // By id and text: the copy was live in this writer's view, so it is the one its merge result
      // holds; a later merge of that result by another writer may hold another copy instead.
      const ids: string[] = [];
      const newlyDeleted = (d: number) => {
        if (old.markDeleted(d)) ids.push(replacedCopy(old.idOf(d), old.contentOf(d)));
      };
      for (const d of e.deleted) newlyDeleted(d);
      for (const id of e.deletedIds ?? []) newlyDeleted(docToDelete(old, id));
      carry(name, ids);
    }
    for (const [seg, docs] of own) {
      if (!this.retired.has(seg.name) || this.mergedAway.has(seg.name)) continue;
      const kinds = this.ownDeletions.get(seg);
      const target = this.mergeResultOf(seg.name);
      const entries: string[] = [];
      for (const d of docs) {
        const tail = kinds?.get(d);
        if (!tail) {
          entries.push(seg.idOf(d));
          continue;
        }
        const newCopy = this.segmentOfTail.get(tail);
        // Merged into the same result, the new copy may be the one copy the result holds.
        if (newCopy === undefined || this.mergeResultOf(newCopy) === target) continue;
        entries.push(replacedCopy(seg.idOf(d), seg.contentOf(d)));
      }
      carry(seg.name, entries);
    }
    return forOthers;
  }

  /**
   * Merges of this writer's that lost a race: another writer merged one of their segments first (both
   * read the manifest before either wrote it). Listing both merge results would list those items
   * twice, and a deletion known to one writer only could come back through the other's copy. So this
   * merge is undone: its segments are back in this writer's view, as they were plus the deletions
   * made since (those the other writer merged are retired, and this writer's own deletions on them are
   * carried to that writer's result like any other), and its result is not listed.
   */
  private undoLostMerges(disk: Manifest, forgotten: ReadonlySet<string>): void {
    if (this.mergedAway.size === 0 || this.segments === null) return;
    // A segment merged away so long ago that its name dropped off the list counts as retired there.
    const retiredOnDisk = new Set([...(disk.retired ?? []), ...forgotten]);
    const lost = new Set<Segment>();
    for (const ma of this.mergedAway.values()) if (retiredOnDisk.has(ma.old.name)) lost.add(ma.into);
    for (const into of lost) {
      const members = [...this.mergedAway.values()].filter((ma) => ma.into === into);
      const intoOwn = this.ownDeletions.get(into);
      const intoHeld = this.provisional.get(into);
      for (const ma of members) {
        const { old, map } = ma;
        for (let d = 0; d < old.size; d++) {
          const nd = map[d] as number;
          if (nd < 0 || !into.isDeleted(nd)) continue;
          old.markDeleted(d);
          const replaced = intoOwn?.get(nd);
          if (replaced !== undefined) this.markOwn(old, d, replaced);
          const owner = intoHeld?.get(nd);
          if (owner) this.markProvisional(old, d, owner);
        }
        for (const [d, replaced] of ma.own ?? []) this.markOwn(old, d, replaced);
        this.mergedAway.delete(old.name);
        this.persistedNames.add(old.name);
        if (ma.writer !== undefined) this.writers.set(old.name, ma.writer);
        if (!retiredOnDisk.has(old.name)) {
          this.retired.delete(old.name);
          this.mergedInto.delete(old.name);
        } else if (this.mergedInto.get(old.name) === into.name) {
          this.mergedInto.delete(old.name); // the other merge's writer did not say where it went
        }
      }
      this.segments = [...members.map((ma) => ma.old), ...this.segments.filter((s) => s !== into)];
      this.ownDeletions.delete(into);
      this.provisional.delete(into);
      this.persistedNames.delete(into.name);
      this.segmentBytes.delete(into.name);
      this.writers.delete(into.name);
      this.undoneMerges.add(into);
      this.env.logger?.info(
        { userId: this.userId, segment: into.name },
        'search index merge undone: another process merged some of its segments first',
      );
    }
    if (lost.size > 0) this.env.onLoaded(this);
  }

  /** A manifest was written: merges are recorded and own tombstones committed (or carried). */
  private committed(committing: ReadonlyMap<Segment, number[]>): void {
    this.mergedAway.clear();
    for (const [seg, docs] of committing) {
      const own = this.ownDeletions.get(seg);
      if (!own) continue;
      for (const d of docs) own.delete(d);
      if (own.size === 0) this.ownDeletions.delete(seg);
    }
  }

  /** This writer's own tombstones a manifest write may commit now: all but provisional ones. */
  private committableOwnDeletions(): Map<Segment, number[]> {
    const out = new Map<Segment, number[]>();
    for (const [seg, own] of this.ownDeletions) {
      const held = this.provisional.get(seg);
      const docs = [...own.keys()].filter((d) => !held?.has(d));
      if (docs.length > 0) out.set(seg, docs);
    }
    return out;
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
      // A merge no manifest records yet (its write failed) is recorded, or undone, first.
      if (this.dropped || this.segments === null || this.mergedAway.size > 0) return;
      // Segments other writers merged away are known from the manifest write just made (merges follow
      // one); one merged away since loses that race (see undoLostMerges).
      const group = this.mergeGroup();
      if (!group) return;
      await this.merge(group);
    }
  }

  /** The segments to merge next, if any. */
  private mergeGroup(): Segment[] | undefined {
    if (this.segments === null) return undefined;
    // A segment another writer merged away is not merged again (its items are in that merge).
    // Nor one holding an older copy whose tombstone waits for its tail: a merge would drop the copy.
    const persisted = this.segments.filter(
      (s) => this.persistedNames.has(s.name) && !this.retired.has(s.name) && !this.provisional.get(s)?.size,
    );
    // Segments that are mostly tombstones are rewritten on their own.
    const sparse = persisted.find((s) => s.size > 0 && s.deletedCount > s.size / 2);
    if (sparse) return [sparse];
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
        return list.sort((a, b) => a.liveCount - b.liveCount).slice(0, this.env.mergeFactor);
      }
    }
    return undefined;
  }

  private async merge(group: Segment[]): Promise<void> {
    const name = this.mergedSegmentName(group);
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
    group.forEach((old, i) => {
      // Its own tombstones are applied: their documents were left out of the merge, or marked there.
      const own = this.ownDeletions.get(old);
      this.ownDeletions.delete(old);
      this.mergedAway.set(old.name, {
        old,
        map: maps[i] as Int32Array,
        into: segment,
        writer: this.writers.get(old.name),
        own,
      });
      this.persistedNames.delete(old.name);
      this.retired.add(old.name);
      this.mergedInto.set(old.name, segment.size > 0 ? segment.name : '');
      this.writers.delete(old.name);
    });
    this.noteRetired([]);
    this.env.onLoaded(this);
    try {
      await this.writeManifest();
    } finally {
      if (this.undoneMerges.has(segment)) {
        // Another writer merged part of the group first: this merge was undone; no manifest names
        // its blob.
        await this.env.storage.delete(this.segmentKey(segment.name)).catch(() => undefined);
      }
    }
    if (this.undoneMerges.has(segment)) return;
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
    this.ownDeletions.clear();
    this.mergedAway.clear();
    this.removedIds.clear();
    this.derived.clear();
    this.env.onLoaded(this);
    await this.env.storage.delete(this.root);
  }
}

/** The writer tag in a segment's name (`seg-<n>-<tag>`; '' for names without one). */
function tagOf(name: string): string {
  const dash = name.indexOf('-', 4);
  return dash < 0 ? '' : name.slice(dash + 1);
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

/**
 * A `deletedIds` entry for a copy replaced by a newer one: its id and a fingerprint of its text. Only a
 * copy with that very text is deleted: the segment may hold a newer copy of the item instead.
 */
function replacedCopy(id: string, content: string): string {
  return `${id}\n${fingerprint(content)}`;
}

/** The doc a `deletedIds` entry deletes in `seg` (see replacedCopy), or -1. */
function docToDelete(seg: Segment, entry: string): number {
  const cut = entry.indexOf('\n');
  if (cut < 0) return seg.docOf(entry);
  const d = seg.docOf(entry.slice(0, cut));
  return d >= 0 && fingerprint(seg.contentOf(d)) === entry.slice(cut + 1) ? d : -1;
}

/** FNV-1a (32 bits) of a text's UTF-16 code units, as hex. */
function fingerprint(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** `e` with `ids` added to its tombstones by id. */
function withDeletedIds(
  e: Manifest['segments'][number],
  ids: Set<string> | undefined,
): Manifest['segments'][number] {
  if (!ids?.size) return e;
  const deletedIds = [...new Set([...(e.deletedIds ?? []), ...ids])];
  return { ...e, deletedIds, live: Math.max(0, e.docs - e.deleted.length - deletedIds.length) };
}

function mergePositions(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) if ((out[k] ?? 0) < v) out[k] = v;
  return out;
}
