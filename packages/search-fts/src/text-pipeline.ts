/**
 * The text pipeline shared by indexing, querying and highlighting: lunr's English stop-word filter and
 * Porter stemmer, applied to Unicode word tokens. Using one function everywhere is what makes the
 * in-memory tail, the persisted segments and the highlighter agree on what a "term" is.
 *
 * Differences from `lunr.tokenizer` (deliberate): lunr splits only on whitespace and hyphens and trims
 * `\W` (ASCII) from the ends, so "hello,world" stays one token and "café" loses its "é". We split on any
 * run of characters that are not Unicode letters, digits or `_`.
 */
import lunr from 'lunr';

/** Memo of lower-cased word -> stemmed term ('' for a stop word). The vocabulary is small (~50k words). */
const memo = new Map<string, string>();
const MEMO_LIMIT = 200_000;

/** Stemmed index term of one lower-cased word, or '' when it is a stop word. */
export function termOf(lowerWord: string): string {
  const hit = memo.get(lowerWord);
  if (hit !== undefined) return hit;
  const token = new lunr.Token(lowerWord, {});
  let out = '';
  if (lunr.stopWordFilter(token) !== undefined) out = lunr.stemmer(token).toString();
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(lowerWord, out);
  return out;
}

/** termOf without the memo: for the many made-up words of a fuzzy expansion (query-parser.ts). */
export function termOfUncached(lowerWord: string): string {
  const token = new lunr.Token(lowerWord, {});
  return lunr.stopWordFilter(token) === undefined ? '' : lunr.stemmer(token).toString();
}

/** Stemmed term without the stop-word filter (prefix/fuzzy query terms keep stop words). */
export function stemOnly(lowerWord: string): string {
  return lunr.stemmer(new lunr.Token(lowerWord, {})).toString();
}

// Word characters: Unicode letters, digits and `_` (the classes of `[\p{L}\p{N}_]`). A hand-written
// scanner instead of a regex: indexing calls this for every word of every item, and avoiding a match
// object per word halves the indexing cost. Surrogates count as word characters (astral letters).
const unicodeClass = new Uint8Array(65536); // 0 = unknown, 1 = word, 2 = not a word
const UNICODE_WORD = /[\p{L}\p{N}_]/u;

function isWordChar(c: number): boolean {
  if (c < 128) return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
  if (c >= 0xd800 && c <= 0xdfff) return true;
  let k = unicodeClass[c] as number;
  if (k === 0) {
    k = UNICODE_WORD.test(String.fromCharCode(c)) ? 1 : 2;
    unicodeClass[c] = k;
  }
  return k === 1;
}

/** Calls `fn(start, end)` for every word of `text`. */
export function scanWords(text: string, fn: (start: number, end: number) => void): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    if (!isWordChar(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < n && isWordChar(text.charCodeAt(j))) j++;
    fn(i, j);
    i = j;
  }
}

/** Term frequencies of a text (title + content), plus its length in indexed terms. */
export function termFrequencies(text: string): { tf: Map<string, number>; length: number } {
  const tf = new Map<string, number>();
  let length = 0;
  scanWords(text, (start, end) => {
    const term = termOf(text.slice(start, end).toLowerCase());
    if (term === '') return;
    length++;
    tf.set(term, (tf.get(term) ?? 0) + 1);
  });
  return { tf, length };
}

export interface WordSpan {
  /** Lower-cased word. */
  word: string;
  /** Stemmed term ('' for a stop word). */
  term: string;
  start: number;
  end: number;
}

/** Every word of a text with its character offsets `[start, end)`. */
export function wordSpans(text: string): WordSpan[] {
  const out: WordSpan[] = [];
  scanWords(text, (start, end) => {
    const word = text.slice(start, end).toLowerCase();
    out.push({ word, term: termOf(word), start, end });
  });
  return out;
}

/** Words of a free-text string, lower-cased, in order (for phrase checks). */
export function words(text: string): string[] {
  const out: string[] = [];
  scanWords(text, (start, end) => {
    out.push(text.slice(start, end).toLowerCase());
  });
  return out;
}
