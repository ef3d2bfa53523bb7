/**
 * On-disk form of one user's index, written through the StorageBackend port:
 *   <prefix>/<userId>/manifest.json        space, kind, generation, label -> {id, metadata} (null = tombstone)
 *   <prefix>/<userId>/index-<gen>-<w>.faiss faiss `toBuffer()` of that generation, written by writer <w> (a
 *                                          random tag per index instance; the manifest names the file, so
 *                                          two processes checkpointing at once never pair one's manifest
 *                                          with the other's snapshot; `index-<gen>.faiss` from before tags)
 *   <prefix>/<userId>/journal-<gen>        append-only log of upserts/removes/positions made after the snapshot
 *   <prefix>/<userId>/bulk-<gen>-<w>-<n>.f32 the unit vectors of one large upsert (raw float32 rows), which its
 *                                          journal record names instead of carrying them as base64
 *   <prefix>/<userId>/generations          log of the generations checkpointed, each appended after its
 *                                          manifest: a writer reads its last records after each journal
 *                                          append to learn that another writer has moved the index on (a
 *                                          log read, ~5 µs warm; a blob read costs ~90 µs, more than the
 *                                          append it checks). Its records also name the index's
 *                                          incarnation (see below)
 *
 * Incarnations. removeUser deletes the whole directory, and the user may be created again at once with new
 * vectors in new files of the same names (journal-0 ...): a process that still holds the old index in memory
 * must neither keep serving it nor take the new files for a continuation of it, nor write it back. So the
 * first writer of a new directory appends a `generations` record `{ generation: 0, incarnation: <random
 * tag> }` before its first journal record (looking and appending under the directory's storage lock, so
 * that two first writers never tag it twice: see stamp); every checkpoint record repeats the tag and every
 * journal record carries it (`inc`). The newest tagged record of the tail that refresh reads anyway names the directory's
 * incarnation: when it differs from the one an index was loaded with (none: the directory was removed;
 * another: removed and created again) the index is dropped and loaded again, at no extra I/O per refresh.
 * Journal records of another incarnation (appended by a process that had not noticed yet) are skipped.
 * A checkpoint's last step (check, manifest, `generations` record, deletes) and removeUser hold the
 * storage lock of the directory, so a checkpoint never writes an index back into a removed or re-created
 * directory. Indexes written before incarnations carry none: they are read as before, get a tag at their
 * next checkpoint, and until then a removal shows as their journal shrinking.
 * A checkpoint first applies what other writers journalled since it last read (their records are in no
 * snapshot yet), writes generation g+1 (blob, then manifest atomically, then its `generations` record)
 * and names in the manifest journal g from the seq it read up to (`carry`): records another writer
 * appended to journal g after that read are replayed with generation g+1. It deletes the journal g-1,
 * which no manifest names any more. A reader loads the manifest's generation and replays the carried journal
 * part and its own journal, so acknowledged writes survive a crash without rewriting the whole index
 * per write. A writer that finds, after appending, that the generation moved past the one it appended
 * to reloads and appends again (upserts and removes by id are idempotent): after two checkpoints its
 * first journal is replayed by nobody.
 */
import { randomBytes } from 'node:crypto';
import { type EmbeddingSpace, FFCorruptionError, type StorageBackend } from '@ffdb/core-types';
import { z } from 'zod';
import { loadFaiss } from './faiss-binding.js';
import type { ResolvedFaissVectorIndexOptions } from './options.js';
import { type Slot, sameSpace, UserVectorIndex } from './user-index.js';
import { normalizeInto } from './vector-math.js';

export const VECTOR_INDEX_FORMAT_VERSION = 1;

const SpaceSchema = z.object({
  provider: z.string(),
  model: z.string(),
  dimension: z.number().int().positive(),
});

const ManifestSchema = z.object({
  format: z.literal('ffdb-vector-index'),
  version: z.number().int(),
  userId: z.string(),
  space: SpaceSchema.nullable(),
  kind: z.enum(['flat', 'ivf', 'hnsw']),
  generation: z.number().int().nonnegative(),
  trainedOn: z.number().int().nonnegative().default(0),
  slots: z.array(z.union([z.null(), z.tuple([z.string(), z.record(z.string(), z.unknown())])])),
  /** The snapshot file of this generation; absent in indexes written before writer tags (`index-<gen>.faiss`). */
  snapshot: z
    .string()
    .regex(/^index-\d+-[0-9a-f]{8}\.faiss$/)
    .optional(),
  /**
   * The previous generation's journal from `fromSeq` on is replayed too (records other writers appended
   * after this generation's checkpoint read it); absent in indexes written before it.
   */
  carry: z
    .object({ generation: z.number().int().nonnegative(), fromSeq: z.number().int().nonnegative() })
    .optional(),
  /** Caller progress markers (see UserVectorIndex.positions); absent in indexes written before them. */
  positions: z.record(z.string(), z.number().int().nonnegative()).default({}),
  updatedAt: z.string(),
});
type Manifest = z.infer<typeof ManifestSchema>;

const GenerationRecordSchema = z.object({
  generation: z.number().int().nonnegative(),
  /** The directory's incarnation (see the file comment); absent in records written before incarnations. */
  incarnation: z.string().optional(),
});

/** What the last records of `generations` say: see IndexPersistence.tail. */
interface GenerationsTail {
  /** The newest generation any writer has checkpointed (-1 before the first record). */
  newest: number;
  /** The directory's incarnation: the newest record's that names one (undefined: removed, or untagged). */
  incarnation: string | undefined;
}

const newTag = () => randomBytes(4).toString('hex');

/** The seq after the last of `entries`, or `from` when there are none (nothing read past it). */
function seqAfter(entries: readonly { seq: number }[], from: number): number {
  const last = entries[entries.length - 1];
  return last ? Math.max(from, last.seq + 1) : from;
}

/** `inc`: the incarnation of the directory the writer appended to (absent before incarnations). */
type JournalRecord = { inc?: string } & (
  | { op: 'upsert'; space: EmbeddingSpace; items: { id: string; v: string; m: Record<string, unknown> }[] }
  | { op: 'bulk'; space: EmbeddingSpace; file: string; ids: string[]; metas: Record<string, unknown>[] }
  | { op: 'remove'; ids: string[] }
  | { op: 'positions'; positions: Record<string, number | null> }
);

/** Names of one generation's files inside a user's root: snapshots, the journal, bulk vector files. */
const GENERATION_FILE =
  /^(?:index-(\d+)(?:-[0-9a-f]{8})?\.faiss|journal-(\d+)|bulk-(\d+)-(?:[0-9a-f]{8}-)?\d+\.f32)$/;

/**
 * True when `idx` holds nothing read from disk (no snapshot, no journal record): its first write gives
 * the directory an incarnation (see appendJournal). An index from before incarnations stays untagged
 * until its next checkpoint.
 */
function isFresh(idx: UserVectorIndex): boolean {
  return (
    idx.generation === 0 && !idx.carry && idx.readUpTo === 0 && idx.ownSeqs.size === 0 && !idx.slots.length
  );
}

export function userRoot(prefix: string, userId: string): string {
  return `${prefix}/${userId}`;
}
const manifestKey = (root: string) => `${root}/manifest.json`;
const generationsKey = (root: string) => `${root}/generations`;
/** Records of the `generations` log read for its newest generation (two writers may append out of order). */
const GENERATIONS_TAIL = 8;
/** Attempts of one load while other writers' checkpoints keep deleting the files it is reading. */
const LOAD_ATTEMPTS = 8;
/** The snapshot file a manifest names (before writer tags: `index-<gen>.faiss`). */
const snapshotFile = (m: { generation: number; snapshot?: string | undefined }) =>
  m.snapshot ?? `index-${m.generation}.faiss`;
const journalKey = (root: string, gen: number) => `${root}/journal-${gen}`;

export function encodeVector(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decodeVector(b64: string, dimension: number): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  if (buf.byteLength !== dimension * 4) throw new Error('journal vector has the wrong length');
  const out = new Float32Array(dimension);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

export class IndexPersistence {
  /** Tags the snapshot files this instance writes (see the file layout above). */
  private readonly writerTag = newTag();

  constructor(
    private readonly storage: StorageBackend,
    private readonly opts: ResolvedFaissVectorIndexOptions,
  ) {}

  root(userId: string): string {
    return userRoot(this.opts.prefix, userId);
  }

  /**
   * Loads the snapshot and replays its journal; an absent index loads as empty.
   *
   * Another writer's checkpoint (or a removal) may delete the files of the generation this load read the
   * manifest of, between that read and its reads of those files (the snapshot, the carried journal, a
   * bulk file): when a read fails (a missing file, or the storage's error for a log deleted while it was
   * read) and the `generations` tail shows that the index moved on, the load starts over. It threw
   * FFCorruptionError ("missing its data file"), failing the write or search that loaded, in a probe of
   * three processes checkpointing every third upsert.
   */
  async load(userId: string): Promise<UserVectorIndex> {
    const root = this.root(userId);
    for (let attempt = 1; ; attempt++) {
      const idx = new UserVectorIndex(userId, this.opts);
      try {
        // A false (a journal shorter than what was read: deleted by a checkpoint racing this load) on
        // the last attempt leaves the index at an older generation, which the next refresh or journal
        // append notices and loads again.
        if ((await this.loadInto(idx)) || attempt >= LOAD_ATTEMPTS) return idx;
      } catch (error) {
        if (attempt >= LOAD_ATTEMPTS || this.sameIndex(idx, await this.tail(root))) throw error;
      }
    }
  }

  /** One attempt of load into a new `idx`; resolves catchUp's answer. */
  private async loadInto(idx: UserVectorIndex): Promise<boolean> {
    const userId = idx.userId;
    const root = this.root(userId);
    // The incarnation is read before the files: should the directory be removed and created again in
    // between, the index holds the older tag and the next refresh loads it again (never the reverse: new
    // files under the old tag).
    idx.incarnation = (await this.tail(root)).incarnation;
    const raw = await this.storage.read(manifestKey(root));
    if (raw) {
      let manifest: Manifest;
      try {
        manifest = ManifestSchema.parse(JSON.parse(Buffer.from(raw).toString('utf8')));
      } catch (cause) {
        throw new FFCorruptionError(`vector index manifest of user ${userId} is unreadable`, {
          cause,
          key: manifestKey(root),
        });
      }
      idx.space = manifest.space;
      idx.kind = manifest.kind;
      idx.generation = manifest.generation;
      idx.trainedOn = manifest.trainedOn;
      idx.positions = { ...manifest.positions };
      idx.slots = manifest.slots.map((s) => (s ? ({ id: s[0], metadata: s[1] } satisfies Slot) : null));
      idx.slots.forEach((s, label) => {
        if (s) idx.byId.set(s.id, label);
        else idx.tombstones++;
      });
      idx.snapshotFile = snapshotFile(manifest);
      if (idx.slots.length) {
        const bytes = await this.storage.read(`${root}/${idx.snapshotFile}`);
        if (!bytes)
          throw new FFCorruptionError(`vector index of user ${userId} is missing its data file`, {
            key: `${root}/${idx.snapshotFile}`,
          });
        const faiss = loadFaiss();
        idx.index = faiss.Index.fromBuffer(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
        if (idx.index.ntotal() !== idx.slots.length) {
          throw new FFCorruptionError(`vector index of user ${userId} does not match its manifest`, {
            key: `${root}/${idx.snapshotFile}`,
          });
        }
        idx.applyParams();
      }
      if (manifest.carry) idx.carry = { ...manifest.carry, seen: manifest.carry.fromSeq };
    }
    return this.catchUp(idx);
  }

  /**
   * Brings a loaded index up to date with what other writers made durable since this instance last
   * read: their journal records are applied (catchUp). Resolves false, changing nothing, when one of
   * them has checkpointed a newer generation: the caller must load the index again.
   */
  async refresh(idx: UserVectorIndex): Promise<boolean> {
    if (!this.sameIndex(idx, await this.tail(this.root(idx.userId)))) return false;
    return this.catchUp(idx);
  }

  /**
   * Whether `idx` is still the index on disk, by what the `generations` tail says: the same incarnation
   * (not removed, nor removed and created again by another process) and no newer generation.
   */
  private sameIndex(idx: UserVectorIndex, tail: GenerationsTail): boolean {
    return tail.incarnation === idx.incarnation && tail.newest <= idx.generation;
  }

  /**
   * Applies the journal records this instance has not applied yet: the carried part of the previous
   * journal from where it last read, and the current journal's records from where it last read, except
   * its own (applied when they were made). Resolves false, applying nothing more, when a journal holds
   * fewer records than this instance has read: it was removed (an index from before incarnations has no
   * other sign of it), or when reading failed because the index moved on meanwhile (a checkpoint of
   * another writer deletes the journal it carried and the bulk files it folded in, maybe while this
   * instance reads them): `idx` may then hold part of the records and must be loaded again.
   */
  private async catchUp(idx: UserVectorIndex): Promise<boolean> {
    try {
      return await this.catchUpOnce(idx);
    } catch (error) {
      if (!this.sameIndex(idx, await this.tail(this.root(idx.userId)))) return false;
      throw error;
    }
  }

  private async catchUpOnce(idx: UserVectorIndex): Promise<boolean> {
    const root = this.root(idx.userId);
    const carry = idx.carry;
    let carryLost = false;
    if (carry) {
      const key = journalKey(root, carry.generation);
      const count = await this.storage.countLog(key);
      if (count < carry.seen) {
        if (!this.sameIndex(idx, await this.tail(root))) return false;
        // Shorter while the index is still the one on disk: not moved on but lost (an older release's
        // sweep by a stale instance deleted carried journals). Loads stopped at the manifest for good,
        // and everything journalled since was never applied. Go on without it, and forget the positions:
        // they may claim vectors that were only in the lost journal; the caller's catch-up embeds again
        // what the index lacks.
        this.opts.logger?.warn(
          { userId: idx.userId, generation: carry.generation },
          'vector index: the carried journal is missing; positions reset so that catch-up embeds again',
        );
        idx.carry = undefined;
        carryLost = true;
      }
    }
    if (carry && !carryLost) {
      const key = journalKey(root, carry.generation);
      const count = await this.storage.countLog(key);
      if (count < carry.seen) return false;
      if (count > carry.seen) {
        const entries = await this.storage.readLog<JournalRecord>(key, { fromSeq: carry.seen });
        await this.replay(idx, entries);
        carry.seen = seqAfter(entries, carry.seen);
      }
    }
    const key = journalKey(root, idx.generation);
    const count = await this.storage.countLog(key);
    if (count < idx.readUpTo) return false;
    if (count - idx.readUpTo === idx.ownSeqs.size) {
      // Every record since the last read is this instance's own (the usual case): nothing to read.
      idx.readUpTo = count;
      idx.ownSeqs.clear();
    } else if (count > idx.readUpTo) {
      let entries = await this.storage.readLog<JournalRecord>(key, { fromSeq: idx.readUpTo });
      const next = seqAfter(entries, idx.readUpTo);
      if (idx.ownSeqs.size) entries = entries.filter((e) => !idx.ownSeqs.has(e.seq));
      await this.replay(idx, entries);
      idx.readUpTo = next;
      idx.ownSeqs.clear();
    }
    if (carryLost) {
      idx.positions = {};
      idx.carryLost = true;
    }
    return true;
  }

  private async replay(
    idx: UserVectorIndex,
    entries: readonly { seq: number; data: JournalRecord }[],
  ): Promise<void> {
    for (const { data } of entries) {
      // Appended by a process that still held a removed incarnation, into the directory created after
      // the removal (it then reloads and appends again, tagged): not part of this index.
      if (data.inc !== undefined && data.inc !== idx.incarnation) continue;
      if ((data.op === 'upsert' || data.op === 'bulk') && idx.space && !sameSpace(idx.space, data.space)) {
        // Another writer, configured with another embedder, journalled into this index at the same time
        // as the one that set its space: such vectors can never be searched with it. Skipped (and
        // logged), so that they do not make the whole index unloadable.
        this.opts.logger?.warn(
          { userId: idx.userId, space: data.space },
          'vector journal record in another embedding space skipped',
        );
        continue;
      }
      if (data.op === 'upsert') {
        const d = data.space.dimension;
        const matrix = new Float32Array(data.items.length * d);
        data.items.forEach((it, i) => {
          matrix.set(decodeVector(it.v, d), i * d);
        });
        idx.applyUpsert(
          data.space,
          data.items.map((it) => it.id),
          matrix,
          data.items.map((it) => it.m),
        );
        idx.journalled += data.items.length;
      } else if (data.op === 'remove') {
        idx.applyRemove(data.ids);
        idx.journalled += data.ids.length;
      } else if (data.op === 'bulk') {
        const key = `${this.root(idx.userId)}/${data.file}`;
        const bytes = await this.storage.read(key);
        const d = data.space.dimension;
        if (!bytes || bytes.byteLength !== data.ids.length * d * 4)
          throw new FFCorruptionError(
            `vector index journal of user ${idx.userId} names a missing bulk file`,
            {
              key,
            },
          );
        const matrix = new Float32Array(data.ids.length * d);
        new Uint8Array(matrix.buffer).set(bytes);
        idx.applyUpsert(data.space, data.ids, matrix, data.metas);
        idx.bulkFiles.push(data.file);
        idx.journalled += 1;
      } else if (data.op === 'positions') {
        idx.applyPositions(data.positions);
        idx.journalled += 1;
      }
    }
  }

  /** Durably records an upsert before it is applied in memory. `matrix` holds unit vectors. */
  async journalUpsert(
    idx: UserVectorIndex,
    space: EmbeddingSpace,
    ids: readonly string[],
    matrix: Float32Array,
    metas: readonly Record<string, unknown>[],
  ): Promise<boolean> {
    const d = space.dimension;
    const items = ids.map((id, i) => ({
      id,
      v: encodeVector(matrix.subarray(i * d, (i + 1) * d)),
      m: metas[i] ?? {},
    }));
    const current = await this.appendJournal(idx, {
      op: 'upsert',
      space: { provider: space.provider, model: space.model, dimension: d },
      items,
    });
    idx.journalled += ids.length;
    return current;
  }

  async journalRemove(idx: UserVectorIndex, ids: readonly string[]): Promise<boolean> {
    if (!ids.length) return true;
    const current = await this.appendJournal(idx, { op: 'remove', ids: [...ids] });
    idx.journalled += ids.length;
    return current;
  }

  /**
   * Appends one record to the current journal. Resolves false when, by then, another writer had moved
   * the index past this generation (the record may sit in a journal no manifest names), or the directory
   * is not the incarnation `idx` was loaded from any more (removed, maybe created again): the caller must
   * reload and journal it again.
   */
  private async appendJournal(idx: UserVectorIndex, record: JournalRecord): Promise<boolean> {
    const root = this.root(idx.userId);
    if (idx.incarnation === undefined && isFresh(idx) && !(await this.stamp(idx))) return false;
    const tagged: JournalRecord =
      idx.incarnation === undefined ? record : { ...record, inc: idx.incarnation };
    const { firstSeq } = await this.storage.append(journalKey(root, idx.generation), [tagged]);
    const current = this.sameIndex(idx, await this.tail(root));
    // Own (applied by the caller, skipped by catchUp) only once the call succeeds: a record whose call
    // failed after the append is durable but not applied, and catchUp applies it like another's.
    idx.ownSeqs.add(firstSeq);
    return current;
  }

  /**
   * Gives a new directory its incarnation before its first journal record: appends `{ generation: 0,
   * incarnation }` (generation 0 never moves the index on). Resolves false when the directory turns out
   * to have one already (another writer was first, or created it again): the caller reloads.
   *
   * The look and the append hold the directory's storage lock (the one checkpoint and removeUser take),
   * so a directory gets exactly one incarnation. Without it two first writers (two processes embedding
   * into a new user's index at once) both looked, found none and appended their own; the newer record
   * wins, but the first writer had often journalled records under its tag by then, between the other's
   * look and append (a process's first append to the store can take tens of ms), and its tail checks
   * passed. Every process then skipped those records as another incarnation's: their vectors were lost
   * (up to 19 of 30 upserts in a probe with three processes; in the manager's two-process test a third of
   * the runs tagged the directory twice, and one CI run missed 9 of 240 message vectors).
   */
  private async stamp(idx: UserVectorIndex): Promise<boolean> {
    const root = this.root(idx.userId);
    const incarnation = await this.storage.withLock(root, async () => {
      if (!this.sameIndex(idx, await this.tail(root))) return undefined;
      const tag = newTag();
      await this.storage.append(generationsKey(root), [{ generation: 0, incarnation: tag }]);
      return tag;
    });
    if (incarnation === undefined) return false;
    idx.incarnation = incarnation;
    return true;
  }

  /**
   * The newest generation any writer has checkpointed and the directory's incarnation, from the last
   * records of `generations` (two writers may append out of order; a removed directory has none).
   */
  private async tail(root: string): Promise<GenerationsTail> {
    const key = generationsKey(root);
    const last = await this.storage.readLog<{ generation: number }>(key, {
      reverse: true,
      limit: GENERATIONS_TAIL,
    });
    let newest = -1;
    let incarnation: string | undefined;
    for (const { data } of last) {
      const parsed = GenerationRecordSchema.safeParse(data);
      if (!parsed.success) throw new FFCorruptionError('vector index generations log is unreadable', { key });
      newest = Math.max(newest, parsed.data.generation);
      incarnation ??= parsed.data.incarnation;
    }
    return { newest, incarnation };
  }

  /**
   * Durably records a large upsert: its unit vectors as one raw float32 file (written straight from
   * `matrix`, no base64, no faiss serialisation), then a journal record naming it with the ids and metadata.
   * The snapshot waits for the next checkpoint (flush, close, eviction or a long journal).
   */
  async journalBulk(
    idx: UserVectorIndex,
    space: EmbeddingSpace,
    ids: readonly string[],
    matrix: Float32Array,
    metas: readonly Record<string, unknown>[],
  ): Promise<boolean> {
    const root = this.root(idx.userId);
    const file = `bulk-${idx.generation}-${this.writerTag}-${idx.bulkFiles.length}.f32`;
    await this.storage.write(
      `${root}/${file}`,
      new Uint8Array(matrix.buffer, matrix.byteOffset, ids.length * space.dimension * 4),
    );
    const current = await this.appendJournal(idx, {
      op: 'bulk',
      space: { provider: space.provider, model: space.model, dimension: space.dimension },
      file,
      ids: [...ids],
      metas: metas.map((m) => m ?? {}),
    });
    idx.bulkFiles.push(file);
    // One record: bulk files replay at memory speed, so they do not count toward checkpointEvery.
    idx.journalled += 1;
    return current;
  }

  /** Durably records position markers (see UserVectorIndex.positions) before applying them. */
  async journalPositions(
    idx: UserVectorIndex,
    positions: Readonly<Record<string, number | null>>,
  ): Promise<boolean> {
    if (!Object.keys(positions).length) return true;
    const current = await this.appendJournal(idx, { op: 'positions', positions: { ...positions } });
    idx.journalled += 1;
    return current;
  }

  /**
   * Deletes snapshot and journal files of generations other than `idx.generation` that a crash in the middle
   * of a checkpoint left behind (a checkpoint writes generation g+1, then the manifest, then drops g).
   * Journals of older generations are never written again and go at once; snapshots wait `graceMs` (by
   * their modification time): a younger one may be a checkpoint another process is writing, or a snapshot
   * a reader is loading. Resolves to the keys deleted.
   */
  async sweepOrphans(idx: UserVectorIndex, graceMs: number, now = Date.now()): Promise<string[]> {
    const root = this.root(idx.userId);
    // Only the index on disk may judge what is stale. A copy of a removed incarnation (another process
    // deleted the user and wrote it again) deleted the new incarnation's journals below its own
    // generation, the carried one too: every load then stopped at the manifest, and what was journalled
    // after it (vectors and positions) was never applied again.
    if (!this.sameIndex(idx, await this.tail(root))) return [];
    const stale: string[] = [];
    const candidates = new Set([...(await this.storage.list(root)), ...(await this.storage.listLogs(root))]);
    for (const key of candidates) {
      const name = key.slice(root.length + 1);
      const m = GENERATION_FILE.exec(name);
      if (!m) continue;
      const isJournal = m[2] !== undefined;
      const gen = Number(m[1] ?? m[2] ?? m[3]);
      if (gen === idx.generation) continue;
      // The carried journal (and the bulk files its records name) is still replayed.
      if (gen === idx.carry?.generation && !m[1]) continue;
      if (isJournal) {
        // A journal of a newer generation may belong to another process's checkpoint: leave it.
        if (gen > idx.generation) continue;
      } else if (graceMs > 0) {
        // No stat (e.g. a write the backend has not flushed yet) means young: leave it.
        const st = await this.storage.stat(key);
        const modified = st ? Date.parse(st.modifiedAt) : Number.NaN;
        if (!Number.isFinite(modified) || now - modified < graceMs) continue;
      }
      stale.push(key);
    }
    if (stale.length === 0) return [];
    // Under the lock removeUser and a checkpoint's last step take, looking again: neither can replace
    // the index between that look and the deletes.
    return this.storage.withLock(root, async () => {
      if (!this.sameIndex(idx, await this.tail(root))) return [];
      const deleted: string[] = [];
      for (const key of stale) if (await this.storage.delete(key)) deleted.push(key);
      return deleted;
    });
  }

  /**
   * Applies what other writers journalled since this instance last read, writes generation g+1 (blob,
   * manifest carrying journal g from where it was read, its `generations` record), then drops the snapshot of g,
   * the journal g-1 and the bulk files folded in. Resolves false, writing nothing, when another writer
   * has already moved the index past `idx.generation` (a manifest of an older generation must not
   * replace the newer one, and every change of `idx` is journalled where the newer generations replay it,
   * see appendJournal), or when the directory was removed, maybe created again, since `idx` was loaded:
   * writing it would bring removed vectors back for every process.
   */
  async checkpoint(idx: UserVectorIndex): Promise<boolean> {
    const root = this.root(idx.userId);
    if (!this.sameIndex(idx, await this.tail(root))) return false;
    if (!(await this.catchUp(idx))) return false;
    const oldGen = idx.generation;
    const oldSnapshot = idx.snapshotFile;
    const oldCarry = idx.carry;
    const carry = { generation: oldGen, fromSeq: idx.readUpTo };
    const gen = oldGen + 1;
    const file = `index-${gen}-${this.writerTag}.faiss`;
    const hasData = idx.index !== null && idx.slots.length > 0;
    if (hasData && idx.index) {
      const buf = idx.index.toBuffer();
      // A view, not a copy: the snapshot of a 100k x 384 index is ~150 MB. Written before the lock (it
      // may take a while); nothing names it until the manifest does.
      await this.storage.write(`${root}/${file}`, new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
    }
    // An index from before incarnations gets one with this generation.
    const incarnation = idx.incarnation ?? newTag();
    const manifest: Manifest = {
      format: 'ffdb-vector-index',
      version: VECTOR_INDEX_FORMAT_VERSION,
      userId: idx.userId,
      space: idx.space,
      kind: idx.kind,
      generation: gen,
      trainedOn: idx.trainedOn,
      slots: idx.slots.map((s) => (s ? [s.id, s.metadata] : null)),
      ...(hasData ? { snapshot: file } : {}),
      carry,
      positions: idx.positions,
      updatedAt: new Date().toISOString(),
    };
    // Under the lock removeUser takes: the directory is either removed before this look (nothing is
    // written) or after the whole generation is written (and goes with it). Without it, a removal between
    // the look and the manifest write let this process recreate the directory with the removed index.
    const written = await this.storage.withLock(root, async () => {
      if (!(await this.unchanged(idx))) return false;
      const encoder = new TextEncoder();
      await this.storage.write(manifestKey(root), encoder.encode(JSON.stringify(manifest)));
      await this.storage.append(generationsKey(root), [{ generation: gen, incarnation }]);
      if (oldCarry && oldCarry.generation !== oldGen)
        await this.storage.delete(journalKey(root, oldCarry.generation));
      await this.storage.delete(`${root}/${oldSnapshot ?? `index-${oldGen}.faiss`}`);
      for (const f of idx.bulkFiles) await this.storage.delete(`${root}/${f}`);
      return true;
    });
    if (written) idx.carryLost = false;
    if (!written) {
      if (hasData) await this.storage.delete(`${root}/${file}`);
      return false;
    }
    idx.incarnation = incarnation;
    idx.generation = gen;
    idx.snapshotFile = snapshotFile(manifest);
    idx.journalled = 0;
    idx.carry = { ...carry, seen: carry.fromSeq };
    idx.readUpTo = 0;
    idx.ownSeqs.clear();
    idx.bulkFiles = [];
    return true;
  }

  /**
   * Whether the directory still holds what `idx` was read from, without applying anything: the same
   * incarnation, no newer generation, no journal shorter than what `idx` has read of it, and no record in
   * the carried journal that `idx` has not read.
   *
   * The last: the new manifest no longer names the carried journal g-1 (and the checkpoint deletes it),
   * so a record appended there after this checkpoint read it would be replayed by nobody. Its writer,
   * still at g-1, re-appends it only when its look after the append sees generation g, and that look can
   * come before g's `generations` record: this instance may have loaded g from its manifest, written
   * under the lock but before that record (it takes three processes). Any such record is in the journal
   * by the time this look holds the lock (g's record is appended before the lock is released), so the
   * checkpoint is left to a later one that reads it.
   */
  private async unchanged(idx: UserVectorIndex): Promise<boolean> {
    const root = this.root(idx.userId);
    if (!this.sameIndex(idx, await this.tail(root))) return false;
    if (idx.carry && (await this.storage.countLog(journalKey(root, idx.carry.generation))) !== idx.carry.seen)
      return false;
    return (await this.storage.countLog(journalKey(root, idx.generation))) >= idx.readUpTo;
  }

  /**
   * Deletes the user's directory, under the lock a checkpoint's last step holds (see checkpoint). Other
   * processes notice at their next refresh: the directory's incarnation is gone.
   */
  async removeUser(userId: string): Promise<void> {
    const root = this.root(userId);
    await this.storage.withLock(root, () => this.storage.delete(root));
  }

  async bytesOnDisk(userId: string): Promise<number> {
    try {
      const u = await this.storage.usage(this.root(userId));
      // A journal still buffered by the backend has no file bytes yet; its logical size is the honest estimate.
      return u.bytes > 0 ? u.bytes : u.logicalBytes;
    } catch {
      return 0;
    }
  }
}

/** Normalises `vectors` into one contiguous matrix of unit rows. */
export function toUnitMatrix(
  vectors: readonly Float32Array[],
  dimension: number,
  field: string,
): Float32Array {
  const m = new Float32Array(vectors.length * dimension);
  vectors.forEach((v, i) => {
    normalizeInto(v, m, i * dimension, `${field}[${i}]`);
  });
  return m;
}
