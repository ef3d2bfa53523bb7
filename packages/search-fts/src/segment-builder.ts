/**
 * Builds an immutable segment from a frozen tail or from several segments (a merge). Deleted
 * documents are dropped here: this is where tombstones are purged. Big merges yield to the event
 * loop every few milliseconds so appends and queries are not held up by index maintenance.
 */
import { Segment, type SegmentData } from './segment.js';
import type { Postings } from './searchable.js';
import { typeCode } from './searchable.js';
import type { Tail } from './tail.js';

export type SegmentSource = Tail | Segment;

/** For each source, old doc number -> new doc number (-1 when dropped). */
export type DocMaps = Int32Array[];

const YIELD_EVERY_MS = 8;

function sourceTerms(src: SegmentSource): Iterable<[string, Postings]> {
  if (src instanceof Segment) return src.termEntries();
  const out: [string, Postings][] = [];
  for (const [term, p] of src.inverted)
    out.push([term, { docs: p.docs, tfs: p.tfs, start: 0, end: p.docs.length }]);
  return out;
}

export async function buildSegment(
  name: string,
  sources: readonly SegmentSource[],
  opts: { yieldToLoop?: boolean } = {},
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
  for (const src of sources) {
    const map = new Int32Array(src.size).fill(-1);
    for (let d = 0; d < src.size; d++) if (!src.isDeleted(d)) map[d] = n++;
    maps.push(map);
  }
  const ids: string[] = new Array(n);
  const timestamps: string[] = new Array(n);
  const contents: string[] = new Array(n);
  const contentOffsets = new Uint32Array(n + 1);
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
  let offset = 0;
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s] as SegmentSource;
    const map = maps[s] as Int32Array;
    for (let d = 0; d < src.size; d++) {
      const nd = map[d] as number;
      if (nd < 0) continue;
      const rec = src.record(d);
      ids[nd] = rec.id;
      timestamps[nd] = rec.timestamp;
      contents[nd] = rec.content;
      contentOffsets[nd] = offset;
      offset += rec.content.length;
      let sc = sessionCodes.get(rec.sessionId);
      if (sc === undefined) {
        sc = sessionTable.length;
        sessionTable.push(rec.sessionId);
        sessionCodes.set(rec.sessionId, sc);
      }
      sessionIdx[nd] = sc;
      if (rec.role === undefined) roleIdx[nd] = -1;
      else {
        let rc = roleCodes.get(rec.role);
        if (rc === undefined) {
          rc = roleTable.length;
          roleTable.push(rec.role);
          roleCodes.set(rec.role, rc);
        }
        roleIdx[nd] = rc;
      }
      types[nd] = typeCode(rec.type);
      tsMs[nd] = rec.tsMs;
      lengths[nd] = src.docLength(d);
      if (rec.title !== undefined) titles.set(nd, rec.title);
      if (rec.metadata !== undefined) metadata.set(nd, rec.metadata);
    }
    await maybeYield();
  }
  contentOffsets[n] = offset;

  // 2. Postings: gather per term across sources (sources are in doc order, so lists stay sorted).
  const gathered = new Map<string, { docs: number[]; tfs: number[] }>();
  for (let s = 0; s < sources.length; s++) {
    const src = sources[s] as SegmentSource;
    const map = maps[s] as Int32Array;
    let count = 0;
    for (const [term, p] of sourceTerms(src)) {
      let g: { docs: number[]; tfs: number[] } | undefined;
      for (let i = p.start; i < p.end; i++) {
        const nd = map[p.docs[i] as number] as number;
        if (nd < 0) continue;
        if (!g) {
          g = gathered.get(term);
          if (!g) {
            g = { docs: [], tfs: [] };
            gathered.set(term, g);
          }
        }
        g.docs.push(nd);
        g.tfs.push(p.tfs[i] as number);
      }
      if (++count % 2048 === 0) await maybeYield();
    }
  }
  const terms = [...gathered.keys()].sort();
  let total = 0;
  for (const g of gathered.values()) total += g.docs.length;
  const postStart = new Uint32Array(terms.length + 1);
  const postDocs = new Uint32Array(total);
  const postTf = new Uint16Array(total);
  let at = 0;
  for (let t = 0; t < terms.length; t++) {
    const g = gathered.get(terms[t] as string) as { docs: number[]; tfs: number[] };
    postStart[t] = at;
    for (let i = 0; i < g.docs.length; i++) {
      postDocs[at] = g.docs[i] as number;
      postTf[at] = Math.min(65535, g.tfs[i] as number);
      at++;
    }
    if (t % 4096 === 4095) await maybeYield();
  }
  postStart[terms.length] = at;

  const data: SegmentData = {
    name,
    n,
    ids,
    timestamps,
    contentText: contents.join(''),
    contentOffsets,
    sessionTable,
    sessionIdx,
    roleTable,
    roleIdx,
    types,
    tsMs,
    lengths,
    titles,
    metadata,
    terms,
    postStart,
    postDocs,
    postTf,
  };
  return { segment: new Segment(data), maps };
}
