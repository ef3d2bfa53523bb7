/**
 * An immutable index segment: a compact inverted index (sorted term list + packed postings in typed
 * arrays) and a columnar document table used for filtering, scoring and building hits. Only the
 * deletion bitmap changes after construction (tombstones, purged when segments are merged).
 *
 * Why not a serialised `lunr.Index` per segment: lunr keeps one object per posting and per field
 * vector (~0.9 GB per 100k messages) and its query engine scores through those objects (a field clause
 * over 50k docs costs ~200 ms). We keep lunr's text pipeline (tokens, stop words, Porter stemmer) and
 * its BM25 parameters, and store the same information in typed arrays.
 */
import type { DocRecord, Postings, Searchable } from './searchable.js';
import { ITEM_TYPES } from './searchable.js';
import type { BufferPool } from './buffer-pool.js';
import type { StringColumn } from './string-column.js';
import type { TermDict } from './term-dict.js';

export interface SegmentData {
  name: string;
  n: number;
  ids: StringColumn;
  timestamps: StringColumn;
  contents: StringColumn;
  sessionTable: string[];
  sessionIdx: Uint32Array;
  roleTable: string[];
  roleIdx: Int32Array;
  types: Uint8Array;
  tsMs: Float64Array;
  lengths: Uint32Array;
  titles: Map<number, string>;
  metadata: Map<number, Record<string, unknown>>;
  terms: TermDict;
  postStart: Uint32Array;
  /** Doc numbers (u16 when a loaded segment stores them narrow). */
  postDocs: Uint32Array | Uint16Array;
  /** Term frequencies (u8 when a loaded segment stores them narrow). */
  postTf: Uint16Array | Uint8Array;
}

export class Segment implements Searchable {
  readonly data: SegmentData;
  readonly deleted: Uint8Array;
  deletedCount = 0;
  readonly totalLength: number;
  private idMap: Map<string, number> | null = null;
  /** Pooled buffers the data lives in (a loaded segment); handed back by `release`. */
  private owned: Uint8Array[];
  private released = false;

  /**
   * `owned`: pooled buffers the data lives in; `bitmap`: a zeroed deletion bitmap of `data.n` bytes
   * (from the pool too), so a load allocates no buffer of its own.
   */
  constructor(data: SegmentData, deleted?: Iterable<number>, owned: Uint8Array[] = [], bitmap?: Uint8Array) {
    this.data = data;
    this.owned = owned;
    this.deleted = bitmap && bitmap.length === data.n ? bitmap : new Uint8Array(data.n);
    let total = 0;
    for (let i = 0; i < data.n; i++) total += data.lengths[i] ?? 0;
    this.totalLength = total;
    if (deleted) for (const d of deleted) this.markDeleted(d);
  }

  get name(): string {
    return this.data.name;
  }
  get size(): number {
    return this.data.n;
  }
  get liveCount(): number {
    return this.data.n - this.deletedCount;
  }
  /** Rough in-memory footprint, for the cache accounting. */
  get approxBytes(): number {
    const d = this.data;
    return (
      d.contents.byteSize() +
      d.ids.byteSize() +
      d.timestamps.byteSize() +
      d.n * 25 +
      d.terms.approxBytes() +
      d.postDocs.byteLength +
      d.postTf.byteLength
    );
  }

  /**
   * Memory held for the cache bound (`cacheMaxBytes`): a loaded segment's pooled buffers at their
   * capacity (raw bytes, kept compressed contents, term offsets, deletion bitmap) plus its term text;
   * a segment built in memory counts its arrays.
   */
  get memoryBytes(): number {
    if (this.released) return 0;
    if (this.owned.length === 0) return this.approxBytes;
    let b = this.data.terms.approxBytes();
    for (const o of this.owned) b += o.buffer.byteLength;
    return b;
  }

  deletedList(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.data.n; i++) if (this.deleted[i]) out.push(i);
    return out;
  }

  isDeleted(doc: number): boolean {
    return this.deleted[doc] === 1;
  }
  docLength(doc: number): number {
    return this.data.lengths[doc] ?? 0;
  }

  /**
   * Give the pooled buffers back (the partition was unloaded). Nothing may read this segment
   * afterwards: its views would show another user's bytes. Reads after release therefore throw.
   */
  release(pool: BufferPool): void {
    if (this.released) return;
    this.released = true;
    for (const b of this.owned) pool.release(b);
    this.owned = [];
    (this as { data: SegmentData | null }).data = null;
  }
  get isReleased(): boolean {
    return this.released;
  }

  /** Index of `term` in the sorted term list, or -1. */
  termIndex(term: string): number {
    return this.data.terms.indexOf(term);
  }

  postings(term: string): Postings | null {
    const i = this.termIndex(term);
    if (i < 0) return null;
    const d = this.data;
    return { docs: d.postDocs, tfs: d.postTf, start: d.postStart[i] ?? 0, end: d.postStart[i + 1] ?? 0 };
  }
  df(term: string): number {
    const i = this.termIndex(term);
    return i < 0 ? 0 : (this.data.postStart[i + 1] ?? 0) - (this.data.postStart[i] ?? 0);
  }
  termsWithPrefix(prefix: string, max: number): string[] {
    const { terms, postStart } = this.data;
    const found: [string, number][] = [];
    for (let i = terms.lowerBound(prefix); i < terms.length; i++) {
      const t = terms.get(i);
      if (!t.startsWith(prefix)) break;
      found.push([t, (postStart[i + 1] ?? 0) - (postStart[i] ?? 0)]);
    }
    if (found.length > max) found.sort((a, b) => b[1] - a[1]);
    return found.slice(0, max).map((e) => e[0]);
  }
  allTerms(): Iterable<string> {
    return this.data.terms.all();
  }
  *termEntries(): Iterable<[string, Postings]> {
    const d = this.data;
    const terms = d.terms.all();
    for (let i = 0; i < terms.length; i++) {
      yield [
        terms[i] as string,
        { docs: d.postDocs, tfs: d.postTf, start: d.postStart[i] ?? 0, end: d.postStart[i + 1] ?? 0 },
      ];
    }
  }

  idOf(doc: number): string {
    return doc < this.data.n ? this.data.ids.get(doc) : '';
  }
  sessionOf(doc: number): string {
    return this.data.sessionTable[this.data.sessionIdx[doc] ?? 0] ?? '';
  }
  typeCodeOf(doc: number): number {
    return this.data.types[doc] ?? 0;
  }
  roleOf(doc: number): string | undefined {
    const r = this.data.roleIdx[doc] ?? -1;
    return r < 0 ? undefined : this.data.roleTable[r];
  }
  tsOf(doc: number): number {
    return this.data.tsMs[doc] ?? Number.NaN;
  }
  contentOf(doc: number): string {
    return doc < this.data.n ? this.data.contents.get(doc) : '';
  }
  record(doc: number): DocRecord {
    const d = this.data;
    return {
      id: this.idOf(doc),
      sessionId: this.sessionOf(doc),
      type: ITEM_TYPES[d.types[doc] ?? 0] ?? 'message',
      role: this.roleOf(doc),
      timestamp: d.timestamps.get(doc),
      tsMs: this.tsOf(doc),
      content: this.contentOf(doc),
      title: d.titles.get(doc),
      metadata: d.metadata.get(doc),
    };
  }
  find(id: string): number {
    const n = this.docOf(id);
    return n < 0 || this.deleted[n] ? -1 : n;
  }
  /** The doc number of `id`, deleted or not; -1 when this segment never held it. */
  docOf(id: string): number {
    if (!this.idMap) {
      this.idMap = new Map();
      const ids = this.data.ids;
      for (let i = 0; i < ids.length; i++) this.idMap.set(ids.get(i), i);
    }
    return this.idMap.get(id) ?? -1;
  }
  /** Session table index of a session id, or -1 (to delete a whole session with one scan). */
  sessionCode(sessionId: string): number {
    return this.data.sessionTable.indexOf(sessionId);
  }
  /** Lift a tombstone (one a reader derived, which a writer then sets as its own). */
  unmarkDeleted(doc: number): void {
    if (doc < 0 || doc >= this.data.n || !this.deleted[doc]) return;
    this.deleted[doc] = 0;
    this.deletedCount--;
  }
  markDeleted(doc: number): boolean {
    if (doc < 0 || doc >= this.data.n || this.deleted[doc]) return false;
    this.deleted[doc] = 1;
    this.deletedCount++;
    return true;
  }
}
