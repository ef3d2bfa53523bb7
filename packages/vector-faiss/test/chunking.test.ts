import { FFValidationError } from '@ffdb/core-types';
import { describe, expect, it } from 'vitest';
import { CHUNKING_STRATEGIES, chunkText, estimateChunks, splitSentences } from '../src/index.js';

const sentences = (text: string) => splitSentences(text).map((s) => s.text);

describe('sentence splitter', () => {
  it('splits on terminal punctuation before a capital', () => {
    expect(sentences('One cat. Two dogs! Three birds? Four.')).toEqual([
      'One cat.',
      'Two dogs!',
      'Three birds?',
      'Four.',
    ]);
  });
  it('keeps abbreviations, initials, decimals and acronyms inside the sentence', () => {
    expect(sentences('Dr. Smith paid $3.50 at 4 p.m. on Jan. 5. He left.')).toEqual([
      'Dr. Smith paid $3.50 at 4 p.m. on Jan. 5.',
      'He left.',
    ]);
    expect(sentences('J. R. R. Tolkien wrote books, e.g. The Hobbit. It sold well.')).toEqual([
      'J. R. R. Tolkien wrote books, e.g. The Hobbit.',
      'It sold well.',
    ]);
    expect(sentences('The U.S.A. Army moved. Pi is 3.14159 roughly.')).toEqual([
      'The U.S.A. Army moved.',
      'Pi is 3.14159 roughly.',
    ]);
  });
  it('handles quotes, brackets, ellipses and a lower-case continuation', () => {
    expect(sentences('He said "Stop." Then he ran. (It was late.) "Why?" she asked.')).toEqual([
      'He said "Stop."',
      'Then he ran.',
      '(It was late.)',
      '"Why?" she asked.',
    ]);
    expect(sentences('Wait... what happened? nothing much. Fine.')).toEqual([
      'Wait... what happened? nothing much.',
      'Fine.',
    ]);
  });
  it('reports offsets into the input', () => {
    const text = 'Alpha beta.  Gamma delta.';
    for (const s of splitSentences(text)) expect(text.slice(s.start, s.end)).toBe(s.text);
  });
});

const LONG = Array.from(
  { length: 30 },
  (_, i) => `Sentence number ${i + 1} talks about topic ${i % 7} in some detail.`,
).join('   ');

describe('chunkText', () => {
  it('offers the five strategies of the reference', () => {
    for (const s of [
      'optimized_summary',
      'default_fixed',
      'sentence_short',
      'sentence_medium',
      'large_context',
    ]) {
      expect(CHUNKING_STRATEGIES[s]).toBeDefined();
      expect(chunkText(LONG, s).length).toBeGreaterThan(0);
    }
    expect(() => chunkText('x', 'nope')).toThrow(FFValidationError);
    expect(() => chunkText('x', 'nope')).toThrow(/Unknown strategy: nope/);
  });

  it('describes every chunk with index, total, counts and offsets into the normalised text', () => {
    const normalised = LONG.replace(/\s+/g, ' ').trim();
    const chunks = chunkText(LONG, 'sentence_medium');
    chunks.forEach((c, i) => {
      expect(c.index).toBe(i);
      expect(c.total).toBe(chunks.length);
      expect(c.charCount).toBe(c.text.length);
      expect(c.wordCount).toBe(c.text.split(' ').length);
      expect(normalised.slice(c.start, c.end)).toBe(c.text);
    });
  });

  it('sentence strategies group N sentences and advance N - overlap', () => {
    const short = chunkText(LONG, 'sentence_short');
    expect(short).toHaveLength(15);
    expect(short[0]?.text).toBe(
      'Sentence number 1 talks about topic 0 in some detail. Sentence number 2 talks about topic 1 in some detail.',
    );
    const medium = chunkText(LONG, 'sentence_medium');
    // 5 per chunk, overlap 1: starts at 0, 4, 8, ... and stops once a chunk reaches the end.
    expect(medium.map((c) => c.text.split('. ').length)).toEqual([5, 5, 5, 5, 5, 5, 5, 2]);
    expect(medium[1]?.text.startsWith('Sentence number 5 ')).toBe(true);
  });

  it('fixed slices by characters with overlap', () => {
    const text = 'abcdefghij'.repeat(120); // 1200 chars
    const chunks = chunkText(text, 'default_fixed');
    expect(chunks.map((c) => c.charCount)).toEqual([512, 512, 304]);
    expect(chunks[1]?.start).toBe(448);
    expect(chunkText(text, 'default_fixed', { chunkSize: 100, chunkOverlap: 0 })).toHaveLength(12);
    expect(() => chunkText(text, 'default_fixed', { chunkSize: 10, chunkOverlap: 10 })).toThrow(
      /chunkOverlap/,
    );
  });

  it('optimize grows to min tokens and truncates to max tokens', () => {
    const chunks = chunkText(LONG, 'optimized_summary');
    // 10 words per sentence: 5 sentences = 50 words < 128, so it grows to 13 sentences (130 words).
    expect(chunks[0]?.wordCount).toBe(130);
    const truncated = chunkText(LONG, 'optimized_summary', { max_tokens: 20 });
    expect(truncated[0]?.wordCount).toBe(20);
    expect(chunkText('', 'optimized_summary')).toEqual([]);
    expect(chunkText('   \n ')).toEqual([]);
  });

  it('estimateChunks follows the reference formulas', () => {
    expect(estimateChunks('a'.repeat(512), 'default_fixed')).toBe(1);
    expect(estimateChunks('a'.repeat(1200), 'default_fixed')).toBe(Math.floor((1200 - 512) / 448) + 1);
    expect(estimateChunks('a'.repeat(1000), 'sentence_short')).toBe(5);
    expect(estimateChunks('a'.repeat(1000), 'sentence_medium')).toBe(2);
    expect(estimateChunks('', 'sentence_medium')).toBe(0);
    expect(() => estimateChunks('x', 'bogus')).toThrow(FFValidationError);
  });
});
