/**
 * The `semantic` kind: whole sentences packed towards `targetChunkSize` characters, ending chunks
 * where the topic shifts.
 *
 * chunkText is synchronous (API.md §6.11) and runs before any embedding, so "semantic" here means
 * lexical cohesion, as in TextTiling (Hearst, 1997): the similarity at a boundary between two
 * sentences is the cosine of the content-word counts of the two sentences before it and the two
 * after it. A boundary below `similarityThreshold` is a topic shift.
 *
 * Where a chunk ends: among the sentence boundaries that leave it between `minChunkSize` and
 * `maxChunkSize` characters, the topic shift closest to the target; with no shift in that range, the
 * boundary closest to the target. A sentence longer than `maxChunkSize` is cut at word boundaries
 * first.
 */
import type { SentenceSpan } from './sentence-splitter.js';
import { cutAtWords, type Span } from './spans.js';
import type { StrategyParams } from './strategies.js';

/** Words that say nothing about the topic; without them, "the" and "of" would make any two sentences alike. */
const STOP_WORDS = new Set(
  (
    'a an and are as at be been but by for from had has have he her his i in is it its me my not of on or ' +
    'our she so that the their them then there these they this to was we were what when which who will ' +
    'with would you your'
  ).split(' '),
);

const WINDOW = 2;

function contentWords(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const match of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = match[0];
    if (word.length < 2 || STOP_WORDS.has(word)) continue;
    counts.set(word, (counts.get(word) ?? 0) + 1);
  }
  return counts;
}

function merged(bags: readonly Map<string, number>[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const bag of bags) for (const [w, n] of bag) out.set(w, (out.get(w) ?? 0) + n);
  return out;
}

function cosine(a: Map<string, number>, b: Map<string, number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (const [w, n] of a) {
    na += n * n;
    const m = b.get(w);
    if (m !== undefined) dot += n * m;
  }
  for (const n of b.values()) nb += n * n;
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** similarity[i] belongs to the boundary between piece i and piece i + 1. */
function boundarySimilarities(text: string, pieces: readonly Span[]): number[] {
  const bags = pieces.map((p) => contentWords(text.slice(p.start, p.end)));
  const out: number[] = [];
  for (let i = 0; i + 1 < pieces.length; i++) {
    const before = merged(bags.slice(Math.max(0, i + 1 - WINDOW), i + 1));
    const after = merged(bags.slice(i + 1, i + 1 + WINDOW));
    out.push(cosine(before, after));
  }
  return out;
}

export function semanticSpans(text: string, sentences: readonly SentenceSpan[], p: StrategyParams): Span[] {
  const pieces: Span[] = [];
  for (const s of sentences) {
    if (s.end - s.start > p.maxChunkSize) pieces.push(...cutAtWords(text, s.start, s.end, p.maxChunkSize));
    else pieces.push({ start: s.start, end: s.end });
  }
  if (pieces.length === 0) return [];
  const similarity = boundarySimilarities(text, pieces);
  const out: Span[] = [];
  let first = 0;
  while (first < pieces.length) {
    const start = (pieces[first] as Span).start;
    let best = -1;
    let bestIsShift = false;
    let bestDistance = Infinity;
    for (let last = first; last < pieces.length; last++) {
      const length = (pieces[last] as Span).end - start;
      if (length > p.maxChunkSize && last > first) break;
      if (length < p.minChunkSize && last + 1 < pieces.length) continue;
      // The end of the text is a boundary like any other: preferring it would make one chunk of a
      // text shorter than the maximum.
      const isShift = last + 1 < pieces.length && (similarity[last] as number) < p.similarityThreshold;
      const distance = Math.abs(length - p.targetChunkSize);
      if ((isShift && !bestIsShift) || (isShift === bestIsShift && distance < bestDistance)) {
        best = last;
        bestIsShift = isShift;
        bestDistance = distance;
      }
      // Every later boundary is longer still, so none is a closer shift.
      if (bestIsShift && length - p.targetChunkSize >= bestDistance) break;
    }
    // Nothing fits between min and max (a short sentence before a long one): end after the sentences
    // that still fit in the maximum.
    if (best < 0) {
      best = first;
      while (best + 1 < pieces.length && (pieces[best + 1] as Span).end - start <= p.maxChunkSize) best++;
    }
    out.push({ start, end: (pieces[best] as Span).end });
    first = best + 1;
  }
  return out;
}
