/**
 * Query evaluation over a user's segments and tail.
 *
 * Scoring is BM25 with lunr's parameters (k1 = 1.2, b = 0.75) and lunr's idf
 * (`ln(1 + (N - df + 0.5) / (df + 0.5))`), but with *global* statistics: N, df and the average length
 * are summed over all of the user's segments, so a document scores the same whichever segment holds
 * it (per-segment idf would make scores depend on flush timing). A clause is a query term with its
 * expansions (prefix, fuzzy); a document's clause score is its best expansion's score; the document
 * score is the sum of its clause scores. `and` keeps documents matching every clause, `or` any.
 * When the query has two or more words and they occur contiguously in the content, the score is
 * multiplied by `exactBoost` (the reference's `relevanceBoostExactMatch`).
 *
 * Filters (type, session, role, time) are applied to the candidate set with the segment's columnar
 * doc table, never as index clauses (that is what made lunr field clauses slow).
 */
import { type Clause, editDistance } from './query-parser.js';
import type { Searchable } from './searchable.js';
import { words } from './text-pipeline.js';

export const BM25_K1 = 1.2;
export const BM25_B = 0.75;

export interface Filters {
  types?: Set<number> | undefined;
  sessions?: Set<string> | undefined;
  roles?: Set<string> | undefined;
  startMs?: number | undefined;
  endMs?: number | undefined;
}

export interface EvalOptions {
  clauses: Clause[];
  mode: 'and' | 'or';
  limit: number;
  minScore: number;
  exactBoost: number;
  /** Lower-cased words of the query text, for the phrase boost. */
  phraseWords: string[];
  maxExpansions: number;
}

export interface Candidate {
  src: Searchable;
  doc: number;
  score: number;
  ts: number;
}

/** Reusable per-document scratch arrays (queries are evaluated synchronously, one at a time). */
export class Scratch {
  score = new Float64Array(0);
  best = new Float64Array(0);
  mark = new Int32Array(0);
  count = new Uint8Array(0);
  /** Documents touched by the current clause loop (first `touchedCount` entries). */
  touched = new Int32Array(0);
  ensure(n: number): void {
    if (this.score.length >= n) return;
    const size = Math.max(n, this.score.length * 2, 1024);
    this.score = new Float64Array(size);
    this.best = new Float64Array(size);
    this.mark = new Int32Array(size);
    this.count = new Uint8Array(size);
    this.touched = new Int32Array(size);
  }
}

/** Min-heap of the best `k` candidates (ties: the newer item wins). */
class TopK {
  readonly items: Candidate[] = [];
  constructor(private readonly k: number) {}
  private less(a: Candidate, b: Candidate): boolean {
    return (
      a.score < b.score ||
      (a.score === b.score && (a.ts < b.ts || (Number.isNaN(a.ts) && !Number.isNaN(b.ts))))
    );
  }
  wouldAccept(score: number): boolean {
    return this.items.length < this.k || score >= (this.items[0] as Candidate).score;
  }
  push(c: Candidate): void {
    const h = this.items;
    if (h.length < this.k) {
      h.push(c);
      let i = h.length - 1;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!this.less(h[i] as Candidate, h[p] as Candidate)) break;
        [h[i], h[p]] = [h[p] as Candidate, h[i] as Candidate];
        i = p;
      }
      return;
    }
    if (!this.less(h[0] as Candidate, c)) return;
    h[0] = c;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.less(h[l] as Candidate, h[m] as Candidate)) m = l;
      if (r < h.length && this.less(h[r] as Candidate, h[m] as Candidate)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m] as Candidate, h[i] as Candidate];
      i = m;
    }
  }
}

function passes(src: Searchable, d: number, f: Filters): boolean {
  if (src.isDeleted(d)) return false;
  if (f.types && !f.types.has(src.typeCodeOf(d))) return false;
  if (f.sessions && !f.sessions.has(src.sessionOf(d))) return false;
  if (f.roles) {
    const role = src.roleOf(d);
    if (role === undefined || !f.roles.has(role)) return false;
  }
  if (f.startMs !== undefined || f.endMs !== undefined) {
    const ts = src.tsOf(d);
    if (!Number.isNaN(ts)) {
      if (f.startMs !== undefined && ts < f.startMs) return false;
      if (f.endMs !== undefined && ts > f.endMs) return false;
    }
  }
  return true;
}

/** Expansion terms of a clause in one source, with their weights. */
function expand(src: Searchable, c: Clause, maxExpansions: number): Map<string, number> {
  const out = new Map<string, number>();
  if (src.df(c.term) > 0) out.set(c.term, 1);
  if (c.prefix) {
    for (const t of src.termsWithPrefix(c.word, maxExpansions))
      if (!out.has(t)) out.set(t, t === c.word ? 1 : 0.8);
  }
  if (c.fuzzy > 0) {
    const distances = new Map<string, number>();
    for (const t of src.allTerms()) {
      if (t === c.term) continue;
      const dist = Math.min(editDistance(c.term, t, c.fuzzy), editDistance(c.word, t, c.fuzzy));
      if (dist <= c.fuzzy) distances.set(t, dist);
    }
    // The stem of a word one edit from the typed word is one edit away too (Clause.neighbours).
    for (const t of c.neighbours ?? []) {
      if (t !== c.term && (distances.get(t) ?? 2) > 1 && src.df(t) > 0) distances.set(t, 1);
    }
    const found = [...distances].sort((a, b) => a[1] - b[1]);
    for (const [t, dist] of found.slice(0, maxExpansions)) {
      if (!out.has(t)) out.set(t, Math.max(0.25, 1 - 0.25 * dist));
    }
  }
  return out;
}

function containsPhrase(content: string, phrase: string[]): boolean {
  const w = words(content);
  outer: for (let i = 0; i + phrase.length <= w.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (w[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

export interface EvalResult {
  hits: Candidate[];
  /** Index terms that matched something (the highlighter marks words with these terms). */
  matchedTerms: Set<string>;
}

export function evaluate(
  sources: readonly Searchable[],
  o: EvalOptions,
  f: Filters,
  scratch: Scratch,
): EvalResult {
  const matchedTerms = new Set<string>();
  if (o.clauses.length === 0) return { hits: [], matchedTerms };

  // Expansions per source and clause, and global statistics.
  const expansions = sources.map((src) => o.clauses.map((c) => expand(src, c, o.maxExpansions)));
  const dfGlobal = new Map<string, number>();
  let nDocs = 0;
  let totalLength = 0;
  for (const src of sources) {
    nDocs += src.size;
    totalLength += src.totalLength;
  }
  const clauseUsed = o.clauses.map(() => false);
  for (let s = 0; s < sources.length; s++) {
    const per = expansions[s] as Map<string, number>[];
    for (let c = 0; c < per.length; c++) {
      for (const t of (per[c] as Map<string, number>).keys()) {
        clauseUsed[c] = true;
        if (!dfGlobal.has(t)) {
          let df = 0;
          for (const other of sources) df += other.df(t);
          dfGlobal.set(t, df);
        }
      }
    }
  }
  if (o.mode === 'and' && clauseUsed.some((u) => !u)) return { hits: [], matchedTerms };
  const avgdl = nDocs > 0 ? totalLength / nDocs || 1 : 1;
  const idfOf = (t: string): number => {
    const df = dfGlobal.get(t) ?? 0;
    return Math.log(1 + Math.abs((nDocs - df + 0.5) / (df + 0.5)));
  };

  const usePhrase = o.phraseWords.length >= 2 && o.exactBoost !== 1;
  const heapSize = usePhrase ? Math.max(o.limit * 3, 30) : o.limit;
  const top = new TopK(heapSize);
  const nClauses = o.clauses.length;
  const needed = o.mode === 'and' ? nClauses : 1;

  for (let s = 0; s < sources.length; s++) {
    const src = sources[s] as Searchable;
    if (src.size === 0) continue;
    const per = expansions[s] as Map<string, number>[];
    if (o.mode === 'and' && per.some((m) => m.size === 0)) continue;
    // Rarest clause first: in `and` mode later clauses only touch documents already matched.
    const order = per
      .map((m, c) => {
        let cost = 0;
        for (const t of m.keys()) cost += src.df(t);
        return { c, cost };
      })
      .filter((e) => (per[e.c] as Map<string, number>).size > 0)
      .sort((a, b) => a.cost - b.cost);
    scratch.ensure(src.size);
    const { score, best, mark, count, touched } = scratch;
    let touchedCount = 0;
    for (let k = 0; k < order.length; k++) {
      const { c } = order[k] as { c: number };
      const stamp = k + 1;
      for (const [t, w] of per[c] as Map<string, number>) {
        const p = src.postings(t);
        if (!p) continue;
        const idf = idfOf(t) * w;
        const { docs, tfs } = p;
        for (let i = p.start; i < p.end; i++) {
          const d = docs[i] as number;
          if (mark[d] === stamp) {
            const tf = tfs[i] as number;
            const sc =
              (idf * tf * (BM25_K1 + 1)) /
              (tf + BM25_K1 * (1 - BM25_B + (BM25_B * src.docLength(d)) / avgdl));
            if (sc > (best[d] as number)) {
              score[d] = (score[d] as number) + sc - (best[d] as number);
              best[d] = sc;
            }
            continue;
          }
          const cnt = count[d] as number;
          if (o.mode === 'and' && cnt !== k) continue; // missed an earlier (rarer) clause
          const tf = tfs[i] as number;
          const sc =
            (idf * tf * (BM25_K1 + 1)) / (tf + BM25_K1 * (1 - BM25_B + (BM25_B * src.docLength(d)) / avgdl));
          if (cnt === 0) touched[touchedCount++] = d;
          mark[d] = stamp;
          count[d] = cnt + 1;
          best[d] = sc;
          score[d] = (score[d] as number) + sc;
        }
      }
    }
    for (let k = 0; k < touchedCount; k++) {
      const d = touched[k] as number;
      // `or`: scaled by the share of clauses matched (Lucene's coordination factor), so an item holding
      // every word ranks above one holding a rarer word alone, as the reference ranked by that share.
      const matched = count[d] as number;
      const sc = (score[d] as number) * (o.mode === 'or' && nClauses > 1 ? matched / nClauses : 1);
      if (matched >= needed && top.wouldAccept(sc) && passes(src, d, f)) {
        top.push({ src, doc: d, score: sc, ts: src.tsOf(d) });
      }
      score[d] = 0;
      best[d] = 0;
      mark[d] = 0;
      count[d] = 0;
    }
    for (const m of per) for (const t of m.keys()) matchedTerms.add(t);
  }

  let hits = top.items;
  if (usePhrase) {
    for (const h of hits) if (containsPhrase(h.src.contentOf(h.doc), o.phraseWords)) h.score *= o.exactBoost;
  }
  hits = hits.filter((h) => h.score >= o.minScore);
  hits.sort((a, b) => b.score - a.score || b.ts - a.ts);
  return { hits: hits.slice(0, o.limit), matchedTerms };
}

/** Every item passing the filters, newest first (an empty query with filters). */
export function listFiltered(sources: readonly Searchable[], limit: number, f: Filters): Candidate[] {
  const top = new TopK(limit);
  for (const src of sources) {
    for (let d = 0; d < src.size; d++) {
      if (passes(src, d, f)) top.push({ src, doc: d, score: 1, ts: src.tsOf(d) });
    }
  }
  return top.items.sort((a, b) => b.ts - a.ts);
}
