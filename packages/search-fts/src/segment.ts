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
import type { StringColumn } from './string-column.js';

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
  terms: string[];
  postStart: Uint32Array;
  postDocs: Uint32Array;
  postTf: Uint16Array;
}

export class Segment implements Searchable {
  readonly data: SegmentData;
  readonly deleted: Uint8Array;
  deletedCount = 0;
  readonly totalLength: number;
  private idMap: Map<string, number> | null = null;

  constructor(data: SegmentData, deleted?: Iterable<number>) {
    this.data = data;
    this.deleted = new Uint8Array(data.n);
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
      d.terms.length * 40 +
      d.postDocs.length * 6
    );
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

  /** Index of `term` in the sorted term list, or -1. */
  termIndex(term: string): number {
    const terms = this.data.terms;
    let lo = 0;
    let hi = terms.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const t = terms[mid] as string;
      if (t === term) return mid;
      if (t < term) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
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
    let lo = 0;
    let hi = terms.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((terms[mid] as string) < prefix) lo = mid + 1;
      else hi = mid;
    }
    const found: [string, number][] = [];
    for (let i = lo; i < terms.length; i++) {
      const t = terms[i] as string;
      if (!t.startsWith(prefix)) break;
      found.push([t, (postStart[i + 1] ?? 0) - (postStart[i] ?? 0)]);
    }
    if (found.length > max) found.sort((a, b) => b[1] - a[1]);
    return found.slice(0, max).map((e) => e[0]);
  }
  allTerms(): Iterable<string> {
    return this.data.terms;
  }
  *termEntries(): Iterable<[string, Postings]> {
    const d = this.data;
    for (let i = 0; i < d.terms.length; i++) {
      yield [
        d.terms[i] as string,
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
    if (!this.idMap) {
      this.idMap = new Map();
      const ids = this.data.ids;
      for (let i = 0; i < ids.length; i++) this.idMap.set(ids.get(i), i);
    }
    const n = this.idMap.get(id);
    return n === undefined || this.deleted[n] ? -1 : n;
  }
  /** Session table index of a session id, or -1 (to delete a whole session with one scan). */
  sessionCode(sessionId: string): number {
    return this.data.sessionTable.indexOf(sessionId);
  }
  markDeleted(doc: number): boolean {
    if (doc < 0 || doc >= this.data.n || this.deleted[doc]) return false;
    this.deleted[doc] = 1;
    this.deletedCount++;
    return true;
  }
}
