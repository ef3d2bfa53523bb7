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

  it('optimize never drops text: a sentence over maxTokens words is cut into runs, not truncated', () => {
    const noStops = Array.from({ length: 3000 }, (_, i) => `word${i}`).join(' ');
    for (const strategy of ['optimized_summary', 'large_context']) {
      const chunks = chunkText(noStops, strategy);
      expect(chunks.at(-1)?.end).toBe(noStops.length);
      expect(chunks.map((c) => c.text).join(' ')).toContain('word2999');
      for (const c of chunks)
        expect(c.wordCount).toBeLessThanOrEqual(strategy === 'large_context' ? 1200 : 800);
      // Consecutive chunks leave no gap.
      for (let i = 1; i < chunks.length; i++)
        expect(chunks[i]!.start).toBeLessThanOrEqual(chunks[i - 1]!.end + 1);
    }
  });

  it('optimize keeps the overlap only when the next chunk can still move past this one', () => {
    const w = (n: number, p: string) => Array.from({ length: n }, (_, i) => `${p}${i}`).join(' ');
    const chunks = chunkText(`${w(50, 'A')}. ${w(50, 'B')}. ${w(790, 'C')}.`, 'optimized_summary');
    expect(chunks.map((c) => c.text.slice(0, 3))).toEqual(['A0 ', 'C0 ']);
    for (let i = 1; i < chunks.length; i++) expect(chunks[i]!.end).toBeGreaterThan(chunks[i - 1]!.end);
  });

  it('Chinese and Japanese text: full stops without spaces end sentences, each character counts as a token', () => {
    expect(sentences('月亮很亮。星星很多！你看到了吗？「好」。')).toEqual([
      '月亮很亮。',
      '星星很多！',
      '你看到了吗？',
      '「好」。',
    ]);
    const zh = '这是一个关于月亮和星星的句子。'.repeat(200); // 3,000 characters, no spaces
    const chunks = chunkText(zh, 'optimized_summary');
    // 15 tokens a sentence: 5 sentences (75) grow to 9 (135 >= 128 tokens).
    expect(chunks.length).toBeGreaterThan(20);
    for (const c of chunks) expect(c.charCount).toBeLessThanOrEqual(9 * 15);
    expect(chunks.at(-1)?.end).toBe(zh.length);
    expect(chunkText(zh, 'sentence_short')[0]?.text).toBe('这是一个关于月亮和星星的句子。'.repeat(2));
    // A long run of characters without a stop is cut at maxTokens characters, not kept whole.
    const run = '月'.repeat(2000);
    const cut = chunkText(run, 'optimized_summary');
    expect(cut.map((c) => c.charCount)).toEqual([800, 800, 400]);
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

const TOPIC_A = [
  'The harbour seals rest on the rocks at low tide.',
  'Seals dive for fish in the cold harbour water.',
  'A young seal stays close to its mother on the rocks.',
  'The seals return to the harbour rocks every evening.',
];
const TOPIC_B = [
  'The compiler turns source code into machine instructions.',
  'An optimising compiler rewrites loops in the source code.',
  'Compiler errors point at the line of source code that failed.',
  'Every compiler pass reads and rewrites an intermediate code form.',
];

describe('characters outside the BMP', () => {
  // Emoji and rare CJK ideographs are two UTF-16 units; a chunk boundary between them leaves a lone
  // surrogate, which UTF-8 encoders and embedders turn into U+FFFD.
  const lone = (s: string) =>
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);
  const emojiRun = '😀🎉𠀋🚀'.repeat(40);
  const texts = [emojiRun, `word ${emojiRun} tail`, 'ab😀cd😀ef😀gh 😀😀😀 ij'.repeat(10)];

  it('never cuts a surrogate pair, whatever the strategy and size', () => {
    const cases: [string, Record<string, unknown>][] = [
      ['default_fixed', { chunkSize: 1, chunkOverlap: 0 }],
      ['default_fixed', { chunkSize: 3, chunkOverlap: 0 }],
      ['default_fixed', { chunkSize: 7, chunkOverlap: 2 }],
      ['fixed_size', { chunkSize: 5, chunkOverlap: 1, preserveWords: true }],
      ['fixed_size', { chunkSize: 1, chunkOverlap: 0, preserveWords: true }],
      ['sentence_short', { minChunkSize: 0, maxChunkSize: 5 }],
      ['optimized_summary', { minChunkSize: 0, maxChunkSize: 9 }],
      ['semantic', { minChunkSize: 0, maxChunkSize: 3 }],
    ];
    for (const text of texts)
      for (const [strategy, custom] of cases) {
        const chunks = chunkText(text, strategy, custom);
        expect(chunks.length).toBeGreaterThan(0);
        for (const c of chunks) expect(lone(c.text), `${strategy} ${JSON.stringify(custom)}`).toBe(false);
      }
  });

  it('loses and repeats nothing when fixed chunks do not overlap', () => {
    for (const size of [1, 2, 3, 5]) {
      const chunks = chunkText(emojiRun, 'default_fixed', { chunkSize: size, chunkOverlap: 0 });
      expect(chunks.map((c) => c.text).join('')).toBe(emojiRun);
    }
  });
});

describe('strategies from vector.chunkingStrategies', () => {
  const words = (n: number) => Array.from({ length: n }, (_, i) => `word${i}`).join(' ');

  it("a configured entry's settings apply over the built-in strategy of that name", () => {
    const configured = { fixed_size: { chunkSize: 100, chunkOverlap: 10, preserveWords: true } };
    const chunks = chunkText(words(200), 'fixed_size', undefined, configured);
    expect(chunks.length).toBeGreaterThan(10);
    for (const c of chunks) expect(c.charCount).toBeLessThanOrEqual(100);
    // Without the configuration the built-in 512-character size applies.
    expect(
      chunkText(words(200), 'fixed_size').every((c) => c.charCount > 100 || c.index === c.total - 1),
    ).toBe(true);
    // The caller's custom settings win over the configured ones.
    const custom = chunkText(words(200), 'fixed_size', { chunkSize: 300 }, configured);
    expect(Math.max(...custom.map((c) => c.charCount))).toBeGreaterThan(200);
  });

  it('a name only the configuration knows gets the kind its settings describe', () => {
    const configured = {
      by_two: { sentencesPerChunk: 2, overlapSentences: 0 },
      small_fixed: { chunkSize: 40, chunkOverlap: 0 },
      explicit: { kind: 'fixed', chunkSize: 60, chunkOverlap: 0 },
      short_summary: { sentencePerChunk: 1, minTokensPerChunk: 1, maxTokensPerChunk: 3 },
    };
    expect(chunkText(LONG, 'by_two', undefined, configured)).toHaveLength(15);
    const fixed = chunkText(LONG, 'small_fixed', undefined, configured);
    expect(fixed[0]?.charCount).toBe(40);
    expect(chunkText(LONG, 'explicit', undefined, configured)[0]?.charCount).toBe(60);
    expect(chunkText(LONG, 'short_summary', undefined, configured)[0]?.wordCount).toBe(3);
    expect(() => chunkText(LONG, 'by_two')).toThrow(/Unknown strategy: by_two/);
    expect(() => chunkText(LONG, 'nope', undefined, configured)).toThrow(/available: .*by_two, small_fixed/);
  });

  it('a bad configured value is named where it was written', () => {
    const configured = { mine: { sentencesPerChunk: 2, overlapSentences: 2 } };
    try {
      chunkText(LONG, 'mine', undefined, configured);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(FFValidationError);
      expect((err as FFValidationError).issues[0]).toMatchObject({
        path: 'vector.chunkingStrategies.mine.overlapSentences',
        limit: 1,
      });
    }
    expect(() => chunkText(LONG, 'mine', undefined, { mine: { kind: 'magic' } })).toThrow(
      /vector\.chunkingStrategies\.mine\.kind/,
    );
    expect(() => chunkText(LONG, 'semantic', { similarityThreshold: 2 })).toThrow(
      /custom\.similarityThreshold/,
    );
  });

  it('preserveWords ends fixed chunks between words; default_fixed still cuts by characters', () => {
    const text = words(300);
    const normalised = text;
    const chunks = chunkText(text, 'fixed_size', { chunkSize: 50, chunkOverlap: 12 });
    for (const c of chunks) {
      expect(c.charCount).toBeLessThanOrEqual(50);
      expect(/^word\d+$/.test(c.text.split(' ').at(-1) as string)).toBe(true);
      expect(c.end === normalised.length || normalised[c.end] === ' ').toBe(true);
      expect(c.start === 0 || normalised[c.start - 1] === ' ').toBe(true);
    }
    // Consecutive chunks share words (the overlap) and cover the text.
    expect(chunks[1]!.start).toBeLessThan(chunks[0]!.end);
    expect(chunks.at(-1)!.end).toBe(normalised.length);
    const exact = chunkText(text, 'default_fixed', { chunkSize: 50, chunkOverlap: 12 });
    expect(exact[0]?.charCount).toBe(50);
    expect(exact[1]?.start).toBe(38);
  });

  it('chunks move forward: a long word never repeats the text before it, a long sentence is cut once', () => {
    const ordered = (chunks: { start: number; end: number }[]) => {
      for (let i = 1; i < chunks.length; i++) {
        expect(chunks[i]!.end).toBeGreaterThan(chunks[i - 1]!.end);
        expect(chunks[i]!.start).toBeGreaterThanOrEqual(chunks[i - 1]!.start);
      }
    };
    const url = `See the attached image here: ${'A'.repeat(600)} and then more words follow.`;
    const fixed = chunkText(url, 'fixed_size');
    ordered(fixed);
    expect(fixed.length).toBeLessThanOrEqual(3);
    ordered(chunkText('a b c dddddddddddd', 'fixed_size', { chunkSize: 8, chunkOverlap: 6 }));
    const long = `Short one here. ${Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ')}. Another short. And more.`;
    const bounded = chunkText(long, 'sentence_based');
    ordered(bounded);
    const covered = bounded.reduce((n, c) => n + c.charCount, 0);
    expect(covered).toBeLessThan(long.length * 1.1); // the long sentence is not cut twice
  });

  it('names the field that was set when two settings conflict', () => {
    const issue = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return (err as FFValidationError).issues[0];
      }
      return undefined;
    };
    expect(
      issue(() => chunkText('x', 'semantic', undefined, { semantic: { maxChunkSize: 50 } })),
    ).toMatchObject({
      path: 'vector.chunkingStrategies.semantic.maxChunkSize',
      limit: 100,
    });
    expect(issue(() => chunkText('x', 'semantic', { maxChunkSize: 50 }))).toMatchObject({
      path: 'custom.maxChunkSize',
    });
    expect(issue(() => chunkText('x', 'mine', undefined, { mine: { chunkSize: 10 } }))).toMatchObject({
      path: 'vector.chunkingStrategies.mine.chunkSize',
      limit: 65,
    });
  });

  it('maxChunkSize cuts long chunks at words and minChunkSize joins short ones to the one before', () => {
    const long = `${words(120)}. Short one. ${words(5)}.`;
    const chunks = chunkText(long, 'sentence_short', { maxChunkSize: 200, minChunkSize: 30 });
    for (const c of chunks) expect(c.charCount).toBeLessThanOrEqual(200);
    expect(chunks.length).toBeGreaterThan(4);
    // "Short one." (10 characters) did not become a chunk of its own.
    expect(chunks.some((c) => c.text === 'Short one.')).toBe(false);
    expect(chunks.filter((c) => c.charCount < 30)).toHaveLength(0);
  });
});

describe('semantic chunking', () => {
  it('ends a chunk where the topic shifts', () => {
    const text = [...TOPIC_A, ...TOPIC_B].join(' ');
    const chunks = chunkText(text, 'semantic', { targetChunkSize: 250, similarityThreshold: 0.05 });
    expect(chunks.map((c) => c.text)).toEqual([TOPIC_A.join(' '), TOPIC_B.join(' ')]);
    // With no topic shift allowed below the threshold it packs by length instead.
    const byLength = chunkText(text, 'semantic', { targetChunkSize: 120, similarityThreshold: 0 });
    expect(byLength.length).toBeGreaterThan(2);
  });

  it('keeps whole sentences, stays between min and max, and cuts a sentence over max at words', () => {
    const text = `${LONG} ${Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ')}.`;
    const chunks = chunkText(text, 'semantic');
    for (const c of chunks) expect(c.charCount).toBeLessThanOrEqual(1000);
    for (const c of chunks.slice(0, -1)) expect(c.charCount).toBeGreaterThanOrEqual(100);
    // The 30 sentences of LONG end chunks at sentence ends.
    const firstLong = chunks.filter((c) => c.end <= LONG.replace(/\s+/g, ' ').length);
    for (const c of firstLong) expect(c.text.endsWith('detail.')).toBe(true);
    expect(estimateChunks('a'.repeat(1000), 'semantic')).toBe(2);
  });
});
