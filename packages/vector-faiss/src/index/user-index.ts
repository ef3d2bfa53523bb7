/**
 * One user's vector index in memory: a faiss index whose labels are insertion positions, the persisted
 * label -> {id, metadata} table (faiss-node has no add_with_ids), and tombstones for deleted labels.
 * No I/O here: persistence lives in ./index-persistence.ts.
 */
import { type EmbeddingSpace, FFEmbeddingError, type VectorHit } from '@ffdb/core-types';
import { applySearchParams, buildIvf, createEmptyIndex } from './index-builder.js';
import type { FaissIndex } from './faiss-binding.js';
import type { IndexKind, ResolvedFaissVectorIndexOptions } from './options.js';

/**
 * Float32 inner products of unit vectors carry rounding error of ~1e-7 (a text's own vector scores
 * 0.99999994 against itself): scores within this of 1 are 1, and a threshold is met within it, so
 * `threshold: 1` finds identical texts.
 */
const SCORE_TOLERANCE = 1e-6;

function cosineOf(innerProduct: number): number {
  return innerProduct >= 1 - SCORE_TOLERANCE ? 1 : Math.max(-1, innerProduct);
}

export interface Slot {
  id: string;
  metadata: Record<string, unknown>;
}

export function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.provider === b.provider && a.model === b.model && a.dimension === b.dimension;
}

export function spaceMismatch(stored: EmbeddingSpace, given: EmbeddingSpace): FFEmbeddingError {
  return new FFEmbeddingError(
    given.provider,
    `embedding space ${describeSpace(given)} does not match this index's space ${describeSpace(stored)}; ` +
      'vectors of different models cannot be compared (re-embed, or delete the index first)',
    { code: 'FF_SPACE_MISMATCH' },
  );
}

export function describeSpace(s: EmbeddingSpace): string {
  return `${s.provider}/${s.model}/${s.dimension}d`;
}

export class UserVectorIndex {
  space: EmbeddingSpace | null = null;
  kind: IndexKind = 'flat';
  index: FaissIndex | null = null;
  /** label -> slot; null marks a tombstone (a deleted vector still inside the faiss index). */
  slots: (Slot | null)[] = [];
  readonly byId = new Map<string, number>();
  tombstones = 0;
  /** Vectors the IVF quantizer was trained on (retrain when the index outgrows it 8x). */
  trainedOn = 0;
  /**
   * The incarnation of the directory this index was read from (a random tag given to it by its first
   * writer, see IndexPersistence): another one on disk, or none, means the user's index was removed,
   * maybe created again, since. Undefined for a new index before its first write and for indexes written
   * before incarnations.
   */
  incarnation: string | undefined;
  /** Snapshot generation on disk and vectors journalled since it. */
  generation = 0;
  /** The snapshot file the manifest names (undefined before the first checkpoint). */
  snapshotFile: string | undefined;
  journalled = 0;
  /**
   * Caller-defined progress markers persisted with the index (e.g. the manager records, per message log, the
   * next seq not yet considered for embedding, to catch up after a crash). Values only move forward.
   */
  positions: Record<string, number> = {};
  /** Bulk vector files (see IndexPersistence.journalBulk) the current generation's journal names. */
  bulkFiles: string[] = [];
  /**
   * The previous generation's journal from `fromSeq` on, which the manifest says to replay too: records
   * other writers appended to it after the checkpoint that ended it had read it (see
   * IndexPersistence.checkpoint). `seen`: how far this instance has read it.
   */
  carry: { generation: number; fromSeq: number; seen: number } | undefined;
  /** The carried journal was found missing (see IndexPersistence.catchUpOnce): checkpoint at once. */
  carryLost = false;
  /** How far this instance has read the current journal (records below this seq are applied). */
  readUpTo = 0;
  /** Seqs of the records this instance appended to the current journal since it last read it. */
  readonly ownSeqs = new Set<number>();

  constructor(
    readonly userId: string,
    private readonly opts: ResolvedFaissVectorIndexOptions,
  ) {}

  /** Throws the space-mismatch error when the index already holds vectors of another space. */
  assertSpace(space: EmbeddingSpace): void {
    if (this.space && !sameSpace(this.space, space)) throw spaceMismatch(this.space, space);
  }

  get live(): number {
    return this.slots.length - this.tombstones;
  }

  /** Adds unit vectors (`matrix` holds ids.length rows); an existing id is replaced (old label tombstoned). */
  applyUpsert(
    space: EmbeddingSpace,
    ids: readonly string[],
    matrix: Float32Array,
    metas: readonly Record<string, unknown>[],
  ): void {
    this.assertSpace(space);
    if (!this.space)
      this.space = { provider: space.provider, model: space.model, dimension: space.dimension };
    if (!this.index) this.index = this.newEmptyIndex();
    // A batch may repeat an id: the last occurrence wins, as if applied one by one.
    const lastPos = new Map<string, number>();
    ids.forEach((id, i) => {
      lastPos.set(id, i);
    });
    let rows = matrix;
    if (lastPos.size !== ids.length) {
      const d = space.dimension;
      rows = new Float32Array(lastPos.size * d);
      let r = 0;
      for (const i of lastPos.values()) rows.set(matrix.subarray(i * d, (i + 1) * d), d * r++);
    }
    for (const id of lastPos.keys()) this.tombstone(id);
    this.index.add(rows);
    for (const [id, i] of lastPos) {
      this.byId.set(id, this.slots.length);
      this.slots.push({ id, metadata: metas[i] ?? {} });
    }
  }

  /** Advances positions (a lower value than the stored one is ignored); `null` forgets a key. */
  applyPositions(positions: Readonly<Record<string, number | null>>): void {
    for (const [key, value] of Object.entries(positions)) {
      if (value === null) delete this.positions[key];
      else if (value > (this.positions[key] ?? -1)) this.positions[key] = value;
    }
  }

  /** Tombstones ids; resolves to how many existed. */
  applyRemove(ids: Iterable<string>): number {
    let n = 0;
    for (const id of ids) if (this.tombstone(id)) n++;
    return n;
  }

  private tombstone(id: string): boolean {
    const label = this.byId.get(id);
    if (label === undefined) return false;
    this.byId.delete(id);
    this.slots[label] = null;
    this.tombstones++;
    return true;
  }

  /** Best-first hits for each unit query in `queries` (nq rows). */
  search(
    queries: Float32Array,
    nq: number,
    k: number,
    threshold: number | undefined,
    filter: ((m: Record<string, unknown>) => boolean) | undefined,
  ): VectorHit[][] {
    const out: VectorHit[][] = Array.from({ length: nq }, () => []);
    const index = this.index;
    const total = this.slots.length;
    if (!index || this.live === 0 || k <= 0) return out;
    // Over-fetch to skip tombstones (and filtered items); widen until k pass or the index is exhausted.
    let fetch = Math.min(total, filter ? Math.max(4 * k, k + this.tombstones) : k + this.tombstones);
    let pending = [...Array(nq).keys()];
    while (pending.length) {
      const batch = new Float32Array(pending.length * (this.space?.dimension ?? 0));
      const d = this.space?.dimension ?? 0;
      pending.forEach((q, i) => {
        batch.set(queries.subarray(q * d, (q + 1) * d), i * d);
      });
      // An ANN index (HNSW, IVF) may leave some vectors unreachable; when the whole index is asked for,
      // answer exactly so that no live item is ever dropped.
      const { distances, labels } =
        this.kind !== 'flat' && fetch >= total
          ? this.exactSearch(batch, pending.length, fetch)
          : index.search(batch, fetch);
      const retry: number[] = [];
      pending.forEach((q, i) => {
        const hits: VectorHit[] = [];
        let seen = 0;
        let belowThreshold = false;
        for (let j = i * fetch; j < (i + 1) * fetch; j++) {
          const label = labels[j] as number;
          if (label < 0) continue;
          seen++;
          const slot = this.slots[label];
          if (!slot) continue;
          const score = cosineOf(distances[j] as number);
          if (threshold !== undefined && score < threshold - SCORE_TOLERANCE) {
            belowThreshold = true;
            break;
          }
          if (filter && !filter(slot.metadata)) continue;
          hits.push({ id: slot.id, score, metadata: slot.metadata });
          if (hits.length === k) break;
        }
        out[q] = hits;
        if (hits.length < k && !belowThreshold && seen === fetch && fetch < total) retry.push(q);
      });
      if (!retry.length || fetch >= total) break;
      fetch = Math.min(total, fetch * 4);
      pending = retry;
    }
    return out;
  }

  /** Brute-force inner products over every stored vector, shaped like faiss's search result. */
  private exactSearch(
    batch: Float32Array,
    nq: number,
    k: number,
  ): { distances: Float32Array; labels: number[] } {
    const index = this.index;
    const d = this.space?.dimension ?? 0;
    const n = this.slots.length;
    if (!index || d === 0) return { distances: new Float32Array(0), labels: [] };
    const all = index.reconstructN(0, n);
    const distances = new Float32Array(nq * k).fill(Number.NEGATIVE_INFINITY);
    const labels: number[] = new Array(nq * k).fill(-1);
    for (let q = 0; q < nq; q++) {
      const scored: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        let dot = 0;
        for (let j = 0; j < d; j++) dot += (batch[q * d + j] as number) * (all[i * d + j] as number);
        scored.push([dot, i]);
      }
      scored.sort((a, b) => b[0] - a[0]);
      for (let r = 0; r < Math.min(k, scored.length); r++) {
        distances[q * k + r] = (scored[r] as [number, number])[0];
        labels[q * k + r] = (scored[r] as [number, number])[1];
      }
    }
    return { distances, labels };
  }

  /** The kind this index should have now, given its size and the options. */
  targetKind(): IndexKind {
    const { indexType, autoKind, rebuildThreshold, ivfMinTrainSize } = this.opts;
    let want: IndexKind;
    if (indexType === 'auto') {
      // Hysteresis: leave ANN only when the index shrinks well below the threshold.
      const above = this.kind === 'flat' ? this.live > rebuildThreshold : this.live > rebuildThreshold / 2;
      want = above ? autoKind : 'flat';
    } else want = indexType;
    if (want === 'ivf' && this.live < ivfMinTrainSize) want = 'flat';
    return want;
  }

  /** True when the index should be rebuilt: kind change, too many tombstones, or an IVF that outgrew its training. */
  needsRebuild(): boolean {
    if (!this.index) return false;
    if (this.targetKind() !== this.kind) return true;
    if (this.tombstones > 0 && this.tombstones >= this.slots.length * this.opts.tombstoneRebuildRatio)
      return true;
    if (this.kind === 'ivf' && this.live > this.trainedOn * 8) return true;
    return false;
  }

  /** Rebuilds from the live vectors (read back out of faiss), compacting labels; resets tombstones. */
  rebuild(): void {
    const d = this.space?.dimension;
    if (!this.index || !d) return;
    const all = this.index.reconstructN(0, this.slots.length);
    const live = new Float32Array(this.live * d);
    const slots: Slot[] = [];
    this.slots.forEach((slot, label) => {
      if (!slot) return;
      live.set(all.subarray(label * d, (label + 1) * d), slots.length * d);
      slots.push(slot);
    });
    const kind = this.targetKind();
    let index: FaissIndex;
    if (kind === 'ivf') {
      index = buildIvf(live, slots.length, d, this.opts).index;
      this.trainedOn = slots.length;
    } else {
      index = createEmptyIndex(kind, d, this.opts);
      if (slots.length) index.add(live);
      this.trainedOn = 0;
    }
    this.index = index;
    this.kind = kind;
    this.slots = slots;
    this.tombstones = 0;
    this.byId.clear();
    slots.forEach((s, i) => {
      this.byId.set(s.id, i);
    });
  }

  /** Re-applies query parameters (after load or an options change). */
  applyParams(): void {
    if (this.index) applySearchParams(this.index, this.kind, this.opts);
  }

  private newEmptyIndex(): FaissIndex {
    const d = this.space?.dimension ?? 0;
    // IVF needs training data: start exact and convert once enough vectors exist (see needsRebuild).
    this.kind = this.opts.indexType === 'hnsw' ? 'hnsw' : 'flat';
    return createEmptyIndex(this.kind, d, this.opts);
  }
}
