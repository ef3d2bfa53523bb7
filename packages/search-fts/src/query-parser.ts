/**
 * Query text -> clauses. Syntax (documented in docs/search.md):
 *   - words are ANDed by default (`mode: 'or'` to match any);
 *   - `word*` is a prefix term (or every term with `prefix: true`);
 *   - `word~` / `word~2` is a fuzzy term with edit distance 1 / 2 (or every term with `fuzzy`);
 *   - stop words ("the", "and", …) are ignored unless they carry `*` or `~`.
 */
import { stemOnly, termOf, termOfUncached } from './text-pipeline.js';

export interface Clause {
  /** Lower-cased word as typed. */
  word: string;
  /** Stemmed term (what exact matching uses). */
  term: string;
  prefix: boolean;
  /** Edit distance, 0 = exact. */
  fuzzy: number;
  /**
   * For a fuzzy clause: the terms of the words one edit away from `word` (see oneEditTerms). The index
   * holds stems, so a typo compared with stems alone misses words whose stem is shorter than the word:
   * "connecton" is 2 edits from the stem "connect" but 1 from the word "connection".
   */
  neighbours?: readonly string[];
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
    out.push(
      fuzzy > 0
        ? { word, term, prefix, fuzzy, neighbours: oneEditTerms(word) }
        : { word, term, prefix, fuzzy },
    );
  }
  return out;
}

const LATIN = 'abcdefghijklmnopqrstuvwxyz';

/**
 * Index terms of every word one edit (a deletion, insertion, substitution or swap of neighbours) away
 * from `word`, stop words left out. Insertions and substitutions use a–z and the word's own letters:
 * ~55 candidates per letter, each stemmed once (~1 ms for a ten-letter word).
 */
export function oneEditTerms(word: string): string[] {
  const chars = Array.from(word);
  const letters = new Set(LATIN);
  for (const ch of chars) letters.add(ch);
  const words = new Set<string>();
  const n = chars.length;
  for (let i = 0; i <= n; i++) {
    const head = chars.slice(0, i).join('');
    const tail = chars.slice(i).join('');
    const rest = chars.slice(i + 1).join('');
    for (const ch of letters) words.add(head + ch + tail);
    if (i < n) {
      words.add(head + rest);
      for (const ch of letters) if (ch !== chars[i]) words.add(head + ch + rest);
    }
    if (i + 1 < n)
      words.add(head + (chars[i + 1] as string) + (chars[i] as string) + chars.slice(i + 2).join(''));
  }
  words.delete(word);
  const terms = new Set<string>();
  for (const w of words) {
    const t = termOfUncached(w);
    if (t !== '') terms.add(t);
  }
  return [...terms];
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
