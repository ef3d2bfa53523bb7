/**
 * Highlights and snippets, computed only for the hits actually returned: positions are not stored in
 * the index (that is most of a lunr index's memory); re-tokenising a few contents is cheaper.
 */
import { wordSpans } from './text-pipeline.js';

/** `[start, end)` offsets of every word of `content` whose term is in `terms`. */
export function highlightsFor(content: string, terms: ReadonlySet<string>): [number, number][] {
  if (terms.size === 0) return [];
  const out: [number, number][] = [];
  for (const w of wordSpans(content)) {
    if (w.term !== '' && terms.has(w.term)) out.push([w.start, w.end]);
    else if (terms.has(w.word)) out.push([w.start, w.end]);
  }
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
  return `${start > 0 ? '…' : ''}${content.slice(start, end).trim()}${end < content.length ? '…' : ''}`;
}
