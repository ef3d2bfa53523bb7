/**
 * The mutable in-memory tail of a user's index: new items land here and are searchable immediately.
 * When it reaches `flushThreshold` (or on a timer, `flush()` or `close()`) it is frozen into an
 * immutable segment. It is small by construction, so simple Maps are fine.
 */
import type { DocRecord, Postings, Searchable } from './searchable.js';
import { typeCode } from './searchable.js';
import { termFrequencies } from './text-pipeline.js';

interface TailPostings {
  docs: number[];
  tfs: number[];
}

export class Tail implements Searchable {
  readonly docs: DocRecord[] = [];
  readonly lengths: number[] = [];
  readonly deleted: boolean[] = [];
  readonly inverted = new Map<string, TailPostings>();
  private readonly byId = new Map<string, number>();
  totalLength = 0;
  liveCount = 0;

  get size(): number {
    return this.docs.length;
  }

  /** Add a document; an older tail copy with the same id is deleted first. */
  add(doc: DocRecord): void {
    const old = this.byId.get(doc.id);
    if (old !== undefined) this.markDeleted(old);
    const n = this.docs.length;
    const { tf, length } = termFrequencies(doc.title ? `${doc.title}\n${doc.content}` : doc.content);
    for (const [term, count] of tf) {
      let p = this.inverted.get(term);
      if (!p) {
        p = { docs: [], tfs: [] };
        this.inverted.set(term, p);
      }
      p.docs.push(n);
      p.tfs.push(count);
    }
    this.docs.push(doc);
    this.lengths.push(length);
    this.deleted.push(false);
    this.byId.set(doc.id, n);
    this.totalLength += length;
    this.liveCount++;
  }

  isDeleted(doc: number): boolean {
    return this.deleted[doc] === true;
  }
  docLength(doc: number): number {
    return this.lengths[doc] ?? 0;
  }
  postings(term: string): Postings | null {
    const p = this.inverted.get(term);
    return p ? { docs: p.docs, tfs: p.tfs, start: 0, end: p.docs.length } : null;
  }
  df(term: string): number {
    return this.inverted.get(term)?.docs.length ?? 0;
  }
  termsWithPrefix(prefix: string, max: number): string[] {
    const out: [string, number][] = [];
    for (const [term, p] of this.inverted) if (term.startsWith(prefix)) out.push([term, p.docs.length]);
    out.sort((a, b) => b[1] - a[1]);
    return out.slice(0, max).map((e) => e[0]);
  }
  allTerms(): Iterable<string> {
    return this.inverted.keys();
  }
  idOf(doc: number): string {
    return this.docs[doc]?.id ?? '';
  }
  sessionOf(doc: number): string {
    return this.docs[doc]?.sessionId ?? '';
  }
  typeCodeOf(doc: number): number {
    const d = this.docs[doc];
    return d ? typeCode(d.type) : 0;
  }
  roleOf(doc: number): string | undefined {
    return this.docs[doc]?.role;
  }
  tsOf(doc: number): number {
    return this.docs[doc]?.tsMs ?? Number.NaN;
  }
  contentOf(doc: number): string {
    return this.docs[doc]?.content ?? '';
  }
  record(doc: number): DocRecord {
    const d = this.docs[doc];
    if (!d) throw new RangeError('no such tail document');
    return d;
  }
  find(id: string): number {
    const n = this.byId.get(id);
    return n === undefined || this.deleted[n] ? -1 : n;
  }
  markDeleted(doc: number): boolean {
    if (doc < 0 || doc >= this.docs.length || this.deleted[doc]) return false;
    this.deleted[doc] = true;
    this.liveCount--;
    const d = this.docs[doc];
    if (d && this.byId.get(d.id) === doc) this.byId.delete(d.id);
    return true;
  }
}
