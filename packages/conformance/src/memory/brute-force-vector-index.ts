import {
  assertUserId,
  type EmbeddingSpace,
  FFEmbeddingError,
  FFValidationError,
  type VectorHit,
  type VectorIndex,
  type VectorIndexEntry,
  type VectorIndexStats,
  type VectorItem,
  type VectorSearchOptions,
} from '@ffdb/core-types';

interface UserVectors {
  space: EmbeddingSpace;
  items: Map<string, { vector: Float32Array; metadata: Record<string, unknown> }>;
}

function sameSpace(a: EmbeddingSpace, b: EmbeddingSpace): boolean {
  return a.provider === b.provider && a.model === b.model && a.dimension === b.dimension;
}

function checkSpace(space: EmbeddingSpace): void {
  if (
    !space ||
    typeof space.provider !== 'string' ||
    typeof space.model !== 'string' ||
    !Number.isSafeInteger(space.dimension) ||
    space.dimension <= 0
  ) {
    throw new FFValidationError([{ path: 'space', message: 'must be { provider, model, dimension > 0 }' }]);
  }
}

/** A unit-length copy; throws on a wrong dimension, non-finite values or a zero vector. */
export function normalizeVector(vector: Float32Array, dimension: number, field: string): Float32Array {
  if (!(vector instanceof Float32Array) || vector.length !== dimension) {
    throw new FFValidationError([
      { path: field, message: `must be a Float32Array of dimension ${dimension}`, limit: dimension },
    ]);
  }
  let norm = 0;
  for (const v of vector) norm += v * v;
  norm = Math.sqrt(norm);
  if (!Number.isFinite(norm) || norm === 0) {
    throw new FFValidationError([{ path: field, message: 'must be a finite, non-zero vector' }]);
  }
  const out = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) out[i] = (vector[i] ?? 0) / norm;
  return out;
}

/** The reference VectorIndex: exact cosine similarity by brute force, one space per user. */
export class BruteForceVectorIndex implements VectorIndex {
  readonly id = 'brute-force';
  readonly capabilities = { persistent: false, exact: true, ann: false };
  private readonly users = new Map<string, UserVectors>();
  /** Per user, the positions setPositions recorded (see VectorIndex.positions). */
  private readonly marks = new Map<string, Record<string, number>>();

  async open(): Promise<void> {}
  async close(): Promise<void> {}
  async flush(): Promise<void> {}

  private mismatch(current: EmbeddingSpace, asked: EmbeddingSpace): FFEmbeddingError {
    return new FFEmbeddingError(
      asked.provider,
      `index holds ${current.provider}/${current.model}/${current.dimension}, got ${asked.provider}/${asked.model}/${asked.dimension}`,
      { code: 'FF_SPACE_MISMATCH' },
    );
  }

  async upsert(userId: string, space: EmbeddingSpace, items: readonly VectorItem[]): Promise<void> {
    assertUserId(userId);
    checkSpace(space);
    const existing = this.users.get(userId);
    if (existing && existing.items.size > 0 && !sameSpace(existing.space, space))
      throw this.mismatch(existing.space, space);
    // Validate and copy everything first: a bad item rejects the batch and nothing is stored.
    const prepared = items.map((item, i) => {
      if (typeof item?.id !== 'string' || item.id === '')
        throw new FFValidationError([{ path: `items.${i}.id`, message: 'must be a non-empty string' }]);
      return {
        id: item.id,
        vector: normalizeVector(item.vector, space.dimension, `items.${i}.vector`),
        metadata: structuredClone(item.metadata ?? {}),
      };
    });
    const target = existing && existing.items.size > 0 ? existing : { space: { ...space }, items: new Map() };
    for (const p of prepared) target.items.set(p.id, { vector: p.vector, metadata: p.metadata });
    this.users.set(userId, target);
  }

  async search(
    userId: string,
    space: EmbeddingSpace,
    query: Float32Array,
    options: VectorSearchOptions,
  ): Promise<VectorHit[]> {
    assertUserId(userId);
    checkSpace(space);
    if (!Number.isSafeInteger(options?.k) || options.k < 0)
      throw new FFValidationError([{ path: 'k', message: 'must be a non-negative integer' }]);
    const q = normalizeVector(query, space.dimension, 'query');
    const u = this.users.get(userId);
    if (!u || u.items.size === 0) return [];
    if (!sameSpace(u.space, space)) throw this.mismatch(u.space, space);
    const hits: VectorHit[] = [];
    for (const [id, item] of u.items) {
      if (options.filter && !options.filter(item.metadata)) continue;
      let score = 0;
      for (let i = 0; i < q.length; i++) score += (q[i] ?? 0) * (item.vector[i] ?? 0);
      if (options.threshold !== undefined && score < options.threshold) continue;
      hits.push({ id, score, metadata: structuredClone(item.metadata) });
    }
    hits.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
    return hits.slice(0, options.k);
  }

  async remove(userId: string, ids: readonly string[]): Promise<number> {
    assertUserId(userId);
    const u = this.users.get(userId);
    let n = 0;
    for (const id of ids) if (u?.items.delete(id)) n++;
    return n;
  }

  async removeWhere(
    userId: string,
    predicate: (metadata: Record<string, unknown>) => boolean,
  ): Promise<number> {
    assertUserId(userId);
    const u = this.users.get(userId);
    let n = 0;
    for (const [id, item] of u?.items ?? []) {
      if (predicate(item.metadata)) {
        u?.items.delete(id);
        n++;
      }
    }
    return n;
  }

  async removeUser(userId: string): Promise<void> {
    assertUserId(userId);
    this.users.delete(userId);
    this.marks.delete(userId);
  }

  async entries(userId: string): Promise<VectorIndexEntry[]> {
    assertUserId(userId);
    return [...(this.users.get(userId)?.items ?? [])].map(([id, item]) => ({
      id,
      metadata: { ...item.metadata },
    }));
  }

  async positions(userId: string): Promise<Record<string, number>> {
    assertUserId(userId);
    return { ...(this.marks.get(userId) ?? {}) };
  }

  async setPositions(userId: string, positions: Record<string, number | null>): Promise<void> {
    assertUserId(userId);
    const marks = { ...(this.marks.get(userId) ?? {}) };
    for (const [log, seq] of Object.entries(positions)) {
      if (seq === null) delete marks[log];
      else marks[log] = Math.max(marks[log] ?? 0, seq);
    }
    this.marks.set(userId, marks);
  }

  async stats(userId: string): Promise<VectorIndexStats> {
    assertUserId(userId);
    const u = this.users.get(userId);
    return {
      userId,
      space: u ? { ...u.space } : null,
      count: u?.items.size ?? 0,
      indexType: 'flat',
      bytesOnDisk: 0,
    };
  }
}

export function createBruteForceVectorIndex(): BruteForceVectorIndex {
  return new BruteForceVectorIndex();
}
