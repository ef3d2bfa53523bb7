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

const WORD = /[\p{L}\p{N}_]+/gu;

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

/** Stemmed term without the stop-word filter (prefix/fuzzy query terms keep stop words). */
export function stemOnly(lowerWord: string): string {
  return lunr.stemmer(new lunr.Token(lowerWord, {})).toString();
}

/** Term frequencies of a text (title + content), plus its length in indexed terms. */
export function termFrequencies(text: string): { tf: Map<string, number>; length: number } {
  const tf = new Map<string, number>();
  let length = 0;
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const term = termOf(m[0].toLowerCase());
    if (term === '') continue;
    length++;
    tf.set(term, (tf.get(term) ?? 0) + 1);
  }
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
  WORD.lastIndex = 0;
  for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
    const word = m[0].toLowerCase();
    out.push({ word, term: termOf(word), start: m.index, end: m.index + m[0].length });
  }
  return out;
}

/** Words of a free-text string, lower-cased, in order (for phrase checks). */
export function words(text: string): string[] {
  return (text.match(WORD) ?? []).map((w) => w.toLowerCase());
}
