/**
 * Highlights and snippets, computed only for the hits actually returned: positions are not stored in
 * the index (that is most of a lunr index's memory); re-tokenising a few contents is cheaper.
 */
import { sliceWhole } from '@ffdb/core-types';
import { scanWords, termOf } from './text-pipeline.js';

/**
 * `[start, end)` offsets of every word of `content` whose term (or the word itself) is in `terms`.
 * A word whose first letter (ASCII, lower-cased) starts no query term is skipped without being
 * lower-cased and stemmed: the Porter stemmer only rewrites suffixes, so a term keeps its word's first
 * letter. Stemming every word of every hit was the largest cost of a query on a loaded user.
 */
export function highlightsFor(content: string, terms: ReadonlySet<string>): [number, number][] {
  if (terms.size === 0) return [];
  const firsts = new Set<number>();
  for (const t of terms) firsts.add(t.charCodeAt(0));
  const out: [number, number][] = [];
  scanWords(content, (start, end) => {
    let c = content.charCodeAt(start);
    if (c < 128) {
      if (c >= 65 && c <= 90) c += 32;
      if (!firsts.has(c)) return;
    }
    const word = content.slice(start, end).toLowerCase();
    const term = termOf(word);
    if ((term !== '' && terms.has(term)) || terms.has(word)) out.push([start, end]);
  });
  return out;
}

/**
 * A window of about `length` characters around the best match (the window holding the most
 * highlights), cut on word boundaries, with an ellipsis where text was left out.
 */
export function snippetFor(content: string, highlights: readonly [number, number][], length = 160): string {
  if (content.length <= length) return content;
  let start = 0;
  if (highlights.length > 0) {
    let bestI = 0;
    let bestCount = 0;
    for (let i = 0, j = 0; i < highlights.length; i++) {
      const from = (highlights[i] as [number, number])[0];
      while (j < highlights.length && (highlights[j] as [number, number])[1] <= from + length) j++;
      if (j - i > bestCount) {
        bestCount = j - i;
        bestI = i;
      }
    }
    const first = (highlights[bestI] as [number, number])[0];
    start = Math.max(0, first - Math.floor(length / 4));
  }
  let end = Math.min(content.length, start + length);
  if (end === content.length) start = Math.max(0, end - length);
  // Move to word boundaries.
  if (start > 0) {
    const space = content.indexOf(' ', start);
    if (space !== -1 && space < start + 20) start = space + 1;
  }
  if (end < content.length) {
    const space = content.lastIndexOf(' ', end);
    if (space > start + length / 2) end = space;
  }
  // sliceWhole: a cut inside an emoji would leave half of its surrogate pair in the snippet.
  return `${start > 0 ? '…' : ''}${sliceWhole(content, start, end).trim()}${end < content.length ? '…' : ''}`;
}
