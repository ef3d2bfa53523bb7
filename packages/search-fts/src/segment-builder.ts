/**
 * Builds an immutable segment from a frozen tail or from several segments (a merge). Deleted
 * documents are dropped here: this is where tombstones are purged. Big merges yield to the event
 * loop every few milliseconds so appends and queries are not held up by index maintenance.
 */
import { Segment, type SegmentData } from './segment.js';
import type { Postings } from './searchable.js';
import { typeCode } from './searchable.js';
import { StringColumnBuilder } from './string-column.js';
import type { Tail } from './tail.js';
import { TermDict } from './term-dict.js';

export type SegmentSource = Tail | Segment;

/** For each source, old doc number -> new doc number (-1 when dropped). */
export type DocMaps = Int32Array[];

const YIELD_EVERY_MS = 8;

interface TermList {
  terms: readonly string[];
  postings: number;
  postingsOf(i: number): Postings;
}

/** A source's terms in sorted order with access to each term's postings. */
function sortedTerms(src: SegmentSource): TermList {
  if (src instanceof Segment) {
    const d = src.data;
    return {
      terms: d.terms.all(),
      postings: d.postDocs.length,
      postingsOf: (i) => ({
        docs: d.postDocs,
        tfs: d.postTf,
        start: d.postStart[i] ?? 0,
        end: d.postStart[i + 1] ?? 0,
      }),
    };
  }
  const terms = [...src.inverted.keys()].sort();
  let postings = 0;
  const lists = terms.map((t) => {
    const p = src.inverted.get(t) as { docs: number[]; tfs: number[] };
    postings += p.docs.length;
    return p;
  });
  return {
    terms,
    postings,
    postingsOf: (i) => {
      const p = lists[i] as { docs: number[]; tfs: number[] };
      return { docs: p.docs, tfs: p.tfs, start: 0, end: p.docs.length };
    },
  };
}

export async function buildSegment(
  name: string,
  sources: readonly SegmentSource[],
  opts: {
    yieldToLoop?: boolean;
    /** Deleted documents to keep (the caller marks them deleted in the new segment again). */
    keepDeleted?: (src: SegmentSource, doc: number) => boolean;
  } = {},
): Promise<{ segment: Segment; maps: DocMaps }> {
  let lastYield = performance.now();
  const maybeYield = async (): Promise<void> => {
    if (!opts.yieldToLoop) return;
    if (performance.now() - lastYield < YIELD_EVERY_MS) return;
    await new Promise<void>((r) => setImmediate(r));
    lastYield = performance.now();
  };

  // 1. Document table (live documents only, in source order: doc numbers stay chronological).
  const maps: DocMaps = [];
  let n = 0;
  const keep = opts.keepDeleted;
  for (const src of sources) {
    const map = new Int32Array(src.size).fill(-1);
    for (let d = 0; d < src.size; d++) if (!src.isDeleted(d) || keep?.(src, d)) map[d] = n++;
    maps.push(map);
  }
  let contentBytes = 0;
  for (const src of sources)
    contentBytes += src instanceof Segment ? src.data.contents.bytes.byteLength : src.size * 400;
  const ids = new StringColumnBuilder(n, n * 24);
  const timestamps = new StringColumnBuilder(n, n * 24);
  const contents = new StringColumnBuilder(n, contentBytes);
  const sessionTable: string[] = [];
  const sessionCodes = new Map<string, number>();
  const sessionIdx = new Uint32Array(n);
  const roleTable: string[] = [];
  const roleCodes = new Map<string, number>();
  const roleIdx = new Int32Array(n);
  const types = new Uint8Array(n);
  const tsMs = new Float64Array(n);
  const lengths = new Uint32Array(n);
  const titles = new Map<number, string>();
  const metadata = new Map<number, Record<string, unknown>>();
  const sessionCode = (sessionId: string): number => {
    let sc = sessionCodes.get(sessionId);
    if (sc === undefined) {
      sc = sessionTable.length;
      sessionTable.push(sessionId);
      sessionCodes.set(sessionId, sc);
    }
    return sc;
  };
  const roleCode = (role: string | undefined): number => {
    if (role === undefined) return -1;
    let rc = roleCodes.get(role);
    if (rc === undefined) {
      rc = roleTable.length;
      roleTable.push(role);
      roleCodes.set(role, rc);
    }
    return rc;
  };
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s] as SegmentSource;
    const map = maps[s] as Int32Array;
    for (let d = 0; d < src.size; d++) {
      const nd = map[d] as number;
      if (nd < 0) continue;
      if (src instanceof Segment) {
        // Columns are copied as bytes: nothing is decoded during a merge.
        const sd = src.data;
        ids.pushRaw(sd.ids.raw(d));
        timestamps.pushRaw(sd.timestamps.raw(d));
        contents.pushRaw(sd.contents.raw(d));
        sessionIdx[nd] = sessionCode(src.sessionOf(d));
        roleIdx[nd] = roleCode(src.roleOf(d));
        types[nd] = sd.types[d] as number;
        tsMs[nd] = sd.tsMs[d] as number;
        const title = sd.titles.get(d);
        if (title !== undefined) titles.set(nd, title);
        const meta = sd.metadata.get(d);
        if (meta !== undefined) metadata.set(nd, meta);
      } else {
        const rec = src.record(d);
        ids.push(rec.id);
        timestamps.push(rec.timestamp);
        contents.push(rec.content);
        sessionIdx[nd] = sessionCode(rec.sessionId);
        roleIdx[nd] = roleCode(rec.role);
        types[nd] = typeCode(rec.type);
        tsMs[nd] = rec.tsMs;
        if (rec.title !== undefined) titles.set(nd, rec.title);
        if (rec.metadata !== undefined) metadata.set(nd, rec.metadata);
      }
      lengths[nd] = src.docLength(d);
      if (nd % 4096 === 4095) await maybeYield();
    }
  }

  // 2. Postings: a k-way merge of the sources' sorted term lists, copying each posting list (remapped,
  //    deleted documents dropped) straight into the output arrays. Sources are in doc order, so every
  //    merged list stays sorted by doc number.
  const lists = sources.map(sortedTerms);
  let bound = 0;
  for (const l of lists) bound += l.postings;
  const postDocsAll = new Uint32Array(bound);
  const postTfAll = new Uint16Array(bound);
  const terms: string[] = [];
  const starts: number[] = [];
  const heads = lists.map(() => 0);
  let at = 0;
  let steps = 0;
  for (;;) {
    let min: string | undefined;
    for (let s = 0; s < lists.length; s++) {
      const t = (lists[s] as TermList).terms[heads[s] as number];
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    if (min === undefined) break;
    const startAt = at;
    for (let s = 0; s < lists.length; s++) {
      const l = lists[s] as TermList;
      const h = heads[s] as number;
      if (l.terms[h] !== min) continue;
      heads[s] = h + 1;
      const p = l.postingsOf(h);
      const map = maps[s] as Int32Array;
      for (let i = p.start; i < p.end; i++) {
        const nd = map[p.docs[i] as number] as number;
        if (nd < 0) continue;
        postDocsAll[at] = nd;
        postTfAll[at] = Math.min(65535, p.tfs[i] as number);
        at++;
      }
    }
    if (at > startAt) {
      terms.push(min);
      starts.push(startAt);
    }
    if (++steps % 4096 === 0) await maybeYield();
  }
  const postStart = new Uint32Array(terms.length + 1);
  postStart.set(starts);
  postStart[terms.length] = at;
  const postDocs = at === bound ? postDocsAll : postDocsAll.slice(0, at);
  const postTf = at === bound ? postTfAll : postTfAll.slice(0, at);

  const data: SegmentData = {
    name,
    n,
    ids: ids.finish(),
    timestamps: timestamps.finish(),
    contents: contents.finish(),
    sessionTable,
    sessionIdx,
    roleTable,
    roleIdx,
    types,
    tsMs,
    lengths,
    titles,
    metadata,
    terms: TermDict.fromArray(terms),
    postStart,
    postDocs,
    postTf,
  };
  return { segment: new Segment(data), maps };
}
