/**
 * Query text -> clauses. Syntax (documented in docs/search.md):
 *   - words are ANDed by default (`mode: 'or'` to match any);
 *   - `word*` is a prefix term (or every term with `prefix: true`);
 *   - `word~` / `word~2` is a fuzzy term with edit distance 1 / 2 (or every term with `fuzzy`);
 *   - stop words ("the", "and", …) are ignored unless they carry `*` or `~`.
 */
import { stemOnly, termOf } from './text-pipeline.js';

export interface Clause {
  /** Lower-cased word as typed. */
  word: string;
  /** Stemmed term (what exact matching uses). */
  term: string;
  prefix: boolean;
  /** Edit distance, 0 = exact. */
  fuzzy: number;
}

const QUERY_WORD = /([\p{L}\p{N}_]+)(\*|~(\d)?)?/gu;

export function parseQuery(
  text: string,
  opts: { prefix?: boolean; fuzzy?: boolean | number } = {},
): Clause[] {
  const globalFuzzy = opts.fuzzy === true ? 1 : typeof opts.fuzzy === 'number' ? opts.fuzzy : 0;
  const out: Clause[] = [];
  const seen = new Set<string>();
  QUERY_WORD.lastIndex = 0;
  for (let m = QUERY_WORD.exec(text); m !== null; m = QUERY_WORD.exec(text)) {
    const word = (m[1] as string).toLowerCase();
    const op = m[2];
    const prefix = op === '*' || opts.prefix === true;
    const fuzzy = op?.startsWith('~') ? Math.min(3, Number(m[3] ?? 1)) : globalFuzzy;
    let term = termOf(word);
    if (term === '') {
      if (!prefix && fuzzy === 0 && op === undefined) continue; // a stop word on its own
      term = stemOnly(word);
    }
    const key = `${term}|${word}|${prefix}|${fuzzy}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ word, term, prefix, fuzzy });
  }
  return out;
}

/** Bounded Levenshtein distance: returns max+1 as soon as the distance must exceed `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = i;
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length] as number;
}
