/**
 * chunkText (synchronous, API.md §6.11): normalise whitespace, split by the strategy, and describe
 * each chunk with its index, total, character/word counts and offsets into the normalised text.
 */
import { type Chunk, FFValidationError } from '@ffdb/core-types';
import { type SentenceSpan, splitSentences } from './sentence-splitter.js';
import { semanticSpans } from './semantic.js';
import {
  cutAtWords,
  cutBetweenCharacters,
  firstSpaceBetween,
  insideWord,
  lastSpaceBetween,
  type Span,
  splitsPair,
  trimmed,
} from './spans.js';
import { type ConfiguredStrategies, resolveStrategy, type StrategyParams } from './strategies.js';

export function normalizeWhitespace(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function countWords(s: string): number {
  const m = s.match(/\S+/g);
  return m ? m.length : 0;
}

function fixedSpans(text: string, p: StrategyParams): Span[] {
  if (p.preserveWords) return wordFixedSpans(text, p);
  const out: Span[] = [];
  const step = p.chunkSize - p.chunkOverlap;
  for (let start = 0; start < text.length; start += step) {
    // No end falls inside a surrogate pair: each end steps back, so the character goes whole to the
    // chunk that starts at it (a chunk that would be left empty takes the character instead).
    let s = splitsPair(text, start) ? start - 1 : start;
    let e = Math.min(text.length, start + p.chunkSize);
    e = cutBetweenCharacters(text, e, s);
    while (s < e && text[s] === ' ') s++;
    while (e > s && text[e - 1] === ' ') e--;
    const prev = out[out.length - 1];
    // A one-character chunk that had to take a whole pair can meet the next start inside it.
    if (e > s && !(prev && prev.start === s && prev.end === e)) out.push({ start: s, end: e });
    if (start + p.chunkSize >= text.length) break;
  }
  return out;
}

/**
 * Fixed-size chunks that end and start at word boundaries (a word longer than a chunk is cut). Every
 * chunk ends past the one before: a chunk that could only end where the last one did (a long word
 * follows) cuts inside that word instead of repeating the same text.
 */
function wordFixedSpans(text: string, p: StrategyParams): Span[] {
  const out: Span[] = [];
  let s = 0;
  let lastEnd = 0;
  for (;;) {
    let e = Math.min(text.length, s + p.chunkSize);
    if (e < text.length && insideWord(text, e)) {
      const space = lastSpaceBetween(text, Math.max(s, lastEnd), e);
      e = space > s && space > lastEnd ? space : cutBetweenCharacters(text, e, Math.max(s, lastEnd));
    }
    lastEnd = e;
    const piece = trimmed(text, s, e);
    if (piece.end > piece.start) out.push(piece);
    if (e >= text.length) break;
    // The next chunk shares up to chunkOverlap characters, starting at a word.
    let next = Math.max(s + 1, e - p.chunkOverlap);
    if (insideWord(text, next)) {
      const space = firstSpaceBetween(text, next, e);
      next = space === -1 ? e : space + 1;
    }
    next = cutBetweenCharacters(text, next, s);
    s = next;
  }
  return out;
}

/**
 * minChunkSize / maxChunkSize for every kind: longer chunks are cut at word boundaries, and a chunk
 * shorter than the minimum joins the one before it when the two fit in the maximum.
 */
function applyBounds(text: string, spans: Span[], p: StrategyParams): Span[] {
  if (p.minChunkSize <= 0 && p.maxChunkSize === Infinity) return spans;
  const cut: Span[] = [];
  let covered = 0;
  for (const span of spans) {
    if (span.end - span.start > p.maxChunkSize) {
      // Overlapping spans (sentence overlap) would cut the same long sentence twice: pieces that end
      // within what earlier chunks already cover are left out.
      for (const piece of cutAtWords(text, span.start, span.end, p.maxChunkSize))
        if (piece.end > covered) cut.push(piece);
    } else cut.push(span);
    covered = Math.max(covered, span.end);
  }
  const out: Span[] = [];
  for (const span of cut) {
    const prev = out[out.length - 1];
    if (prev && span.end - span.start < p.minChunkSize && span.end - prev.start <= p.maxChunkSize) {
      prev.end = Math.max(prev.end, span.end);
    } else out.push({ ...span });
  }
  return out;
}

function sentenceSpans(sentences: SentenceSpan[], p: StrategyParams): Span[] {
  const out: Span[] = [];
  const step = Math.max(1, p.sentencesPerChunk - p.overlapSentences);
  for (let i = 0; i < sentences.length; i += step) {
    const group = sentences.slice(i, i + p.sentencesPerChunk);
    out.push({ start: (group[0] as SentenceSpan).start, end: (group[group.length - 1] as SentenceSpan).end });
    if (i + p.sentencesPerChunk >= sentences.length) break;
  }
  return out;
}

/**
 * Tokens for the optimize kind's word limits: a run of non-space characters, except that each Chinese
 * or Japanese character counts on its own (those scripts put no spaces between words, so a whole
 * paragraph would otherwise count as one word).
 */
const TOKEN =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[^\s\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]+/gu;

function countTokens(s: string): number {
  const m = s.match(TOKEN);
  return m ? m.length : 0;
}

/** Offset just after the `max`-th token of text[start, end). */
function truncateWords(text: string, start: number, end: number, max: number): number {
  const re = new RegExp(TOKEN.source, 'gu');
  re.lastIndex = start;
  let count = 0;
  let m: RegExpExecArray | null = re.exec(text);
  while (m && m.index < end) {
    count++;
    if (count === max) return Math.min(end, m.index + (m[0] as string).length);
    m = re.exec(text);
  }
  return end;
}

/**
 * The optimize kind: `sentencesPerChunk` sentences, grown while under `minTokens` words, never past
 * `maxTokens` words. A sentence longer than `maxTokens` words is cut into runs of `maxTokens` words first,
 * so no text is dropped (the reference truncated such a chunk and lost the rest of it).
 */
function optimizeSpans(text: string, sentences: SentenceSpan[], p: StrategyParams): Span[] {
  const pieces: Span[] = [];
  const words: number[] = [];
  for (const sentence of sentences) {
    const n = countTokens(sentence.text);
    if (n <= p.maxTokens) {
      pieces.push({ start: sentence.start, end: sentence.end });
      words.push(n);
      continue;
    }
    let from = sentence.start;
    while (from < sentence.end) {
      const to = truncateWords(text, from, sentence.end, p.maxTokens);
      const piece = trimmed(text, from, to);
      if (piece.end > piece.start) {
        pieces.push(piece);
        words.push(countTokens(text.slice(piece.start, piece.end)));
      }
      from = to;
      while (from < sentence.end && text[from] === ' ') from++;
    }
  }
  const out: Span[] = [];
  let i = 0;
  while (i < pieces.length) {
    let used = 1;
    let wc = words[i] as number;
    while (
      i + used < pieces.length &&
      (used < p.sentencesPerChunk || wc < p.minTokens) &&
      wc + (words[i + used] as number) <= p.maxTokens
    ) {
      wc += words[i + used] as number;
      used++;
    }
    out.push({ start: (pieces[i] as Span).start, end: (pieces[i + used - 1] as Span).end });
    if (i + used >= pieces.length) break;
    let next = i + Math.max(1, used - p.overlapSentences);
    // The overlap is kept only when the next chunk can still take the piece after this one; otherwise
    // that chunk would end where this one does, inside it.
    let carried = 0;
    for (let j = next; j < i + used; j++) carried += words[j] as number;
    if (next < i + used && carried + (words[i + used] as number) > p.maxTokens) next = i + used;
    i = next;
  }
  return out;
}

/**
 * Splits text into chunks by a strategy: a built-in one, or one `configured` defines (the manager
 * passes `vector.chunkingStrategies`, whose settings apply over the built-in strategy of that name).
 * `custom` settings apply last.
 */
export function chunkText(
  text: string,
  strategy?: string,
  custom?: Record<string, unknown>,
  configured?: ConfiguredStrategies,
): Chunk[] {
  if (typeof text !== 'string') throw new FFValidationError([{ path: 'text', message: 'must be a string' }]);
  const params = resolveStrategy(strategy, custom, configured);
  const normalized = normalizeWhitespace(text);
  if (!normalized) return [];
  let spans: Span[];
  if (params.kind === 'fixed') spans = fixedSpans(normalized, params);
  else {
    const sentences = splitSentences(normalized);
    if (params.kind === 'sentence') spans = sentenceSpans(sentences, params);
    else if (params.kind === 'optimize') spans = optimizeSpans(normalized, sentences, params);
    else spans = semanticSpans(normalized, sentences, params);
  }
  spans = applyBounds(normalized, spans, params);
  return spans.map((s, index) => {
    const chunk = normalized.slice(s.start, s.end);
    return {
      text: chunk,
      index,
      total: spans.length,
      charCount: chunk.length,
      wordCount: countWords(chunk),
      start: s.start,
      end: s.end,
    };
  });
}

/**
 * The reference's quick estimate (no splitting): fixed by length, sentence kinds at ~100 characters
 * per sentence; semantic chunks by their target length.
 */
export function estimateChunks(
  text: string,
  strategy?: string,
  custom?: Record<string, unknown>,
  configured?: ConfiguredStrategies,
): number {
  if (typeof text !== 'string') throw new FFValidationError([{ path: 'text', message: 'must be a string' }]);
  const p = resolveStrategy(strategy, custom, configured);
  const len = normalizeWhitespace(text).length;
  if (len === 0) return 0;
  if (p.kind === 'semantic') return Math.max(1, Math.round(len / p.targetChunkSize));
  if (p.kind === 'fixed')
    return len <= p.chunkSize ? 1 : Math.floor((len - p.chunkSize) / (p.chunkSize - p.chunkOverlap)) + 1;
  const sentences = Math.max(1, Math.floor(len / 100));
  return Math.max(1, Math.floor(sentences / Math.max(1, p.sentencesPerChunk - p.overlapSentences)));
}
