import type { Adapter, Lifecycle } from './common.js';

/** Which embedding model produced a vector. Indexes never mix spaces. */
export interface EmbeddingSpace {
  provider: string;
  model: string;
  dimension: number;
}

export interface VectorItem {
  /** Unique per user, e.g. `<documentId>_chunk_3` or `msg_abc`. */
  id: string;
  vector: Float32Array;
  metadata: Record<string, unknown>;
}

export interface VectorHit {
  id: string;
  /** Cosine similarity in [-1, 1]. */
  score: number;
  metadata: Record<string, unknown>;
}

export interface VectorSearchOptions {
  k: number;
  /** Drop hits scoring below this. */
  threshold?: number;
  /** Keep only items whose metadata passes. */
  filter?: (metadata: Record<string, unknown>) => boolean;
}

export interface VectorIndexStats {
  userId: string;
  space: EmbeddingSpace | null;
  count: number;
  indexType: string;
  bytesOnDisk: number;
}

export interface VectorIndex
  extends Adapter<{ persistent: boolean; exact: boolean; ann: boolean }>,
    Lifecycle {
  /** Add or replace items in the user's index for `space`; throws FFEmbeddingError(FF_SPACE_MISMATCH) on a different space. */
  upsert(userId: string, space: EmbeddingSpace, items: readonly VectorItem[]): Promise<void>;
  search(
    userId: string,
    space: EmbeddingSpace,
    query: Float32Array,
    options: VectorSearchOptions,
  ): Promise<VectorHit[]>;
  /** Remove by id; resolves to the number removed. */
  remove(userId: string, ids: readonly string[]): Promise<number>;
  /** Remove every item whose metadata passes `predicate`; resolves to the number removed. */
  removeWhere(userId: string, predicate: (metadata: Record<string, unknown>) => boolean): Promise<number>;
  removeUser(userId: string): Promise<void>;
  stats(userId: string): Promise<VectorIndexStats>;
  /**
   * Every live item of the user (id and metadata; vectors stay in the index), in any order. The manager
   * counts a session's vectors from it, exports a user's chunks with it, and `verify` compares it with
   * the stored messages.
   */
  entries(userId: string): Promise<VectorIndexEntry[]>;
  flush(): Promise<void>;
  /**
   * Optional: how far into each source log (by key) the persisted vectors reach, as `setPositions` left
   * it. With both methods, the manager re-embeds after a crash only the messages the index lacks; an
   * index without them gets no crash catch-up (messages embedded by a process that died before the
   * index persisted them stay unembedded until `rebuildVectorIndex`).
   */
  positions?(userId: string): Promise<Record<string, number>>;
  /** Optional (see `positions`): records positions; `null` forgets a log's. */
  setPositions?(userId: string, positions: Record<string, number | null>): Promise<void>;
}

/** One item of `VectorIndex.entries`. */
export interface VectorIndexEntry {
  id: string;
  metadata: Record<string, unknown>;
}

/** Turns text into vectors of one embedding space. Never returns silent zero vectors: it throws. */
export interface Embedder extends Adapter<{ local: boolean; batch: boolean }> {
  readonly space: EmbeddingSpace;
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}
